// The last lines of a rank's log, for the message of a failed trial.
#ifndef TUNER_TRIAL_RUNNER_LOG_TAIL_H_
#define TUNER_TRIAL_RUNNER_LOG_TAIL_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace tuner {

// The last `lines` lines of `text`, without the final newline (a last line
// without '\n' counts; a trailing '\n' does not start a new line). Pure.
std::string LastLines(std::string_view text, int lines);

// The last `lines` lines among the last `max_bytes` bytes of the file at
// `path`; "" when it cannot be read.
std::string ReadLogTail(const std::string& path, int lines, size_t max_bytes = 64 * 1024);

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_LOG_TAIL_H_
