#include "tuner/cli/json_log_formatter.h"

#include <spdlog/details/log_msg.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "nlohmann/json.hpp"

namespace tuner {
namespace {

std::string Format(spdlog::level::level_enum level, const std::string& text,
                   std::chrono::system_clock::time_point time) {
  spdlog::details::log_msg msg(spdlog::source_loc{}, "tuner", level,
                               spdlog::string_view_t(text.data(), text.size()));
  msg.time = time;
  msg.thread_id = 42;
  spdlog::memory_buf_t out;
  JsonLogFormatter().format(msg, out);
  return std::string(out.data(), out.size());
}

TEST_CASE("JsonLogFormatter: one JSON object per line, fields in order") {
  // 2026-12-01T06:35:12.000123Z
  const auto time = std::chrono::system_clock::time_point(
      std::chrono::microseconds(int64_t{1796106912} * 1000000 + 123));
  const std::string line = Format(spdlog::level::warn, "trial 3: \"odd\"\nsecond line", time);
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);  // the message's newline is escaped
  const nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(line);
  CHECK(parsed.dump() ==
        R"({"time":"2026-12-01T06:35:12.000123Z","level":"warning","logger":"tuner",)"
        R"("thread":42,"message":"trial 3: \"odd\"\nsecond line"})");
}

TEST_CASE("JsonLogFormatter: bytes that are not UTF-8 are replaced, the line still parses") {
  const std::string line =
      Format(spdlog::level::info, "path \xff\xfe end", std::chrono::system_clock::time_point{});
  const nlohmann::json parsed = nlohmann::json::parse(line);
  CHECK(parsed["message"] == "path \xEF\xBF\xBD\xEF\xBF\xBD end");
  CHECK(parsed["time"] == "1970-01-01T00:00:00.000000Z");
  CHECK(parsed["level"] == "info");
}

}  // namespace
}  // namespace tuner
