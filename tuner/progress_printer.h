// Shows a run's progress: on a terminal, a status line redrawn in place with
// event lines scrolling above it; elsewhere, one plain line per event.
#ifndef TUNER_TUNER_PROGRESS_PRINTER_H_
#define TUNER_TUNER_PROGRESS_PRINTER_H_

#include <cstdio>
#include <string>

#include "tuner/orchestrator.h"

namespace tuner {

class ProgressPrinter {
 public:
  // `out` is not owned; `live` redraws a status line (use for terminals).
  ProgressPrinter(std::FILE* out, bool live, std::string metric)
      : out_(out), live_(live), metric_(std::move(metric)) {}
  void Show(const RunProgress& progress);
  // Ends the live line (call once at the end).
  void Close();

 private:
  std::FILE* out_;
  bool live_;
  std::string metric_;
  bool line_open_ = false;
};

// "[#######.....] 7/12 done, 3 running, 1 failed, best val_accuracy=0.93 (trial 5)"
std::string StatusLine(const RunProgress& progress, const std::string& metric, int bar_width);

}  // namespace tuner

#endif  // TUNER_TUNER_PROGRESS_PRINTER_H_
