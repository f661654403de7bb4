// CPUs handed out to running ranks (trainer.resources.cpus_per_rank, local
// backend): each rank is pinned to its own CPUs with sched_setaffinity
// (ChildSpec::cpus), so that concurrent ranks do not share CPUs while there
// are enough. When there are not, a rank gets the least-used CPUs (ties: the
// lowest id first) and shares them: ranks are never refused or delayed for
// CPUs, and the load stays as even as the pool allows.
//
// Thread-safety: none; the launcher's loop thread owns the pool.
#ifndef TUNER_TRIAL_RUNNER_CPU_POOL_H_
#define TUNER_TRIAL_RUNNER_CPU_POOL_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tuner {

class CpuPool {
 public:
  // The CPU ids ranks may run on (duplicates are dropped).
  explicit CpuPool(std::vector<int> cpus = {});

  size_t size() const { return cpus_.size(); }
  // `count` CPUs (at most size()), ascending, now also held by `owner`: the
  // least-used ones. `*shared` (optional) is set to whether any of them was
  // already held by someone.
  std::vector<int> Acquire(int64_t owner, size_t count, bool* shared = nullptr);
  // Frees every CPU `owner` holds; a no-op when it holds none.
  void Release(int64_t owner);
  // How many holders `cpu` has (0 for a CPU not in the pool).
  int users(int cpu) const;

 private:
  std::vector<int> cpus_;                // ascending
  std::vector<int> users_;               // by index into cpus_
  std::multimap<int64_t, size_t> held_;  // owner -> index into cpus_
};

// How many CPUs a rank with trainer.resources.cpus_per_rank = `cpus` is
// pinned to: cpus rounded up (1.5 -> 2), at least 1.
size_t PinnedCpuCount(double cpus);

// The CPUs this process may run on (sched_getaffinity), ascending.
std::vector<int> AllowedCpus();

// "0-3,8,10-11" (the kernel's cpulist format, as Cpus_allowed_list and
// taskset -c write it) -> {0, 1, 2, 3, 8, 10, 11}. InvalidArgument otherwise.
absl::StatusOr<std::vector<int>> ParseCpuList(std::string_view text);

// {0, 1, 2, 3, 8} -> "0-3,8".
std::string FormatCpuList(const std::vector<int>& cpus);

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_CPU_POOL_H_
