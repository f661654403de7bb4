// Names the study format accepts for parameters, resources and environment
// variables: a letter or '_', then letters, digits or '_'.
#ifndef TUNER_STUDY_IDENTIFIER_H_
#define TUNER_STUDY_IDENTIFIER_H_

#include <string_view>

namespace tuner {

inline bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

}  // namespace tuner

#endif  // TUNER_STUDY_IDENTIFIER_H_
