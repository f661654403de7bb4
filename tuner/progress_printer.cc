#include "tuner/progress_printer.h"

#include <algorithm>

namespace tuner {

std::string StatusLine(const RunProgress& p, const std::string& metric, int bar_width) {
  const int64_t done = p.counts.completed + p.counts.stopped + p.counts.infeasible;
  std::string line;
  if (bar_width > 0 && p.max_trials > 0) {
    const int filled =
        static_cast<int>(std::min<int64_t>(bar_width, done * bar_width / p.max_trials));
    line = "[" + std::string(filled, '#') + std::string(bar_width - filled, '.') + "] ";
  }
  line += std::to_string(done) + "/" + std::to_string(p.max_trials) + " done, " +
          std::to_string(p.counts.running) + " running, " + std::to_string(p.counts.failed) +
          " failed";
  if (p.counts.stopped > 0) line += ", " + std::to_string(p.counts.stopped) + " stopped";
  if (p.best_trial) {
    line += ", best " + metric + "=" + FormatValue(p.best_value) + " (trial " +
            std::to_string(*p.best_trial) + ")";
  }
  return line;
}

void ProgressPrinter::Show(const RunProgress& p) {
  if (!live_) {
    std::fprintf(out_, "%s  [%s]\n", p.event.c_str(), StatusLine(p, metric_, 0).c_str());
    std::fflush(out_);
    return;
  }
  // Clear the status line, print the event above it, redraw the status.
  std::fprintf(out_, "\r\033[K%s\n%s", p.event.c_str(), StatusLine(p, metric_, 24).c_str());
  std::fflush(out_);
  line_open_ = true;
}

void ProgressPrinter::Close() {
  if (line_open_) std::fprintf(out_, "\n");
  line_open_ = false;
  std::fflush(out_);
}

}  // namespace tuner
