#include "tuner/cli/json_log_formatter.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "nlohmann/json.hpp"

namespace tuner {
namespace {

std::string Rfc3339Utc(std::chrono::system_clock::time_point time) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  long fraction = static_cast<long>(micros % 1000000);
  if (fraction < 0) {
    fraction += 1000000;
    --seconds;
  }
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, fraction);
  return text;
}

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  nlohmann::ordered_json line = nlohmann::ordered_json::object();
  line["time"] = Rfc3339Utc(msg.time);
  const spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
  line["level"] = std::string(level.data(), level.size());
  line["logger"] = std::string(msg.logger_name.data(), msg.logger_name.size());
  line["thread"] = msg.thread_id;
  line["message"] = std::string(msg.payload.data(), msg.payload.size());
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  dest.append(text.data(), text.data() + text.size());
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

void UseJsonLogs() {
  spdlog::default_logger()->set_formatter(std::make_unique<JsonLogFormatter>());
}

}  // namespace tuner
