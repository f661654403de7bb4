// GpTransferData (earlier studies as observations of a multi-task GP) and the
// GP designer's warm start: task features, per-study standardisation, the
// cap, the correlation, and a warm-started designer that finds a shifted
// optimum sooner than a cold one, deterministically.
#include "algorithms/gp_transfer.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "algorithms/gp_designer.h"
#include "algorithms/warm_start.h"
#include "tests/algorithms/test_spaces.h"

namespace tuner {
namespace {

using testing::Double;
using testing::History;

SearchSpace Space2() {
  SearchSpace space;
  space.parameters = {Double("x", 0.0, 1.0), Double("y", 0.0, 1.0)};
  return space;
}

double Bowl(double x, double y, double cx, double cy) {
  return (x - cx) * (x - cx) + (y - cy) * (y - cy);
}

// A prior study of `n` grid points of -Bowl centred at (cx, cy) (larger is better).
PriorStudy BowlStudy(const std::string& name, double cx, double cy, int side = 6) {
  PriorStudy prior{name, {}};
  int64_t id = 1;
  for (int i = 0; i < side; ++i) {
    for (int j = 0; j < side; ++j) {
      const double x = (i + 0.5) / side, y = (j + 0.5) / side;
      prior.trials.push_back({id++, {{"x", x}, {"y", y}}, -Bowl(x, y, cx, cy)});
    }
  }
  return prior;
}

TEST_CASE("Earlier trials become observations with one task feature per study") {
  SearchSpace space = Space2();
  space.parameters.push_back(Double("z", 0.0, 1.0));  // no earlier study has it
  const GpEncoding encoding(space);
  PriorStudy few{"few", {{1, {{"x", 0.5}, {"y", 0.5}}, 1.0}}};  // one value: left out
  const GpTransferData data =
      GpTransferData::Build(encoding, {BowlStudy("a", 0.3, 0.7), few, BowlStudy("b", 0.6, 0.4, 3)});
  REQUIRE(data.tasks == 2);
  REQUIRE(data.x.rows() == 36 + 9);
  REQUIRE(data.x.cols() == 3 + 2);
  CHECK(data.x.col(2).isConstant(0.5));  // z: inactive for them
  CHECK(data.x.col(3).head(36).isOnes());
  CHECK(data.x.col(3).tail(9).isZero());
  CHECK(data.x.col(4).tail(9).isOnes());
  // Each study standardised on its own.
  CHECK(data.y.head(36).mean() == Approx(0.0).margin(1e-9));
  CHECK(data.y.tail(9).mean() == Approx(0.0).margin(1e-9));
  const Eigen::MatrixXd here = data.ThisStudy(Eigen::MatrixXd::Constant(2, 3, 0.25));
  CHECK(here.cols() == 5);
  CHECK(here.rightCols(2).isZero());
}

TEST_CASE("At most max_points trials per earlier study: its best fifth among them") {
  const GpEncoding encoding(Space2());
  const GpTransferData data = GpTransferData::Build(encoding, {BowlStudy("a", 0.3, 0.7, 10)}, 20);
  REQUIRE(data.x.rows() == 20);
  // The best point of the grid (nearest (0.3, 0.7)) is kept.
  bool best = false;
  for (Eigen::Index r = 0; r < data.x.rows(); ++r) {
    best = best || (std::abs(data.x(r, 0) - 0.25) < 1e-9 && std::abs(data.x(r, 1) - 0.65) < 1e-9);
  }
  CHECK(best);
}

TEST_CASE("The task correlation is the kernel's at distance 1 along a task feature") {
  GpTransferData data;
  data.tasks = 1;
  GpHyperparameters hp = GpHyperparameters::Default(3);
  hp.log_length_scales(2) = std::log(100.0);  // the task feature: nearly one task
  CHECK(data.Correlation(hp.Kernel(), 0) > 0.99);
  hp.log_length_scales(2) = std::log(0.01);  // unrelated
  CHECK(data.Correlation(hp.Kernel(), 0) < 0.6);
}

// Trials of -Bowl centred at (0.62, 0.38) until `trials` exist; the best value.
double RunBowl(GpDesigner& designer, int trials) {
  History history;
  double best = -1e9;
  for (int t = 0; t < trials; ++t) {
    history.UpdateDesigner(designer);
    const std::vector<Assignment> got = designer.Suggest(1);
    REQUIRE(got.size() == 1);
    const double x = std::get<double>(got[0].at("x")), y = std::get<double>(got[0].at("y"));
    history.Add(got[0], TrialState::kCompleted);
    Measurement m;
    m.metrics["score"] = -Bowl(x, y, 0.62, 0.38);
    history.trials().back().final_measurement = m;
    best = std::max(best, m.metrics["score"]);
  }
  return best;
}

TEST_CASE("A warm-started GP designer finds a nearby optimum sooner, deterministically") {
  const std::vector<Objective> objectives = {Objective{"score", Goal::kMaximize}};
  GpDesignerOptions cold;
  cold.seed = 5;
  cold.max_trials = 8;
  GpDesignerOptions warm = cold;
  warm.priors = {BowlStudy("a", 0.6, 0.4)};
  GpDesigner cold_designer(Space2(), objectives, cold);
  GpDesigner warm_designer(Space2(), objectives, warm);
  const double cold_best = RunBowl(cold_designer, 6);
  const double warm_best = RunBowl(warm_designer, 6);
  CHECK(warm_designer.status().find("36 of them from earlier studies (correlation 0.") !=
        std::string::npos);
  CHECK(warm_best > -1e-3);
  CHECK(warm_best > cold_best);
  GpDesigner again(Space2(), objectives, warm);
  CHECK(RunBowl(again, 6) == warm_best);
}

TEST_CASE("A warm-started GP designer's saved state holds its multi-task fits too") {
  const std::vector<Objective> objectives = {Objective{"score", Goal::kMaximize}};
  GpDesignerOptions options;
  options.seed = 5;
  options.max_trials = 8;
  options.priors = {BowlStudy("a", 0.6, 0.4)};
  GpDesigner live(Space2(), objectives, options);
  History history;
  for (int t = 0; t < 6; ++t) {
    history.UpdateDesigner(live);
    const Assignment a = live.Suggest(1)[0];
    history.Add(a, TrialState::kCompleted);
    Measurement m;
    m.metrics["score"] =
        -Bowl(std::get<double>(a.at("x")), std::get<double>(a.at("y")), 0.62, 0.38);
    history.trials().back().final_measurement = m;
  }
  history.UpdateDesigner(live);
  const Assignment next = live.Suggest(1)[0];
  GpDesigner restored(Space2(), objectives, options);
  restored.RestoreState(live.SavedState());
  history.UpdateDesigner(restored);
  CHECK(restored.Suggest(1)[0] == next);
  CHECK(restored.fits_made() == 0);
  // Other earlier studies: the state is not this designer's.
  options.priors = {BowlStudy("a", 0.3, 0.4)};
  GpDesigner other(Space2(), objectives, options);
  other.RestoreState(live.SavedState());
  history.UpdateDesigner(other);
  other.Suggest(1);
  CHECK(other.fits_made() > 0);
}

TEST_CASE("An earlier study that disagrees is set aside by the evidence; one that agrees is kept") {
  const std::vector<Objective> objectives = {Objective{"score", Goal::kMaximize}};
  GpDesignerOptions options;
  options.seed = 9;
  options.max_trials = 16;
  // The earlier study's values negated: it points at the worst region.
  PriorStudy opposite = BowlStudy("opposite", 0.6, 0.4);
  for (PriorTrial& t : opposite.trials) t.value = -*t.value;
  options.priors = {opposite};
  GpDesigner against(Space2(), objectives, options);
  RunBowl(against, 12);
  INFO(against.status());
  CHECK(against.status().find("earlier studies set aside (log evidence") != std::string::npos);
  // A matching study is used while this one has few trials of its own (later,
  // with this study's trials gathered near its optimum and standardised on
  // their own, the comparison may set even a matching study aside; see
  // docs/warm-start.md).
  options.priors = {BowlStudy("same", 0.62, 0.38)};
  GpDesigner with(Space2(), objectives, options);
  RunBowl(with, 6);
  INFO(with.status());
  CHECK(with.status().find("of them from earlier studies (correlation") != std::string::npos);
}

}  // namespace
}  // namespace tuner
