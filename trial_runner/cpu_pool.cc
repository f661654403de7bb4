#include "trial_runner/cpu_pool.h"

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <string>

#include "absl/status/status.h"

namespace tuner {

CpuPool::CpuPool(std::vector<int> cpus) : cpus_(std::move(cpus)) {
  std::sort(cpus_.begin(), cpus_.end());
  cpus_.erase(std::unique(cpus_.begin(), cpus_.end()), cpus_.end());
  users_.assign(cpus_.size(), 0);
}

std::vector<int> CpuPool::Acquire(int64_t owner, size_t count, bool* shared) {
  count = std::min(count, cpus_.size());
  std::vector<size_t> order(cpus_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Least used first; stable, so ties go to the lowest id.
  std::stable_sort(order.begin(), order.end(),
                   [this](size_t a, size_t b) { return users_[a] < users_[b]; });
  order.resize(count);
  std::sort(order.begin(), order.end());
  bool any_shared = false;
  std::vector<int> picked;
  for (size_t index : order) {
    any_shared = any_shared || users_[index] > 0;
    ++users_[index];
    held_.emplace(owner, index);
    picked.push_back(cpus_[index]);
  }
  if (shared != nullptr) *shared = any_shared;
  return picked;
}

void CpuPool::Release(int64_t owner) {
  auto [begin, end] = held_.equal_range(owner);
  for (auto it = begin; it != end; ++it) --users_[it->second];
  held_.erase(begin, end);
}

int CpuPool::users(int cpu) const {
  auto it = std::lower_bound(cpus_.begin(), cpus_.end(), cpu);
  if (it == cpus_.end() || *it != cpu) return 0;
  return users_[static_cast<size_t>(it - cpus_.begin())];
}

size_t PinnedCpuCount(double cpus) {
  if (!(cpus > 1)) return 1;
  return static_cast<size_t>(std::ceil(std::min(cpus, 1e6)));
}

std::vector<int> AllowedCpus() {
  std::vector<int> cpus;
  for (int size = 1024; size <= (1 << 20); size *= 2) {
    cpu_set_t* set = CPU_ALLOC(size);
    if (set == nullptr) break;
    const size_t bytes = CPU_ALLOC_SIZE(size);
    CPU_ZERO_S(bytes, set);
    if (::sched_getaffinity(0, bytes, set) == 0) {
      for (int cpu = 0; cpu < size; ++cpu) {
        if (CPU_ISSET_S(cpu, bytes, set)) cpus.push_back(cpu);
      }
      CPU_FREE(set);
      break;
    }
    const int error = errno;
    CPU_FREE(set);
    if (error != EINVAL) break;  // EINVAL: the mask is larger than `size`
  }
  return cpus;
}

absl::StatusOr<std::vector<int>> ParseCpuList(std::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError("expected a CPU list such as \"0-3,8\", got \"" +
                                      std::string(text) + "\"");
  };
  std::vector<int> cpus;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string item(text.substr(start, comma - start));
    const size_t dash = item.find('-');
    auto number = [](const std::string& digits, long* out) {
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
          digits.size() > 6) {
        return false;
      }
      *out = std::strtol(digits.c_str(), nullptr, 10);
      return true;
    };
    long first = 0, last = 0;
    if (dash == std::string::npos) {
      if (!number(item, &first)) return bad();
      last = first;
    } else if (!number(item.substr(0, dash), &first) || !number(item.substr(dash + 1), &last) ||
               last < first) {
      return bad();
    }
    for (long cpu = first; cpu <= last; ++cpu) cpus.push_back(static_cast<int>(cpu));
    start = comma + 1;
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::string FormatCpuList(const std::vector<int>& cpus) {
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(cpus[i]);
    if (j > i) out += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace tuner
