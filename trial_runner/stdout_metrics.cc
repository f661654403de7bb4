#include "trial_runner/stdout_metrics.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <utility>

#include "absl/status/status.h"

namespace tuner {
namespace {

// name = value, where the value is not followed by more of a word or number
// ("version=1.2.3" and "t=12ms" give nothing; "loss=0.5." gives 0.5).
constexpr char kDefaultPattern[] =
    R"(([A-Za-z_][\w./-]*)\s*=\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?!\w|\.\d))";

// std::regex matches recursively; longer lines are not metric lines anyway.
constexpr size_t kMaxLineLength = 4096;

// The value of `text` as a finite double, or nullopt.
std::optional<double> ParseFinite(const std::string& text) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

absl::StatusOr<StdoutMetricParser> StdoutMetricParser::Create(const std::string& pattern,
                                                              const std::string& step_key,
                                                              std::vector<std::string> names) {
  if (step_key.empty()) {
    return absl::InvalidArgumentError("trainer.metrics.step_key: must not be empty");
  }
  const std::string& source = pattern.empty() ? std::string(kDefaultPattern) : pattern;
  std::regex regex;
  try {
    regex = std::regex(source, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return absl::InvalidArgumentError("trainer.metrics.pattern: not a valid regex (" +
                                      std::string(e.what()) + "): " + pattern);
  }
  if (regex.mark_count() < 2) {
    return absl::InvalidArgumentError(
        "trainer.metrics.pattern: expected two capture groups (name, value), got " +
        std::to_string(regex.mark_count()) + ": " + pattern);
  }
  return StdoutMetricParser(std::move(regex), step_key,
                            std::set<std::string>(names.begin(), names.end()));
}

std::optional<Measurement> StdoutMetricParser::ParseLine(std::string_view line,
                                                         double elapsed_secs) const {
  if (line.size() > kMaxLineLength) return std::nullopt;
  std::map<std::string, double> metrics;
  using Iterator = std::regex_iterator<std::string_view::const_iterator>;
  for (Iterator it(line.begin(), line.end(), regex_), end; it != end; ++it) {
    const auto& match = *it;
    if (!match[1].matched || !match[2].matched || match.length(1) == 0) continue;
    const std::optional<double> value = ParseFinite(match.str(2));
    if (!value) continue;
    metrics[match.str(1)] = *value;
  }

  auto step = metrics.find(step_key_);
  if (step == metrics.end()) return std::nullopt;  // a log line
  const double value = step->second;
  if (!(value >= 0 && value <= 9.2e18) || value != std::floor(value)) return std::nullopt;
  metrics.erase(step);
  if (!names_.empty()) {
    std::erase_if(metrics, [this](const auto& entry) { return names_.count(entry.first) == 0; });
  }
  if (metrics.empty()) return std::nullopt;

  Measurement measurement;
  measurement.step = static_cast<int64_t>(value);
  measurement.elapsed_secs = elapsed_secs;
  measurement.metrics = std::move(metrics);
  return measurement;
}

}  // namespace tuner
