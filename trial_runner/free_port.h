// Free TCP ports on the loopback interface, for the ranks of a cluster.
//
// The ports are free when picked; nothing reserves them afterwards, so a
// process that binds first wins (the usual race of this technique). Within one
// call the ports are distinct, and the process remembers the last few hundred
// ports it handed out and does not hand them out again soon.
// Thread-safe.
#ifndef TUNER_TRIAL_RUNNER_FREE_PORT_H_
#define TUNER_TRIAL_RUNNER_FREE_PORT_H_

#include <vector>

#include "absl/status/statusor.h"

namespace tuner {

// `count` distinct free ports of 127.0.0.1; an error (from errno) when the
// system has no socket or port to give.
absl::StatusOr<std::vector<int>> PickFreeLoopbackPorts(int count);

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_FREE_PORT_H_
