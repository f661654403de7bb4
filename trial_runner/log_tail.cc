#include "trial_runner/log_tail.h"

#include <fstream>

namespace tuner {

std::string LastLines(std::string_view text, int lines) {
  if (lines <= 0 || text.empty()) return "";
  size_t end = text.size();
  if (text[end - 1] == '\n') --end;  // the last line's own newline
  size_t begin = end;
  int found = 0;
  while (begin > 0) {
    if (text[begin - 1] == '\n' && ++found == lines) break;
    --begin;
  }
  return std::string(text.substr(begin, end - begin));
}

std::string ReadLogTail(const std::string& path, int lines, size_t max_bytes) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return "";
  const std::streamoff size = file.tellg();
  if (size <= 0) return "";
  const std::streamoff start = size > static_cast<std::streamoff>(max_bytes)
                                   ? size - static_cast<std::streamoff>(max_bytes)
                                   : 0;
  file.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  if (start > 0) {  // drop the partial first line
    const size_t newline = text.find('\n');
    text.erase(0, newline == std::string::npos ? text.size() : newline + 1);
  }
  return LastLines(text, lines);
}

}  // namespace tuner
