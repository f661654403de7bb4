#include "trial_runner/hypertune_metrics.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "nlohmann/json.hpp"

namespace tuner {
namespace {

// A finite number, from a JSON number or a string holding one.
std::optional<double> NumberOf(const nlohmann::json& value) {
  double number = 0;
  if (value.is_number()) {
    number = value.get<double>();
  } else if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text.empty()) return std::nullopt;
    errno = 0;
    char* end = nullptr;
    number = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || errno == ERANGE) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (!std::isfinite(number)) return std::nullopt;
  return number;
}

bool IsBookkeeping(const std::string& key) {
  return key == "global_step" || key == "timestamp" || key == "trial" || key == "checkpoint_path";
}

}  // namespace

std::vector<Measurement> HypertuneMetricReader::Update(std::string_view contents,
                                                       double elapsed_secs, bool final) {
  std::vector<Measurement> out;
  while (!contents.empty()) {
    const size_t newline = contents.find('\n');
    if (newline == std::string_view::npos && !final) break;  // maybe half written
    Consume(contents.substr(0, newline), elapsed_secs, &out);
    if (newline == std::string_view::npos) break;
    contents.remove_prefix(newline + 1);
  }
  if (final && pending_) {
    out.push_back(std::move(*pending_));
    pending_.reset();
  }
  return out;
}

void HypertuneMetricReader::Consume(std::string_view line, double elapsed_secs,
                                    std::vector<Measurement>* out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return;
  if (!seen_.insert(std::string(line)).second) return;  // consumed before
  const nlohmann::json entry = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!entry.is_object()) return;
  int64_t step = 0;
  if (auto it = entry.find("global_step"); it != entry.end()) {
    const std::optional<double> value = NumberOf(*it);
    if (!value || *value < 0 || *value > 9.2e18 || *value != std::floor(*value)) return;
    step = static_cast<int64_t>(*value);
  }
  std::map<std::string, double> metrics;
  for (const auto& [key, value] : entry.items()) {
    if (IsBookkeeping(key)) continue;
    if (!names_.empty() && names_.count(key) == 0) continue;
    if (const std::optional<double> number = NumberOf(value)) metrics[key] = *number;
  }
  if (metrics.empty()) return;

  if (pending_ && pending_->step != step) {
    out->push_back(std::move(*pending_));
    pending_.reset();
  }
  if (!pending_) {
    pending_.emplace();
    pending_->step = step;
  }
  pending_->elapsed_secs = elapsed_secs;
  for (auto& [name, value] : metrics) pending_->metrics[name] = value;
  if (!names_.empty() && pending_->metrics.size() == names_.size()) {
    out->push_back(std::move(*pending_));
    pending_.reset();
  }
}

}  // namespace tuner
