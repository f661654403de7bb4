// JSON paths as faults name them: `parameters[2].max`, `trainer.env.HOME`,
// `trainer.env["a b"]` for keys that are not plain words, "" for the document.
#ifndef TUNER_STUDY_JSON_PATH_H_
#define TUNER_STUDY_JSON_PATH_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace tuner {

// `parent.key`, or `key` when parent is the document; `parent["key"]` (JSON
// string escaping) when key is empty or has characters outside [A-Za-z0-9_-].
std::string KeyPath(std::string_view parent, std::string_view key);

// `parent[index]`.
std::string IndexPath(std::string_view parent, size_t index);

}  // namespace tuner

#endif  // TUNER_STUDY_JSON_PATH_H_
