// Typed reading of a parsed JSON document with path-tagged faults: the
// building blocks of the study validator. Each reader checks one value,
// appends at most one fault to a FaultList when the value is wrong (so
// validation goes on and lists every fault), and returns nullopt then.
#ifndef TUNER_STUDY_JSON_READER_H_
#define TUNER_STUDY_JSON_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "study/choices.h"
#include "study/json_text.h"
#include "study/study_json.h"

namespace tuner {

class FaultList {
 public:
  void Add(std::string path, std::string message) {
    faults_.push_back({std::move(path), std::move(message)});
  }
  size_t size() const { return faults_.size(); }
  std::vector<StudyFault>& faults() { return faults_; }

 private:
  std::vector<StudyFault> faults_;
};

// "string", "number", "boolean", "null", "array" or "object".
std::string TypeName(const Json& value);
// What a "got ..." clause says: numbers as written (2.5), strings quoted and
// shortened, other values by their type name.
std::string Describe(const Json& value);
// `text` as a JSON string literal, e.g. "sgd" with its quotes.
std::string Quote(std::string_view text);
// "a, b, c".
std::string JoinNames(const std::vector<std::string>& names);

// A string (may be empty).
std::optional<std::string> ReadString(const Json& value, const std::string& path,
                                      FaultList* faults);
// An integral number (2, 2.0, 2e3) in [lo, hi].
std::optional<int64_t> ReadInteger(const Json& value, const std::string& path, int64_t lo,
                                   int64_t hi, FaultList* faults);
// A non-negative integral number that fits in 64 bits.
std::optional<uint64_t> ReadUnsigned(const Json& value, const std::string& path, FaultList* faults);
// A finite number.
std::optional<double> ReadNumber(const Json& value, const std::string& path, FaultList* faults);
// One of `choices.available`; anything else gets the list and, when close
// to one, a hint.
std::optional<std::string> ReadChoice(const Json& value, const std::string& path,
                                      const NamedChoices& choices, FaultList* faults);

// The members of one JSON object. Construction reports every key that is not
// in `known_keys` as unknown (with a "did you mean" hint when one is close).
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string path, std::vector<std::string> known_keys,
               FaultList* faults);

  const std::string& path() const { return path_; }
  std::string PathOf(std::string_view key) const;
  // nullptr when absent.
  const Json* Find(std::string_view key) const;
  // nullptr, and a fault "required" + `hint`, when absent.
  const Json* Require(std::string_view key, std::string_view hint = "");

  // Optional members: absent leaves `*out` (its default) alone; a wrong value
  // is a fault and also leaves it alone. They return whether the member was
  // present and valid.
  bool String(std::string_view key, std::string* out);
  bool Integer(std::string_view key, int64_t lo, int64_t hi, int64_t* out);
  bool Integer(std::string_view key, int lo, int hi, int* out);
  bool Unsigned(std::string_view key, uint64_t* out);
  bool Choice(std::string_view key, const NamedChoices& choices, std::string* out);
  // The same for an enum whose value i is choices.available[i].
  template <typename Enum>
  bool Choice(std::string_view key, const NamedChoices& choices, Enum* out) {
    std::string name;
    if (!Choice(key, choices, &name)) return false;
    *out = static_cast<Enum>(ChoiceIndex(choices, name));
    return true;
  }
  // The member if it is an object; a fault if present and not an object.
  const Json* Object(std::string_view key);

 private:
  const Json& object_;
  std::string path_;
  FaultList* faults_;
};

}  // namespace tuner

#endif  // TUNER_STUDY_JSON_READER_H_
