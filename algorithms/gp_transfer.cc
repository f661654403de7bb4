#include "algorithms/gp_transfer.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "algorithms/gp_output_warping.h"

namespace tuner {
namespace {

// At most `cap` indices of `y`: the best fifth, then evenly spaced among the
// rest; ascending.
std::vector<size_t> Capped(const Eigen::VectorXd& y, int cap) {
  std::vector<size_t> all(static_cast<size_t>(y.size()));
  std::iota(all.begin(), all.end(), 0);
  if (static_cast<int>(all.size()) <= cap) return all;
  std::vector<size_t> by_value = all;
  std::stable_sort(by_value.begin(), by_value.end(), [&](size_t a, size_t b) {
    return y(static_cast<Eigen::Index>(a)) > y(static_cast<Eigen::Index>(b));
  });
  const auto best = static_cast<std::ptrdiff_t>(cap / 5);
  std::vector<size_t> chosen(by_value.begin(), by_value.begin() + best);
  std::vector<size_t> rest(by_value.begin() + best, by_value.end());
  std::sort(rest.begin(), rest.end());
  const size_t want = static_cast<size_t>(cap) - chosen.size();
  for (size_t i = 0; i < want; ++i) chosen.push_back(rest[i * rest.size() / want]);
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

}  // namespace

GpTransferData GpTransferData::Build(const GpEncoding& encoding,
                                     const std::vector<PriorStudy>& priors, int max_points) {
  struct Kept {
    Eigen::MatrixXd x;
    Eigen::VectorXd y;
  };
  std::vector<Kept> kept;
  const int d = encoding.num_features();
  for (const PriorStudy& prior : priors) {
    std::vector<Assignment> mapped;
    std::vector<std::optional<double>> values;
    for (const PriorTrial& t : prior.trials) {
      std::optional<Assignment> a = MapIntoSpace(encoding.space(), t.parameters, false);
      if (!a) continue;
      mapped.push_back(std::move(*a));
      values.push_back(t.value && std::isfinite(*t.value) ? t.value : std::nullopt);
    }
    const auto valued = std::count_if(values.begin(), values.end(),
                                      [](const std::optional<double>& v) { return v.has_value(); });
    if (valued < 2) continue;
    const Eigen::VectorXd warped = WarpOutputs(values);
    const std::vector<size_t> rows = Capped(warped, max_points);
    Kept k{Eigen::MatrixXd(static_cast<Eigen::Index>(rows.size()), d),
           Eigen::VectorXd(static_cast<Eigen::Index>(rows.size()))};
    for (size_t r = 0; r < rows.size(); ++r) {
      k.x.row(static_cast<Eigen::Index>(r)) = encoding.Features(mapped[rows[r]]).transpose();
      k.y(static_cast<Eigen::Index>(r)) = warped(static_cast<Eigen::Index>(rows[r]));
    }
    kept.push_back(std::move(k));
  }
  GpTransferData data;
  data.tasks = static_cast<int>(kept.size());
  Eigen::Index n = 0;
  for (const Kept& k : kept) n += k.x.rows();
  data.x = Eigen::MatrixXd::Zero(n, d + data.tasks);
  data.y.resize(n);
  Eigen::Index row = 0;
  for (int t = 0; t < data.tasks; ++t) {
    const Kept& k = kept[static_cast<size_t>(t)];
    data.x.block(row, 0, k.x.rows(), d) = k.x;
    data.x.block(row, d + t, k.x.rows(), 1).setOnes();
    data.y.segment(row, k.y.size()) = k.y;
    row += k.x.rows();
  }
  return data;
}

Eigen::MatrixXd GpTransferData::ThisStudy(const Eigen::MatrixXd& features) const {
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(features.rows(), features.cols() + tasks);
  out.leftCols(features.cols()) = features;
  return out;
}

double GpTransferData::Correlation(const Matern52Kernel& kernel, int task) const {
  const Eigen::VectorXd a = Eigen::VectorXd::Zero(kernel.dimension());
  Eigen::VectorXd b = a;
  b(kernel.dimension() - tasks + task) = 1.0;
  return kernel(a, b) / kernel(a, a);
}

}  // namespace tuner
