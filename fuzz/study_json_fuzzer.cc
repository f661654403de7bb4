// libFuzzer target: the study JSON parser on arbitrary bytes.
//
// ParseStudy must never crash, throw or hang. When a document parses, its
// canonical JSON must parse too and give the same canonical JSON (the
// property CreateStudy's resume check relies on).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "study/study_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  tuner::StudyParseResult first = tuner::ParseStudy(text);
  if (!first.ok()) {
    for (const tuner::StudyFault& f : first.faults) {
      if (f.message.empty()) {
        std::fprintf(stderr, "fault without a message at \"%s\"\n", f.path.c_str());
        std::abort();
      }
    }
    return 0;
  }
  const std::string canonical = tuner::ToCanonicalJson(first.spec);
  tuner::StudyParseResult second = tuner::ParseStudy(canonical);
  if (!second.ok()) {
    std::fprintf(stderr, "canonical JSON does not parse: %s\n%s\n",
                 second.faults.front().ToString().c_str(), canonical.c_str());
    std::abort();
  }
  const std::string again = tuner::ToCanonicalJson(second.spec);
  if (again != canonical) {
    std::fprintf(stderr, "canonical JSON is not stable:\n%s\n%s\n", canonical.c_str(),
                 again.c_str());
    std::abort();
  }
  return 0;
}
