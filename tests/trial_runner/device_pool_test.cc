#include "trial_runner/device_pool.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace tuner {
namespace {

using Devices = std::vector<std::string>;

TEST_CASE("DevicePool hands out disjoint sets and takes them back") {
  DevicePool pool({"0", "1", "2", "3", "4"});
  CHECK(pool.size() == 5);
  CHECK(pool.Acquire(1, 2) == Devices{"0", "1"});
  CHECK(pool.Acquire(2, 2) == Devices{"2", "3"});
  CHECK(pool.free() == 1);
  CHECK_FALSE(pool.Acquire(3, 2));  // one free: trial 3 waits, holding nothing
  CHECK(pool.free() == 1);
  pool.Release(1);
  CHECK(pool.free() == 3);
  CHECK(pool.Acquire(3, 2) == Devices{"0", "1"});  // trial 1's, freed
  pool.Release(7);                                 // holds none: no-op
  pool.Release(2);
  pool.Release(3);
  CHECK(pool.free() == 5);
  CHECK(pool.Acquire(4, 0) == Devices{});
}

TEST_CASE("ParseDeviceList") {
  CHECK(*ParseDeviceList("0,1, 2 ,3") == Devices{"0", "1", "2", "3"});
  CHECK(*ParseDeviceList("GPU-8f2e,MIG-1") == Devices{"GPU-8f2e", "MIG-1"});
  CHECK(ParseDeviceList("")->empty());
  CHECK(ParseDeviceList("0,,1").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseDeviceList("1,").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(ParseDeviceList("0,1,0").status().message()) == "device 0 is listed twice");
}

TEST_CASE("DevicesFromNvidiaSmi reads the GPU indices of nvidia-smi -L") {
  CHECK(DevicesFromNvidiaSmi("GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-1)\n"
                             "  MIG 1g.5gb     Device  0: (UUID: MIG-2)\n"
                             "GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-3)\n") == Devices{"0", "1"});
  CHECK(DevicesFromNvidiaSmi("").empty());
  CHECK(DevicesFromNvidiaSmi("NVIDIA-SMI has failed\n").empty());
}

TEST_CASE("FindDevices: TUNER_GPUS, then CUDA_VISIBLE_DEVICES") {
  setenv("TUNER_GPUS", "2,3", 1);
  setenv("CUDA_VISIBLE_DEVICES", "5", 1);
  auto found = FindDevices();
  REQUIRE(found.ok());
  CHECK(found->devices == Devices{"2", "3"});
  CHECK(found->source == "TUNER_GPUS");
  unsetenv("TUNER_GPUS");
  found = FindDevices();
  REQUIRE(found.ok());
  CHECK(found->devices == Devices{"5"});
  CHECK(found->source == "CUDA_VISIBLE_DEVICES");
  setenv("CUDA_VISIBLE_DEVICES", "5,5", 1);
  CHECK_FALSE(FindDevices().ok());
  unsetenv("CUDA_VISIBLE_DEVICES");
}

}  // namespace
}  // namespace tuner
