// The live status line fits the terminal: cut before the last column, never
// inside a UTF-8 character.
#include "tuner/cli/progress_printer.h"

#include <catch2/catch.hpp>

namespace tuner {
namespace {

TEST_CASE("FitToWidth cuts before the last column", "[progress]") {
  CHECK(FitToWidth("0123456789", 80) == "0123456789");
  CHECK(FitToWidth("0123456789", 6) == "01234");
  CHECK(FitToWidth("0123456789", 11) == "0123456789");
  CHECK(FitToWidth("0123456789", 10) == "012345678");
  CHECK(FitToWidth("abc", 0) == "a");  // a degenerate width still shows something
}

TEST_CASE("FitToWidth counts a UTF-8 character as one column and never splits it", "[progress]") {
  const std::string line = "best \xc3\xa9t\xc3\xa9=0.5";  // "best été=0.5"
  CHECK(FitToWidth(line, 7) == "best \xc3\xa9");
  CHECK(FitToWidth(line, 8) == "best \xc3\xa9t");
  CHECK(FitToWidth(line, 9) == "best \xc3\xa9t\xc3\xa9");
}

TEST_CASE("StatusLine with a bar and the counts of a run", "[progress]") {
  RunProgress p;
  p.max_trials = 12;
  p.counts.Add(TrialState::kCompleted, 6);
  p.counts.Add(TrialState::kStopped, 1);
  p.counts.Add(TrialState::kActive, 3);
  p.counts.Add(TrialState::kFailed, 1);
  p.best_trial = 5;
  p.best_value = 0.93;
  CHECK(StatusLine(p, "acc", 12) ==
        "[#######.....] 7/12 done, 3 running, 1 failed, 1 stopped, best acc=0.93 (trial 5)");
}

}  // namespace
}  // namespace tuner
