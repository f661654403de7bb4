// GpTransferData: what earlier studies (warm_start.h) give the GP designer, as
// extra observations of a multi-task GP (Swersky, Snoek and Adams,
// "Multi-task Bayesian optimization", NeurIPS 2013; the intrinsic
// coregionalisation idea, written from that description).
//
// Each prior study's finished trials are mapped into this study's space
// (MapIntoSpace without filling: a parameter the prior lacks reads as
// inactive, gp_encoding.h), encoded by this study's GpEncoding, and their
// values warped and standardised per study (WarpOutputs), so that studies of
// another scale or offset line up. At most `max_points` trials per study are
// kept (the best fifth, then evenly spaced among the rest); studies with
// fewer than two values are left out.
//
// The designer appends one task feature per prior study to every kernel
// input: all zeros for this study's trials and candidates, a one-hot 1 for
// the trials of prior study i. With the ARD kernel, the fitted length scale of
// feature i sets how strongly study i's results count here: the correlation
// between the studies is k at distance 1 along that feature, learned by
// marginal likelihood together with the other hyperparameters. A related
// study ends up strongly correlated and guides the search from the first
// trials; an unrelated one decorrelates as this study's results disagree
// with it, which guards against negative transfer; this study's own
// observations always weigh more where it has them.
// Pure; thread-safe after Build.
#ifndef TUNER_ALGORITHMS_GP_TRANSFER_H_
#define TUNER_ALGORITHMS_GP_TRANSFER_H_

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "algorithms/gp_encoding.h"
#include "algorithms/gp_kernel.h"
#include "algorithms/warm_start.h"

namespace tuner {

// The multi-task GP's lower bound of the noise variance, above the usual
// kGpMinNoiseVariance (1e-8): the earlier studies' trials are of other, if
// related, objectives. With 1e-8 the bench's warm start gained less (Branin,
// related study: 2.9x against a cold start instead of 4.2x; Hartmann-3 10x
// instead of 22x; docs/warm-start.md).
inline constexpr double kTransferMinNoiseVariance = 1e-6;

struct GpTransferData {
  int tasks = 0;      // prior studies kept: the task features
  Eigen::MatrixXd x;  // rows: prior trials, features then task features
  Eigen::VectorXd y;  // warped and standardised per study
  bool empty() const { return tasks == 0; }

  static GpTransferData Build(const GpEncoding& encoding, const std::vector<PriorStudy>& priors,
                              int max_points = 100);

  // `features` (rows of this study's features) with `tasks` zero columns.
  Eigen::MatrixXd ThisStudy(const Eigen::MatrixXd& features) const;
  // The correlation the kernel gives this study and prior study `task`:
  // k(a, b) / k(a, a) for points that differ in that task feature alone.
  double Correlation(const Matern52Kernel& kernel, int task) const;
};

}  // namespace tuner

#endif  // TUNER_ALGORITHMS_GP_TRANSFER_H_
