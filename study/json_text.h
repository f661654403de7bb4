// Reading JSON text for validation: nlohmann's parser plus two things it does
// not report by itself, duplicate keys (an error: the later value would win
// silently) and the order in which paths appear, so that faults can be listed
// in document order. Objects keep their keys in document order.
// Nothing here throws.
#ifndef TUNER_STUDY_JSON_TEXT_H_
#define TUNER_STUDY_JSON_TEXT_H_

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "study/study_json.h"

namespace tuner {

using Json = nlohmann::ordered_json;

struct JsonText {
  std::optional<Json> value;         // nullopt when the text is not valid JSON
  std::vector<StudyFault> faults;    // the syntax error (path ""), duplicate keys
  std::map<std::string, int> order;  // path -> rank of its first appearance
};

JsonText ReadJsonText(std::string_view text);

// Stable-sorts `faults` by the rank of their path in `order`; a path that is
// not in the document (a missing key) takes the rank of its nearest enclosing
// path that is.
void SortByDocumentOrder(const std::map<std::string, int>& order, std::vector<StudyFault>* faults);

}  // namespace tuner

#endif  // TUNER_STUDY_JSON_TEXT_H_
