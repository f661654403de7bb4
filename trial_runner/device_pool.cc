#include "trial_runner/device_pool.h"

#include <cstdio>
#include <cstdlib>
#include <set>
#include <utility>

#include "absl/status/status.h"

namespace tuner {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

DevicePool::DevicePool(std::vector<std::string> devices)
    : devices_(std::move(devices)), holder_(devices_.size()) {}

size_t DevicePool::free() const {
  size_t n = 0;
  for (const std::optional<int64_t>& h : holder_) n += h.has_value() ? 0 : 1;
  return n;
}

std::optional<std::vector<std::string>> DevicePool::Acquire(int64_t owner, size_t count) {
  if (free() < count) return std::nullopt;
  std::vector<std::string> out;
  for (size_t i = 0; i < devices_.size() && out.size() < count; ++i) {
    if (holder_[i]) continue;
    holder_[i] = owner;
    out.push_back(devices_[i]);
  }
  return out;
}

void DevicePool::Release(int64_t owner) {
  for (std::optional<int64_t>& h : holder_) {
    if (h == owner) h.reset();
  }
}

absl::StatusOr<std::vector<std::string>> ParseDeviceList(std::string_view text) {
  std::vector<std::string> out;
  if (Trim(text).empty()) return out;
  std::set<std::string> seen;
  while (true) {
    const size_t comma = text.find(',');
    const std::string item(Trim(text.substr(0, comma)));
    if (item.empty()) {
      return absl::InvalidArgumentError(
          "expected device ids separated by ',' (e.g. 0,1,2,3), "
          "got an empty one");
    }
    if (!seen.insert(item).second) {
      return absl::InvalidArgumentError("device " + item + " is listed twice");
    }
    out.push_back(item);
    if (comma == std::string_view::npos) return out;
    text.remove_prefix(comma + 1);
  }
}

std::vector<std::string> DevicesFromNvidiaSmi(std::string_view listing) {
  std::vector<std::string> out;
  while (!listing.empty()) {
    const size_t end = listing.find('\n');
    std::string_view line = Trim(listing.substr(0, end));
    listing.remove_prefix(end == std::string_view::npos ? listing.size() : end + 1);
    if (line.rfind("GPU ", 0) != 0) continue;
    line.remove_prefix(4);
    const size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) continue;
    const std::string_view index = line.substr(0, colon);
    if (index.find_first_not_of("0123456789") != std::string_view::npos) continue;
    out.emplace_back(index);
  }
  return out;
}

absl::StatusOr<FoundDevices> FindDevices() {
  for (const char* name : {"TUNER_GPUS", "CUDA_VISIBLE_DEVICES"}) {
    const char* value = std::getenv(name);
    if (value == nullptr) continue;
    absl::StatusOr<std::vector<std::string>> devices = ParseDeviceList(value);
    if (!devices.ok()) {
      return absl::InvalidArgumentError(std::string(name) + ": " +
                                        std::string(devices.status().message()));
    }
    return FoundDevices{std::move(*devices), name};
  }
  // popen runs /bin/sh; a missing command only prints to its (silenced) stderr.
  FILE* pipe = popen("nvidia-smi -L 2>/dev/null", "r");
  std::string listing;
  if (pipe != nullptr) {
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) listing.append(buf, n);
    if (pclose(pipe) != 0) listing.clear();
  }
  std::vector<std::string> devices = DevicesFromNvidiaSmi(listing);
  if (devices.empty()) return FoundDevices{{}, "none"};
  return FoundDevices{std::move(devices), "nvidia-smi -L"};
}

}  // namespace tuner
