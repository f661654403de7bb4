#include "algorithms/stopping_rule.h"

#include <cmath>

#include "absl/status/status.h"
#include "algorithms/pbt.h"
#include "algorithms/stopping_asha.h"
#include "algorithms/stopping_common.h"
#include "algorithms/stopping_median.h"
#include "algorithms/stopping_percentile.h"
#include "algorithms/stopping_threshold.h"

namespace tuner {
namespace {

using stopping_internal::FormatNumber;

absl::Status Invalid(const std::string& rule, const std::string& message) {
  return absl::InvalidArgumentError("early stopping rule " + rule + ": " + message);
}

absl::Status CheckCommon(const StoppingRuleOptions& o, bool uses_min_trials) {
  if (uses_min_trials && o.min_trials < 1) {
    return Invalid(o.rule,
                   "min_trials must be at least 1 (got " + std::to_string(o.min_trials) + ")");
  }
  if (o.grace_steps < 0) {
    return Invalid(o.rule,
                   "grace_steps must be at least 0 (got " + std::to_string(o.grace_steps) + ")");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<StoppingRule>> MakeStoppingRule(const StoppingRuleOptions& options) {
  const std::string& rule = options.rule;
  if (rule == "none") return std::unique_ptr<StoppingRule>();
  if (rule == "median" || rule == "percentile") {
    if (absl::Status s = CheckCommon(options, true); !s.ok()) return s;
    if (rule == "median") return MakeMedianStoppingRule(options);
    if (!(options.percentile > 0 && options.percentile < 100)) {
      return Invalid(rule, "percentile must be in (0, 100), exclusive (got " +
                               FormatNumber(options.percentile) + ")");
    }
    return std::unique_ptr<StoppingRule>(std::make_unique<PercentileStoppingRule>(options));
  }
  if (rule == "threshold") {
    if (absl::Status s = CheckCommon(options, false); !s.ok()) return s;
    if (!std::isfinite(options.threshold)) {
      return Invalid(
          rule, "threshold must be a finite number (got " + FormatNumber(options.threshold) + ")");
    }
    return std::unique_ptr<StoppingRule>(std::make_unique<ThresholdStoppingRule>(options));
  }
  if (rule == "asha") {
    if (absl::Status s = CheckCommon(options, true); !s.ok()) return s;
    if (!(options.eta >= AshaStoppingRule::kMinEta) || !std::isfinite(options.eta)) {
      return Invalid(rule,
                     "eta must be a finite number >= " + FormatNumber(AshaStoppingRule::kMinEta) +
                         " (got " + FormatNumber(options.eta) + ")");
    }
    if (options.min_resource < 1) {
      return Invalid(rule, "min_resource must be at least 1 (got " +
                               std::to_string(options.min_resource) + ")");
    }
    return std::unique_ptr<StoppingRule>(std::make_unique<AshaStoppingRule>(options));
  }
  if (rule == "pbt") {
    if (options.pbt_interval < 1 || !(options.pbt_quantile > 0 && options.pbt_quantile <= 0.5)) {
      return Invalid(rule, "interval must be >= 1 and quantile in (0, 0.5]");
    }
    return std::unique_ptr<StoppingRule>(std::make_unique<PbtStoppingRule>(
        options.goal, options.metric, options.pbt_interval, options.pbt_quantile));
  }
  return absl::InvalidArgumentError("unknown early stopping rule \"" + rule +
                                    "\" (known: none, median, percentile, threshold, asha)");
}

}  // namespace tuner
