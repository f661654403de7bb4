#include "algorithms/stopping_median.h"

#include "algorithms/stopping_percentile.h"

namespace tuner {

std::unique_ptr<StoppingRule> MakeMedianStoppingRule(const StoppingRuleOptions& options) {
  StoppingRuleOptions median = options;
  median.rule = "median";
  median.percentile = 50.0;
  return std::make_unique<PercentileStoppingRule>(median);
}

}  // namespace tuner
