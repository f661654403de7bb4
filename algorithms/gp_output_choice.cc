#include "algorithms/gp_output_choice.h"

#include <algorithm>
#include <cmath>

#include "algorithms/gp_output_warping.h"

namespace tuner {
namespace {

constexpr size_t kMinScored = 5;

}  // namespace

double RankCorrelation(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  if (a.size() < 2 || a.size() != b.size()) return 0.0;
  const Eigen::VectorXd ra = AverageRanks(a), rb = AverageRanks(b);
  const Eigen::VectorXd ca = ra.array() - ra.mean(), cb = rb.array() - rb.mean();
  const double norm = std::sqrt(ca.squaredNorm() * cb.squaredNorm());
  return norm > 0.0 ? ca.dot(cb) / norm : 0.0;
}

double OutputTransformScore(const GaussianProcess& gp, const Eigen::VectorXd& y,
                            const std::vector<bool>& has_value) {
  std::vector<Eigen::Index> scored;
  for (size_t i = 0; i < has_value.size(); ++i) {
    if (has_value[i]) scored.push_back(static_cast<Eigen::Index>(i));
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [&](Eigen::Index a, Eigen::Index b) { return y(a) > y(b); });
  scored.resize(std::min(scored.size(), std::max(kMinScored, scored.size() / 2)));
  const Eigen::VectorXd loo = gp.LeaveOneOutMeans();
  return RankCorrelation(loo(scored), y(scored));
}

}  // namespace tuner
