// Edit distance between short strings, for "did you mean" hints on misspelt
// keys and names. Pure functions; no allocation beyond two rows of ints.
#ifndef TUNER_STUDY_EDIT_DISTANCE_H_
#define TUNER_STUDY_EDIT_DISTANCE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tuner {

// Optimal-string-alignment distance (Levenshtein plus transposition of two
// adjacent characters), case-insensitive for ASCII letters.
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a plausible
// typo: distance <= 1 for candidates of up to 4 characters, <= 2 otherwise.
// Ties go to the earlier candidate. nullopt when none is close or when `word`
// is itself one of the candidates.
std::optional<std::string> ClosestMatch(std::string_view word,
                                        const std::vector<std::string>& candidates);

}  // namespace tuner

#endif  // TUNER_STUDY_EDIT_DISTANCE_H_
