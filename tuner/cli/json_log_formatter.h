// `tuner serve --log-format json`: spdlog lines as one JSON object each, for
// log collectors (Loki, Elasticsearch, journald's JSON mode), e.g.
//   {"time":"2026-12-01T06:35:12.123456Z","level":"info","logger":"tuner",
//    "thread":4242,"message":"serving tuner.db on 127.0.0.1:50051"}
// time in UTC (RFC 3339, microseconds), level as spdlog names it (trace,
// debug, info, warning, error, critical), the message as logged; text that is
// not valid UTF-8 is replaced (U+FFFD), so every line parses. One line per
// message, "\n"-terminated: newlines inside the message are escaped.
//
// Thread-safety: as any spdlog formatter (the sink serialises calls).
#ifndef TUNER_TUNER_CLI_JSON_LOG_FORMATTER_H_
#define TUNER_TUNER_CLI_JSON_LOG_FORMATTER_H_

#include <spdlog/formatter.h>

#include <memory>

namespace tuner {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// Makes every sink of the default logger write JSON lines.
void UseJsonLogs();

}  // namespace tuner

#endif  // TUNER_TUNER_CLI_JSON_LOG_FORMATTER_H_
