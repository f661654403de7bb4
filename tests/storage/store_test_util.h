// Helpers shared by the storage tests: unique temporary directories, status
// printing for Catch2, and field-by-field comparison of stored values.
#ifndef TUNER_TESTS_STORAGE_STORE_TEST_UTIL_H_
#define TUNER_TESTS_STORAGE_STORE_TEST_UTIL_H_

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "algorithms/trial.h"
#include "storage/store.h"

namespace Catch {
template <>
struct StringMaker<absl::StatusCode> {
  static std::string convert(absl::StatusCode code) { return absl::StatusCodeToString(code); }
};
template <>
struct StringMaker<absl::Status> {
  static std::string convert(const absl::Status& status) { return status.ToString(); }
};
}  // namespace Catch

namespace tuner::testing {

inline std::string StatusText(const absl::Status& status) { return status.ToString(); }
template <typename T>
std::string StatusText(const absl::StatusOr<T>& status_or) {
  return status_or.status().ToString();
}

#define TUNER_REQUIRE_OK(expr)                                                     \
  do {                                                                             \
    const auto& tuner_require_ok_value = (expr);                                   \
    INFO(#expr << " -> " << ::tuner::testing::StatusText(tuner_require_ok_value)); \
    REQUIRE(tuner_require_ok_value.ok());                                          \
  } while (0)

// A fresh directory under the system temp dir, named after `tag`, the pid and
// a counter; removed with its contents on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("tuner_storage_test_" + tag + "_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Same type and the same bits (so 0.0 and -0.0 differ, and NaN equals NaN).
inline bool SameTypedValue(const ParameterValue& a, const ParameterValue& b) {
  if (a.index() != b.index()) return false;
  if (const double* x = std::get_if<double>(&a)) {
    double y = std::get<double>(b);
    return std::memcmp(x, &y, sizeof(double)) == 0;
  }
  return a == b;
}

inline void CheckSameMeasurement(const Measurement& a, const Measurement& b) {
  CHECK(a.step == b.step);
  CHECK(a.elapsed_secs == b.elapsed_secs);
  CHECK(a.metrics == b.metrics);
}

inline void CheckSameTrial(const Trial& a, const Trial& b) {
  INFO("trial " << a.id << " vs " << b.id);
  CHECK(a.id == b.id);
  CHECK(ToString(a.state) == std::string(ToString(b.state)));
  CHECK(a.origin == b.origin);
  CHECK(a.retry_of == b.retry_of);
  REQUIRE(a.parameters.size() == b.parameters.size());
  for (const auto& [name, value] : a.parameters) {
    INFO("parameter " << name);
    auto it = b.parameters.find(name);
    REQUIRE(it != b.parameters.end());
    CHECK(SameTypedValue(value, it->second));
  }
  REQUIRE(a.measurements.size() == b.measurements.size());
  for (size_t i = 0; i < a.measurements.size(); ++i) {
    CheckSameMeasurement(a.measurements[i], b.measurements[i]);
  }
  REQUIRE(a.final_measurement.has_value() == b.final_measurement.has_value());
  if (a.final_measurement) CheckSameMeasurement(*a.final_measurement, *b.final_measurement);
  CHECK(a.client_id == b.client_id);
  CHECK(a.reason == b.reason);
  CHECK(a.create_time == b.create_time);
  CHECK(a.end_time == b.end_time);
}

inline void CheckSameStudy(const StudyRecord& a, const StudyRecord& b) {
  CHECK(a.name == b.name);
  CHECK(a.spec_json == b.spec_json);
  CHECK(a.state == b.state);
  CHECK(a.create_time == b.create_time);
}

}  // namespace tuner::testing

#endif  // TUNER_TESTS_STORAGE_STORE_TEST_UTIL_H_
