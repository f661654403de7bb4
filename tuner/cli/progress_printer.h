// Shows a run's progress: on a terminal, a status line redrawn in place with
// event lines scrolling above it; elsewhere, one plain line per event.
#ifndef TUNER_TUNER_CLI_PROGRESS_PRINTER_H_
#define TUNER_TUNER_CLI_PROGRESS_PRINTER_H_

#include <cstdio>
#include <mutex>
#include <string>

#include "tuner/cli/orchestrator.h"

namespace tuner {

// Thread-safe: Show, Redraw and Close may be called from any thread.
class ProgressPrinter {
 public:
  // `out` is not owned; `live` redraws a status line cut to the terminal's
  // width (use for terminals).
  ProgressPrinter(std::FILE* out, bool live, std::string metric)
      : out_(out), live_(live), metric_(std::move(metric)) {}
  void Show(const RunProgress& progress);
  // Draws the status line again at the terminal's current width (SIGWINCH).
  void Redraw();
  // Prints `event` as an event line, and shows `condition` at the head of
  // the status line until a later call clears it with "" (e.g. "server
  // unreachable since 12:03:04").
  void Notice(const std::string& event, const std::string& condition);
  // Ends the live line (call once at the end).
  void Close();

 private:
  // The terminal's width in columns (80 when it cannot be read).
  int Width() const;

  std::FILE* out_;
  bool live_;
  std::string metric_;
  std::mutex mu_;
  bool line_open_ = false;  // guarded by mu_
  std::string status_;      // the last status line, uncut; guarded by mu_
  std::string condition_;   // shown before the status; guarded by mu_
  // status_ with the condition before it.
  std::string Status() const;
};

// `line` cut to at most `width` - 1 columns (the last column is left free so
// that the terminal never wraps), never inside a UTF-8 sequence.
std::string FitToWidth(const std::string& line, int width);

// "[#######.....] 7/12 done, 3 running, 1 failed, best val_accuracy=0.93 (trial 5)"
std::string StatusLine(const RunProgress& progress, const std::string& metric, int bar_width);

}  // namespace tuner

#endif  // TUNER_TUNER_CLI_PROGRESS_PRINTER_H_
