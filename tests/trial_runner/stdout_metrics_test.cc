#include "trial_runner/stdout_metrics.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

namespace tuner {
namespace {

using Metrics = std::map<std::string, double>;

StdoutMetricParser Parser(const std::string& pattern = "", const std::string& step_key = "epoch") {
  absl::StatusOr<StdoutMetricParser> parser = StdoutMetricParser::Create(pattern, step_key);
  REQUIRE(parser.ok());
  return *parser;
}

TEST_CASE("default pattern: name=value pairs anywhere on a line with the step key") {
  StdoutMetricParser parser = Parser();
  std::optional<Measurement> m =
      parser.ParseLine("INFO 12:00:01 epoch=2 loss=0.25 val/acc = 9e-1 lr=1E-3 top_5-err=-.5", 1.5);
  REQUIRE(m);
  CHECK(m->step == 2);
  CHECK(m->elapsed_secs == 1.5);
  CHECK(m->metrics ==
        Metrics{{"loss", 0.25}, {"val/acc", 0.9}, {"lr", 0.001}, {"top_5-err", -0.5}});
}

TEST_CASE("lines without the step key are log lines, not measurements") {
  StdoutMetricParser parser = Parser();
  CHECK_FALSE(parser.ParseLine("loading data from path=/tmp/data seed=7", 0));
  CHECK_FALSE(parser.ParseLine("loss=3", 0));
  CHECK_FALSE(parser.ParseLine("step=120 loss=0.2", 0));  // step is not the key
  // A noisy trainer: each epoch line followed by a debug line. Only the
  // epoch lines count, so the last measurement carries the objective.
  std::vector<Measurement> got;
  for (const char* line :
       {"loading data from path=/tmp/data seed=7", "epoch=1 loss=0.9", "debug: batch=128 took=0.10",
        "epoch=2 loss=0.5", "debug: batch=128 took=0.09", "done in t=3.5s"}) {
    if (std::optional<Measurement> m = parser.ParseLine(line, 0)) got.push_back(*m);
  }
  REQUIRE(got.size() == 2);
  CHECK(got[0].step == 1);
  CHECK(got[1].step == 2);
  CHECK(got[1].metrics == Metrics{{"loss", 0.5}});
}

TEST_CASE("the step key is the step, not a metric; other names stay metrics") {
  StdoutMetricParser parser = Parser();
  std::optional<Measurement> m = parser.ParseLine("epoch=3 loss=0.25 acc=0.9", 0);
  REQUIRE(m);
  CHECK(m->step == 3);
  CHECK(m->metrics == Metrics{{"loss", 0.25}, {"acc", 0.9}});

  m = parser.ParseLine("step=120 epoch=4 loss=0.2", 0);
  REQUIRE(m);
  CHECK(m->step == 4);
  CHECK(m->metrics == Metrics{{"step", 120}, {"loss", 0.2}});

  CHECK_FALSE(parser.ParseLine("epoch=5", 0));            // no metric beside the step
  CHECK_FALSE(parser.ParseLine("epoch=2.5 loss=1", 0));   // a step is a whole number
  CHECK_FALSE(parser.ParseLine("epoch=-1 loss=1", 0));    // >= 0
  CHECK_FALSE(parser.ParseLine("epoch=1e30 loss=1", 0));  // fits int64
  CHECK_FALSE(parser.ParseLine("epoch_loss=1 loss=1", 0));
}

TEST_CASE("the step key is configurable") {
  StdoutMetricParser parser = Parser("", "global_step");
  std::optional<Measurement> m = parser.ParseLine("epoch=1 global_step=300 loss=0.5", 0);
  REQUIRE(m);
  CHECK(m->step == 300);
  CHECK(m->metrics == Metrics{{"epoch", 1}, {"loss", 0.5}});
  CHECK_FALSE(parser.ParseLine("epoch=2 loss=0.4", 0));
  CHECK_FALSE(StdoutMetricParser::Create("", "").ok());
}

TEST_CASE("garbage lines give nothing") {
  StdoutMetricParser parser = Parser();
  for (const char* line : {"", "hello world", "=3", "3=4", "epoch=1 version=1.2.3",
                           "epoch=1 took t=12ms", "epoch=1 a=b", "epoch=1 loss=", "epoch=1 x = nan",
                           "epoch=1 y=inf", "epoch=1 path=/a=b", "epoch=x loss=1"}) {
    INFO(line);
    CHECK_FALSE(parser.ParseLine(line, 0));
  }
  CHECK_FALSE(parser.ParseLine("epoch=1 " + std::string(10000, 'a') + "=1", 0));  // too long
}

TEST_CASE("a value at the end of a sentence counts") {
  StdoutMetricParser parser = Parser();
  std::optional<Measurement> m = parser.ParseLine("epoch=1 done, loss=0.5.", 0);
  REQUIRE(m);
  CHECK(m->metrics == Metrics{{"loss", 0.5}});
}

TEST_CASE("custom pattern: group 1 is the name, group 2 the value, matched repeatedly") {
  StdoutMetricParser parser = Parser(R"(([a-z_]+): ([-+0-9.eE]+|nan))");
  std::optional<Measurement> m =
      parser.ParseLine("epoch: 2 - loss: 0.3120 - accuracy: 0.9100 - val_loss: nan", 0);
  REQUIRE(m);
  CHECK(m->step == 2);
  CHECK(m->metrics == Metrics{{"loss", 0.312}, {"accuracy", 0.91}});    // nan skipped
  CHECK_FALSE(parser.ParseLine("loss: 0.3120 - accuracy: 0.9100", 0));  // no step key

  StdoutMetricParser with_epoch = Parser(R"((\w+)\s+([0-9.]+))");
  m = with_epoch.ParseLine("epoch 7 auc 0.75", 0);
  REQUIRE(m);
  CHECK(m->step == 7);
  CHECK(m->metrics == Metrics{{"auc", 0.75}});

  StdoutMetricParser numbers_only = Parser(R"(([a-z]+)=(\S+))");
  CHECK_FALSE(numbers_only.ParseLine("epoch=1 loss=high", 0));  // values must be numbers
}

TEST_CASE("with names, only those metrics are collected; other pairs are ignored") {
  absl::StatusOr<StdoutMetricParser> created =
      StdoutMetricParser::Create("", "step", {"loss", "val_accuracy"});
  REQUIRE(created.ok());
  const StdoutMetricParser& parser = *created;
  std::optional<Measurement> m =
      parser.ParseLine("step=4 loss=0.3 val_accuracy=0.8 lr=0.01 batch=128 took=0.1", 2);
  REQUIRE(m);
  CHECK(m->step == 4);
  CHECK(m->metrics == Metrics{{"loss", 0.3}, {"val_accuracy", 0.8}});
  // A line with the step key but none of the names is not a measurement:
  // it cannot become a last measurement without the objective.
  CHECK_FALSE(parser.ParseLine("step=5 batch=128 took=0.10", 2));
  // epoch is no longer the step key, so it is just another ignored pair.
  CHECK_FALSE(parser.ParseLine("epoch=5 loss=0.2", 2));
  m = parser.ParseLine("step=6 epoch=5 loss=0.2", 2);
  REQUIRE(m);
  CHECK(m->metrics == Metrics{{"loss", 0.2}});
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
