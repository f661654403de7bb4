// The typed JSON encodings used by the SQLite store's TEXT columns.
#include "storage/json_codec.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "tests/storage/store_test_util.h"

namespace tuner {
namespace {

using testing::SameTypedValue;

TEST_CASE("json_codec: doubles are written as JSON floats", "[json]") {
  absl::StatusOr<std::string> text =
      EncodeAssignment({{"a", 3.0}, {"b", int64_t{3}}, {"c", std::string("3")}, {"d", 1e300}});
  TUNER_REQUIRE_OK(text);
  CHECK(*text == R"({"a":3.0,"b":3,"c":"3","d":1e+300})");
}

TEST_CASE("json_codec: assignments round-trip with their types", "[json]") {
  const Assignment assignment = {
      {"integral_double", 3.0},
      {"negative_zero", -0.0},
      {"big_integral_double", 1e20},
      {"max_double", std::numeric_limits<double>::max()},
      {"denormal", std::numeric_limits<double>::denorm_min()},
      {"int_max", std::numeric_limits<int64_t>::max()},
      {"int_min", std::numeric_limits<int64_t>::min()},
      {"string", std::string("line\nbreak \"quoted\" \xC3\xA9")},
  };
  absl::StatusOr<std::string> text = EncodeAssignment(assignment);
  TUNER_REQUIRE_OK(text);
  absl::StatusOr<Assignment> back = DecodeAssignment(*text);
  TUNER_REQUIRE_OK(back);
  REQUIRE(back->size() == assignment.size());
  for (const auto& [name, value] : assignment) {
    INFO(name << " in " << *text);
    CHECK(SameTypedValue(back->at(name), value));
  }
}

TEST_CASE("json_codec: non-finite numbers and invalid UTF-8 are InvalidArgument", "[json]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(EncodeAssignment({{"x", nan}}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(EncodeAssignment({{"x", -inf}}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(EncodeMetrics({{"loss", inf}}).status().code() == absl::StatusCode::kInvalidArgument);
  Measurement m;
  m.elapsed_secs = nan;
  CHECK(EncodeMeasurement(m).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(EncodeAssignment({{"x", std::string("\xFF\xFE")}}).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("json_codec: measurements round-trip", "[json]") {
  Measurement m;
  m.step = -3;
  m.elapsed_secs = 12.5;
  m.metrics = {{"loss", 0.1}, {"acc", 1.0}};
  absl::StatusOr<std::string> text = EncodeMeasurement(m);
  TUNER_REQUIRE_OK(text);
  absl::StatusOr<Measurement> back = DecodeMeasurement(*text);
  TUNER_REQUIRE_OK(back);
  CHECK(back->step == m.step);
  CHECK(back->elapsed_secs == m.elapsed_secs);
  CHECK(back->metrics == m.metrics);
}

TEST_CASE("json_codec: text no encoder wrote is Internal", "[json]") {
  for (const char* text : {"", "not json", "[1, 2]", R"({"x": null})", R"({"x": [1]})",
                           R"({"x": 18446744073709551615})"}) {
    INFO(text);
    CHECK(DecodeAssignment(text).status().code() == absl::StatusCode::kInternal);
  }
  CHECK(DecodeMetrics(R"({"loss": "low"})").status().code() == absl::StatusCode::kInternal);
  CHECK(DecodeMeasurement(R"({"step": 1.5, "elapsed_secs": 0, "metrics": {}})").status().code() ==
        absl::StatusCode::kInternal);
  CHECK(DecodeMeasurement(R"({"step": 1})").status().code() == absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace tuner
