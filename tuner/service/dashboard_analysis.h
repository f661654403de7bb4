// What the dashboard computes from a study's trials: which parameters matter
// (a variance-based importance) and the rows of the trials table (filter,
// sort, page). Pure functions of the trials given; no I/O, no HTTP.
#ifndef TUNER_TUNER_SERVICE_DASHBOARD_ANALYSIS_H_
#define TUNER_TUNER_SERVICE_DASHBOARD_ANALYSIS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "algorithms/objective.h"
#include "algorithms/search_space.h"
#include "algorithms/trial.h"

namespace tuner {

// ------------------------------------------------------------- importance

// How ParameterImportances measures importance, in words for the UI.
extern const char kImportanceMethod[];

struct ParameterImportance {
  std::string parameter;
  // Share of the objective's variance explained by this parameter alone
  // (bias-corrected, clamped to [0, 1]).
  double variance_explained = 0.0;
  // variance_explained normalised so that the parameters sum to 1 (all 0
  // when no parameter explains anything).
  double importance = 0.0;
  int groups = 0;  // the number of groups the trials fell into
  // How sure `importance` is: its 10th and 90th percentiles over
  // kImportanceResamples bootstrap resamples of the trials (a fixed seed:
  // the same trials give the same interval). A wide interval says that
  // more trials are needed before the ranking means much.
  double importance_low = 0.0;
  double importance_high = 0.0;
};

inline constexpr int kImportanceResamples = 200;
inline constexpr uint64_t kImportanceBootstrapSeed = 20261202;

// A first-order, variance-based importance (a binned "main effect", as in
// the correlation ratio eta^2 of an analysis of variance): the trials are
// grouped by the parameter's value (categorical and discrete values and small
// integer ranges as they are; continuous ones in up to
// clamp(round(sqrt(n)), 2, 10) equal-count bins on the parameter's scale;
// trials where a conditional parameter is inactive form a group of their
// own), and the importance is the between-group share of the total sum of
// squares, corrected for the number of groups (epsilon^2 = (SS_between -
// (k - 1) MS_within) / (SS_total + MS_within)). Interactions are not counted.
//
// Uses the COMPLETED trials that have a final value of `metric` (stopped
// ones ended early, so their values are not comparable); fewer than 3 such
// trials, or a constant objective, gives 0 for every parameter. The result is
// in the order of `space.parameters`.
std::vector<ParameterImportance> ParameterImportances(const SearchSpace& space,
                                                      const std::vector<const Trial*>& trials,
                                                      const std::string& metric);

// ------------------------------------------------------------- trials table

// A filter over trials: whitespace- or comma-separated terms, all of which
// must hold. A term is `FIELD OP VALUE` with OP one of = != < <= > >= and
// FIELD a parameter, a final metric, `id`, `state`, `steps` or `reason`
// (prefix `params.` or `metrics.` when a name is both), e.g.
//   learning_rate<0.01 optimizer=adam val_accuracy>=0.9 state!=FAILED
// or a bare word, which matches when it occurs (case-insensitively) in the
// state, the reason or the text of any parameter value. Comparisons are
// numeric when both sides are numbers, else on the text; a trial without the
// field (an inactive parameter, a missing metric) fails the term.
struct TrialQuery {
  int64_t offset = 0;              // >= 0
  int64_t limit = 50;              // 1..1000
  std::string sort = "id";         // id | state | steps | reason | duration |
                                   // params.NAME | metrics.NAME | a bare name
  bool descending = false;         // missing values sort last either way
  std::vector<TrialState> states;  // empty = all
  std::string filter;              // the syntax above
};

struct TrialPage {
  int64_t total = 0;                 // trials in the study
  int64_t matched = 0;               // trials that pass the states and the filter
  std::vector<const Trial*> trials;  // matched[offset, offset + limit), sorted
};

// InvalidArgument (naming the bad part) for an unknown sort key or field, a
// malformed term, or an out-of-range offset or limit. `parameters` and
// `metrics` are the names known to the study (for resolving bare names).
absl::StatusOr<TrialPage> QueryTrials(const std::vector<const Trial*>& trials,
                                      const std::vector<std::string>& parameters,
                                      const std::vector<std::string>& metrics,
                                      const TrialQuery& query);

// "COMPLETED" -> kCompleted (case-insensitive); nullopt for anything else.
std::optional<TrialState> ParseTrialState(std::string_view text);

}  // namespace tuner

#endif  // TUNER_TUNER_SERVICE_DASHBOARD_ANALYSIS_H_
