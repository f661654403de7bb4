#include "tuner/cli/progress_printer.h"

#include <sys/ioctl.h>

#include <algorithm>

namespace tuner {

std::string StatusLine(const RunProgress& p, const std::string& metric, int bar_width) {
  const int64_t done = p.counts.done();
  std::string line;
  if (bar_width > 0 && p.max_trials > 0) {
    const int filled =
        static_cast<int>(std::min<int64_t>(bar_width, done * bar_width / p.max_trials));
    line = "[" + std::string(filled, '#') + std::string(bar_width - filled, '.') + "] ";
  }
  line += std::to_string(done) + "/" + std::to_string(p.max_trials) + " done, " +
          std::to_string(p.counts.running()) + " running, " + std::to_string(p.counts.failed) +
          " failed";
  if (p.counts.stopped > 0) line += ", " + std::to_string(p.counts.stopped) + " stopped";
  if (p.best_trial) {
    line += ", best " + metric + "=" + FormatValue(p.best_value) + " (trial " +
            std::to_string(*p.best_trial) + ")";
  }
  return line;
}

std::string FitToWidth(const std::string& line, int width) {
  const size_t max = static_cast<size_t>(std::max(1, width - 1));
  size_t columns = 0, i = 0;
  while (i < line.size()) {
    // One character: a lead byte and its continuation bytes (10xxxxxx).
    size_t next = i + 1;
    while (next < line.size() && (static_cast<unsigned char>(line[next]) & 0xC0) == 0x80) ++next;
    if (columns + 1 > max) break;
    ++columns;
    i = next;
  }
  return line.substr(0, i);
}

int ProgressPrinter::Width() const {
  winsize size{};
  if (ioctl(fileno(out_), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

void ProgressPrinter::Show(const RunProgress& p) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!live_) {
    std::fprintf(out_, "%s  [%s]\n", p.event.c_str(), StatusLine(p, metric_, 0).c_str());
    std::fflush(out_);
    return;
  }
  // Clear the status line, print the event above it, redraw the status.
  status_ = StatusLine(p, metric_, 24);
  std::fprintf(out_, "\r\033[K%s\n%s", p.event.c_str(), FitToWidth(Status(), Width()).c_str());
  std::fflush(out_);
  line_open_ = true;
}

std::string ProgressPrinter::Status() const {
  return condition_.empty() ? status_ : condition_ + " | " + status_;
}

void ProgressPrinter::Notice(const std::string& event, const std::string& condition) {
  std::lock_guard<std::mutex> lock(mu_);
  condition_ = condition;
  if (!live_) {
    std::fprintf(out_, "%s\n", event.c_str());
  } else {
    std::fprintf(out_, "\r\033[K%s\n%s", event.c_str(), FitToWidth(Status(), Width()).c_str());
    line_open_ = true;
  }
  std::fflush(out_);
}

void ProgressPrinter::Redraw() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!live_ || !line_open_) return;
  std::fprintf(out_, "\r\033[K%s", FitToWidth(Status(), Width()).c_str());
  std::fflush(out_);
}

void ProgressPrinter::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (line_open_) std::fprintf(out_, "\n");
  line_open_ = false;
  std::fflush(out_);
}

}  // namespace tuner
