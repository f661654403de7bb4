// The machine's devices (GPU ids, as CUDA_VISIBLE_DEVICES names them), handed
// out to running trials so that no two trials ever hold the same one
// (trainer.resources.gpus_per_rank, local backend). `tuner run --devices`
// gives the list, else it is found with FindDevices.
//
// Thread-safety: none; the orchestrator's thread owns the pool.
#ifndef TUNER_TRIAL_RUNNER_DEVICE_POOL_H_
#define TUNER_TRIAL_RUNNER_DEVICE_POOL_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tuner {

class DevicePool {
 public:
  explicit DevicePool(std::vector<std::string> devices = {});

  size_t size() const { return devices_.size(); }
  size_t free() const;
  // `count` free devices, in the list's order, now held by `owner` (with
  // what it held before); nullopt, holding nothing new, when fewer are free.
  std::optional<std::vector<std::string>> Acquire(int64_t owner, size_t count);
  // Frees every device `owner` holds; a no-op when it holds none.
  void Release(int64_t owner);

 private:
  std::vector<std::string> devices_;
  std::vector<std::optional<int64_t>> holder_;  // by index into devices_
};

// "0,1,2,3" (blanks around items allowed) -> {"0", "1", "2", "3"}.
// InvalidArgument for an empty item or a duplicate; "" is no device.
absl::StatusOr<std::vector<std::string>> ParseDeviceList(std::string_view text);

// The GPU indices of `nvidia-smi -L`'s listing ("GPU 0: NVIDIA A100 (UUID:
// ...)" lines), in order.
std::vector<std::string> DevicesFromNvidiaSmi(std::string_view listing);

// The devices of this machine for a run without --devices: $TUNER_GPUS when
// set, else $CUDA_VISIBLE_DEVICES when set (the run's own share), else what
// `nvidia-smi -L` lists, else none (no such command). `source` tells which.
struct FoundDevices {
  std::vector<std::string> devices;
  std::string source;  // "TUNER_GPUS", "CUDA_VISIBLE_DEVICES", "nvidia-smi -L" or "none"
};
absl::StatusOr<FoundDevices> FindDevices();

}  // namespace tuner

#endif  // TUNER_TRIAL_RUNNER_DEVICE_POOL_H_
