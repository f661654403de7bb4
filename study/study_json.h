// Parsing and validating study JSON (the format in docs/study-format.md).
//
// Validation collects every fault of a document, each with the JSON path of
// the fault and what was expected, e.g.
//   parameters[2].max: must be greater than min (5)
//   trainer.clustr: unknown key (did you mean "cluster"?)
#ifndef TUNER_STUDY_STUDY_JSON_H_
#define TUNER_STUDY_STUDY_JSON_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "study/study_spec.h"

namespace tuner {

struct StudyFault {
  std::string path;              // "parameters[2].max"; "" for the document itself
  std::string message;           // "must be greater than min (5)"
  std::string ToString() const;  // "path: message"
};

struct StudyParseResult {
  StudySpec spec;                  // meaningful only when faults is empty
  std::vector<StudyFault> faults;  // in document order
  bool ok() const { return faults.empty(); }
};

// Never throws; malformed JSON is one fault with the line and column.
StudyParseResult ParseStudy(std::string_view json_text);

// The spec or InvalidArgument whose message lists every fault, one per line.
absl::StatusOr<StudySpec> ParseStudyOrError(std::string_view json_text);

// Canonical JSON of a spec (all fields, fixed key order). Parsing it gives the
// same spec; two specs are the same study when their canonical JSON is equal.
std::string ToCanonicalJson(const StudySpec& spec);

// Parses `parameters_json` (an object name -> value) as an assignment for
// `space`, coercing JSON numbers to the parameter's type. Range and presence
// checks are SearchSpace::Validate's job.
absl::StatusOr<Assignment> ParseAssignment(const SearchSpace& space,
                                           std::string_view parameters_json);
std::string AssignmentToJson(const Assignment& assignment);

}  // namespace tuner

#endif  // TUNER_STUDY_STUDY_JSON_H_
