#include "trial_runner/stdout_metrics.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

namespace tuner {
namespace {

using Metrics = std::map<std::string, double>;

StdoutMetricParser Parser(const std::string& pattern = "") {
  absl::StatusOr<StdoutMetricParser> parser = StdoutMetricParser::Create(pattern);
  REQUIRE(parser.ok());
  return *parser;
}

TEST_CASE("default pattern: name=value pairs anywhere on the line") {
  StdoutMetricParser parser = Parser();
  std::optional<Measurement> m =
      parser.ParseLine("INFO 12:00:01 loss=0.25 val/acc = 9e-1 lr=1E-3 top_5-err=-.5", 1.5);
  REQUIRE(m);
  CHECK(m->step == 1);
  CHECK(m->elapsed_secs == 1.5);
  CHECK(m->metrics ==
        Metrics{{"loss", 0.25}, {"val/acc", 0.9}, {"lr", 0.001}, {"top_5-err", -0.5}});
}

TEST_CASE("the step counts measured lines when no step or epoch is printed") {
  StdoutMetricParser parser = Parser();
  CHECK(parser.ParseLine("loss=3", 0)->step == 1);
  CHECK_FALSE(parser.ParseLine("loading data...", 0));
  CHECK(parser.ParseLine("loss=2", 0)->step == 2);
  CHECK(parser.ParseLine("loss=1", 0)->step == 3);
}

TEST_CASE("step or epoch on the line is the step, not a metric") {
  StdoutMetricParser parser = Parser();
  std::optional<Measurement> m = parser.ParseLine("epoch=3 loss=0.25 acc=0.9", 0);
  REQUIRE(m);
  CHECK(m->step == 3);
  CHECK(m->metrics == Metrics{{"loss", 0.25}, {"acc", 0.9}});

  m = parser.ParseLine("step=120 epoch=4 loss=0.2", 0);
  REQUIRE(m);
  CHECK(m->step == 120);  // step wins; epoch stays a metric
  CHECK(m->metrics == Metrics{{"epoch", 4}, {"loss", 0.2}});

  // Without one, counting goes on from the last step.
  CHECK(parser.ParseLine("loss=0.1", 0)->step == 121);
  // A line with only the step has no metric.
  CHECK_FALSE(parser.ParseLine("epoch=5", 0));
}

TEST_CASE("garbage lines give nothing") {
  StdoutMetricParser parser = Parser();
  for (const char* line : {"", "hello world", "=3", "3=4", "version=1.2.3", "took t=12ms", "a=b",
                           "loss=", "x = nan", "y=inf", "path=/tmp/a=b"}) {
    INFO(line);
    CHECK_FALSE(parser.ParseLine(line, 0));
  }
  CHECK_FALSE(parser.ParseLine(std::string(10000, 'a') + "=1", 0));  // too long a line
}

TEST_CASE("a value at the end of a sentence counts") {
  StdoutMetricParser parser = Parser();
  std::optional<Measurement> m = parser.ParseLine("done, loss=0.5.", 0);
  REQUIRE(m);
  CHECK(m->metrics == Metrics{{"loss", 0.5}});
}

TEST_CASE("custom pattern: group 1 is the name, group 2 the value, matched repeatedly") {
  StdoutMetricParser parser = Parser(R"(([a-z_]+): ([-+0-9.eE]+|nan))");
  std::optional<Measurement> m =
      parser.ParseLine("Epoch 2/10 - loss: 0.3120 - accuracy: 0.9100 - val_loss: nan", 0);
  REQUIRE(m);
  CHECK(m->step == 1);
  CHECK(m->metrics == Metrics{{"loss", 0.312}, {"accuracy", 0.91}});  // nan skipped

  StdoutMetricParser with_epoch = Parser(R"((\w+)\s+([0-9.]+))");
  m = with_epoch.ParseLine("epoch 7 auc 0.75", 0);
  REQUIRE(m);
  CHECK(m->step == 7);
  CHECK(m->metrics == Metrics{{"auc", 0.75}});

  StdoutMetricParser numbers_only = Parser(R"(([a-z]+)=(\S+))");
  CHECK_FALSE(numbers_only.ParseLine("loss=high", 0));  // values must be numbers
}

TEST_CASE("a pattern that is not a regex, or has too few groups, is rejected") {
  absl::StatusOr<StdoutMetricParser> bad = StdoutMetricParser::Create("(unclosed");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  bad = StdoutMetricParser::Create("(only)=one");
  REQUIRE_FALSE(bad.ok());
  CHECK(std::string(bad.status().message()).find("two capture groups") != std::string::npos);
}

}  // namespace
}  // namespace tuner
