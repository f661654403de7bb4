#include "study/edit_distance.h"

#include <algorithm>
#include <cctype>

namespace tuner {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

int EditDistance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  // rows[k % 3] holds the distances from a[0, i) to every prefix of b, for the
  // last three values of i (the transposition step looks two rows back).
  std::vector<int> rows[3];
  for (auto& row : rows) row.assign(m + 1, 0);
  for (size_t j = 0; j <= m; ++j) rows[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    std::vector<int>& cur = rows[i % 3];
    const std::vector<int>& prev = rows[(i + 2) % 3];
    const std::vector<int>& prev2 = rows[(i + 1) % 3];
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= m; ++j) {
      const int cost = Lower(a[i - 1]) == Lower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && Lower(a[i - 1]) == Lower(b[j - 2]) &&
          Lower(a[i - 2]) == Lower(b[j - 1])) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
  }
  return rows[n % 3][m];
}

std::optional<std::string> ClosestMatch(std::string_view word,
                                        const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  int best_distance = 0;
  for (const std::string& candidate : candidates) {
    if (candidate == word) return std::nullopt;
    const int limit = candidate.size() <= 4 ? 1 : 2;
    const int d = EditDistance(word, candidate);
    if (d <= limit && (!best || d < best_distance)) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace tuner
