// Good study files parse with the expected values and defaults, and the
// canonical JSON of a spec reads back as the same spec.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "study/study_json.h"

namespace tuner {
namespace {

std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(TUNER_SOURCE_DIR) + "/" + relative);
  REQUIRE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string FaultsOf(const StudyParseResult& result) {
  std::string out;
  for (const StudyFault& fault : result.faults) out += fault.ToString() + "\n";
  return out;
}

StudySpec ParseOk(const std::string& json) {
  const StudyParseResult result = ParseStudy(json);
  INFO(FaultsOf(result));
  REQUIRE(result.ok());
  return result.spec;
}

// The example study of docs/study-format.md with the algorithm and stopping rule of this build.
std::string DesignExampleForThisBuild() {
  std::string json = ReadSourceFile("examples/design_example.json");
  json = Replace(json, R"("name": "bayesian")", R"("name": "sobol")");
  return Replace(json, R"("rule": "median")", R"("rule": "none")");
}

void CheckSameSpec(const StudySpec& a, const StudySpec& b) {
  CHECK(a.name == b.name);
  REQUIRE(a.objectives.size() == b.objectives.size());
  for (size_t i = 0; i < a.objectives.size(); ++i) {
    CHECK(a.objectives[i].metric == b.objectives[i].metric);
    CHECK(a.objectives[i].goal == b.objectives[i].goal);
  }
  CHECK(a.algorithm.name == b.algorithm.name);
  CHECK(a.algorithm.seed == b.algorithm.seed);
  CHECK(a.max_trials == b.max_trials);
  CHECK(a.max_parallel_trials == b.max_parallel_trials);
  CHECK(a.max_failed_trials == b.max_failed_trials);
  CHECK(a.early_stopping.rule == b.early_stopping.rule);
  CHECK(a.early_stopping.min_trials == b.early_stopping.min_trials);
  CHECK(a.early_stopping.grace_steps == b.early_stopping.grace_steps);
  REQUIRE(a.space.parameters.size() == b.space.parameters.size());
  for (size_t i = 0; i < a.space.parameters.size(); ++i) {
    const ParameterSpec& p = a.space.parameters[i];
    const ParameterSpec& q = b.space.parameters[i];
    CHECK(p.name == q.name);
    CHECK(p.type == q.type);
    CHECK(p.min == q.min);
    CHECK(p.max == q.max);
    CHECK(p.values == q.values);  // same alternatives, not just the same numbers
    CHECK(p.scale == q.scale);
    REQUIRE(p.when.has_value() == q.when.has_value());
    if (p.when) {
      CHECK(p.when->parent == q.when->parent);
      CHECK(p.when->values == q.when->values);
    }
  }
  CHECK(a.has_trainer == b.has_trainer);
  CHECK(a.trainer.command == b.trainer.command);
  CHECK(a.trainer.cluster.chief == b.trainer.cluster.chief);
  CHECK(a.trainer.cluster.worker == b.trainer.cluster.worker);
  CHECK(a.trainer.cluster.ps == b.trainer.cluster.ps);
  CHECK(a.trainer.env == b.trainer.env);
  CHECK(a.trainer.backend == b.trainer.backend);
  CHECK(a.trainer.timeout_s == b.trainer.timeout_s);
  CHECK(a.trainer.metrics.source == b.trainer.metrics.source);
  CHECK(a.trainer.metrics.pattern == b.trainer.metrics.pattern);
}

void CheckRoundTrip(const std::string& json) {
  const StudySpec spec = ParseOk(json);
  const std::string canonical = ToCanonicalJson(spec);
  INFO(canonical);
  const StudySpec again = ParseOk(canonical);
  CheckSameSpec(spec, again);
  CHECK(ToCanonicalJson(again) == canonical);
}

const char* kObjectivesStudy = R"({
  "name": "pareto.v2",
  "objectives": [{"metric": "accuracy", "goal": "maximize"},
                 {"metric": "latency_ms", "goal": "minimize"}],
  "parameters": [{"name": "depth", "type": "integer", "min": 2, "max": 8}]
})";

const char* kAttachedStudy = R"({
  "name": "ask-tell",
  "objective": {"metric": "loss", "goal": "minimize"},
  "algorithm": {"name": "grid"},
  "parameters": [
    {"name": "batch", "type": "discrete", "values": [256, 16, 64.5, 0.25], "scale": "log"},
    {"name": "x", "type": "double", "min": -1e-300, "max": 0.30000000000000004},
    {"name": "n", "type": "integer", "min": -3, "max": 4000000000, "scale": "linear"},
    {"name": "k", "type": "integer", "min": 1, "max": 1000, "scale": "reverse_log"},
    {"name": "y", "type": "double", "min": 0, "max": 1, "when": {"batch": [64.5, 16]}},
    {"name": "z", "type": "categorical", "values": ["b", "a"], "when": {"n": [2, -3.0]}},
    {"name": "w", "type": "integer", "min": 0, "max": 1, "when": {"z": ["a"]}}
  ]
})";

TEST_CASE("the study-format example parses without a fault (every name is built)") {
  const StudyParseResult result = ParseStudy(ReadSourceFile("examples/design_example.json"));
  INFO(FaultsOf(result));
  CHECK(result.ok());
}

TEST_CASE("the study-format example parses with every value") {
  const StudySpec spec = ParseOk(DesignExampleForThisBuild());
  CHECK(spec.name == "digits-mlp");
  REQUIRE(spec.objectives.size() == 1);
  CHECK(spec.objectives[0].metric == "val_accuracy");
  CHECK(spec.objectives[0].goal == Goal::kMaximize);
  CHECK(ToString(spec.algorithm.name) == "sobol");
  CHECK(spec.algorithm.seed == 7);
  CHECK(spec.max_trials == 40);
  CHECK(spec.max_parallel_trials == 4);
  CHECK(spec.max_failed_trials == 5);
  CHECK(ToString(spec.early_stopping.rule) == "none");
  CHECK(spec.early_stopping.min_trials == 5);
  CHECK(spec.early_stopping.grace_steps == 2);

  const std::vector<ParameterSpec>& p = spec.space.parameters;
  REQUIRE(p.size() == 6);
  CHECK(p[0].name == "learning_rate");
  CHECK(p[0].type == ParameterType::kDouble);
  CHECK(p[0].min == 1e-4);
  CHECK(p[0].max == 0.3);
  CHECK(p[0].scale == Scale::kLog);
  CHECK_FALSE(p[0].when.has_value());

  CHECK(p[1].name == "hidden_units");
  CHECK(p[1].type == ParameterType::kDiscrete);
  // Whole numbers: integers (an int in Python, 32 in TUNER_PARAMS).
  CHECK(p[1].values ==
        std::vector<ParameterValue>{int64_t{32}, int64_t{64}, int64_t{128}, int64_t{256}});
  CHECK(p[1].scale == Scale::kLinear);

  CHECK(p[2].name == "layers");
  CHECK(p[2].type == ParameterType::kInteger);
  CHECK(p[2].min == 1);
  CHECK(p[2].max == 3);
  CHECK(p[2].Cardinality() == 3);
  CHECK(p[3].name == "input_buckets");
  CHECK(p[3].min == 2);
  CHECK(p[3].max == 16);

  CHECK(p[4].name == "optimizer");
  CHECK(p[4].type == ParameterType::kCategorical);
  CHECK(p[4].values == std::vector<ParameterValue>{std::string("adam"), std::string("sgd")});

  CHECK(p[5].name == "momentum");
  CHECK(p[5].min == 0.0);
  CHECK(p[5].max == 0.99);
  REQUIRE(p[5].when.has_value());
  CHECK(p[5].when->parent == "optimizer");
  CHECK(p[5].when->values == std::vector<ParameterValue>{std::string("sgd")});

  REQUIRE(spec.has_trainer);
  CHECK(spec.trainer.command ==
        std::vector<std::string>{"/usr/bin/python3", "train.py", "--epochs=10"});
  CHECK(spec.trainer.cluster.chief == 1);
  CHECK(spec.trainer.cluster.worker == 1);
  CHECK(spec.trainer.cluster.ps == 0);
  CHECK(spec.trainer.env == std::map<std::string, std::string>{{"OMP_NUM_THREADS", "1"}});
  CHECK(ToString(spec.trainer.backend) == "local");
  CHECK(spec.trainer.timeout_s == 600);
  CHECK(ToString(spec.trainer.metrics.source) == "grpc");
  CHECK(spec.trainer.metrics.pattern.empty());

  // The space accepts an assignment of the active parameters.
  Assignment a = {{"learning_rate", 0.01},
                  {"hidden_units", 64.0},
                  {"layers", int64_t{2}},
                  {"input_buckets", int64_t{4}},
                  {"optimizer", std::string("sgd")},
                  {"momentum", 0.9}};
  CHECK(spec.space.Validate(a).ok());
}

TEST_CASE("a study with several objectives gets the defaults") {
  const StudySpec spec = ParseOk(kObjectivesStudy);
  CHECK(spec.name == "pareto.v2");
  REQUIRE(spec.objectives.size() == 2);
  CHECK(spec.objectives[0].metric == "accuracy");
  CHECK(spec.objectives[0].goal == Goal::kMaximize);
  CHECK(spec.objectives[1].metric == "latency_ms");
  CHECK(spec.objectives[1].goal == Goal::kMinimize);
  CHECK(ToString(spec.algorithm.name) == "random");
  CHECK(spec.algorithm.seed == 0);
  CHECK(spec.max_trials == 20);
  CHECK(spec.max_parallel_trials == 1);
  CHECK(spec.max_failed_trials == 0);
  CHECK(ToString(spec.early_stopping.rule) == "none");
  CHECK(spec.early_stopping.min_trials == 5);
  CHECK(spec.early_stopping.grace_steps == 0);
  REQUIRE(spec.space.parameters.size() == 1);
  CHECK(spec.space.parameters[0].scale == Scale::kLinear);
  CHECK_FALSE(spec.has_trainer);
}

TEST_CASE("an attached study: no trainer, values sorted and conditions coerced") {
  const StudySpec spec = ParseOk(kAttachedStudy);
  CHECK_FALSE(spec.has_trainer);
  CHECK(ToString(spec.algorithm.name) == "grid");
  const std::vector<ParameterSpec>& p = spec.space.parameters;
  REQUIRE(p.size() == 7);
  CHECK(p[0].values == std::vector<ParameterValue>{0.25, 16.0, 64.5, 256.0});
  CHECK(p[0].scale == Scale::kLog);
  CHECK(p[2].min == -3);
  CHECK(p[2].max == 4000000000.0);
  CHECK(p[3].scale == Scale::kReverseLog);
  REQUIRE(p[4].when.has_value());
  CHECK(p[4].when->values == std::vector<ParameterValue>{64.5, 16.0});  // as written
  REQUIRE(p[5].when.has_value());
  // An integer parent's values become int64, also when written as -3.0.
  CHECK(p[5].when->values == std::vector<ParameterValue>{int64_t{2}, int64_t{-3}});
  CHECK(p[5].values == std::vector<ParameterValue>{std::string("b"), std::string("a")});
  REQUIRE(p[6].when.has_value());
  CHECK(p[6].when->parent == "z");
}

TEST_CASE("trainer defaults and a stdout metric pattern") {
  const StudySpec spec = ParseOk(R"({
    "name": "t", "objective": {"metric": "m", "goal": "maximize"},
    "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
    "trainer": {"command": ["./train", ""],
                "metrics": {"source": "stdout", "pattern": "^(\\w+): ([-0-9.e]+)$"}}})");
  REQUIRE(spec.has_trainer);
  CHECK(spec.trainer.command == std::vector<std::string>{"./train", ""});
  CHECK(spec.trainer.cluster.chief == 1);
  CHECK(spec.trainer.cluster.worker == 0);
  CHECK(spec.trainer.cluster.ps == 0);
  CHECK(spec.trainer.env.empty());
  CHECK(ToString(spec.trainer.backend) == "local");
  CHECK(spec.trainer.timeout_s == 0);
  CHECK(ToString(spec.trainer.metrics.source) == "stdout");
  CHECK(spec.trainer.metrics.pattern == R"(^(\w+): ([-0-9.e]+)$)");
  CHECK(spec.trainer.metrics.step_key == "epoch");  // the default
}

TEST_CASE("trainer.metrics.step_key names the step of stdout lines") {
  const StudySpec spec = ParseOk(R"({
    "name": "t", "objective": {"metric": "m", "goal": "maximize"},
    "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
    "trainer": {"command": ["./train"],
                "metrics": {"source": "stdout", "step_key": "global_step"}}})");
  CHECK(spec.trainer.metrics.step_key == "global_step");
  const std::string canonical = ToCanonicalJson(spec);
  CHECK_THAT(canonical, Catch::Contains(R"("metrics": {
      "source": "stdout",
      "step_key": "global_step"
    })"));
  CHECK(ToCanonicalJson(ParseOk(canonical)) == canonical);
}

TEST_CASE("parameter roles and trainer.keep_checkpoints, with their defaults") {
  const StudySpec spec = ParseOk(R"({
    "name": "t", "objective": {"metric": "m", "goal": "maximize"},
    "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1},
                   {"name": "b", "type": "integer", "min": 2, "max": 9, "role": "preprocessing"},
                   {"name": "y", "type": "double", "min": 0, "max": 1, "role": "model"}],
    "trainer": {"command": ["./train"], "keep_checkpoints": 5}})");
  CHECK_FALSE(spec.space.parameters[0].preprocessing);
  CHECK(spec.space.parameters[1].preprocessing);
  CHECK_FALSE(spec.space.parameters[2].preprocessing);
  CHECK(spec.trainer.keep_checkpoints == 5);
  const std::string canonical = ToCanonicalJson(spec);
  CHECK_THAT(canonical, Catch::Contains(R"("role": "preprocessing")"));
  CHECK_THAT(canonical, Catch::Contains(R"("keep_checkpoints": 5)"));
  CHECK(ToCanonicalJson(ParseOk(canonical)) == canonical);
  const StudySpec defaults = ParseOk(R"({
    "name": "t", "objective": {"metric": "m", "goal": "maximize"},
    "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
    "trainer": {"command": ["./train"]}})");
  CHECK(defaults.trainer.keep_checkpoints == 2);
  CHECK_THAT(ToCanonicalJson(defaults), !Catch::Contains("keep_checkpoints"));
  CHECK_THAT(ToCanonicalJson(defaults), !Catch::Contains("role"));
}

TEST_CASE("trainer.metrics.names: the objectives' metrics unless given") {
  const StudySpec defaulted = ParseOk(R"({
    "name": "t", "objectives": [{"metric": "loss", "goal": "minimize"},
                                {"metric": "ms", "goal": "minimize"}],
    "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
    "trainer": {"command": ["./train"], "metrics": {"source": "stdout"}}})");
  CHECK(defaulted.trainer.metrics.names == std::vector<std::string>{"loss", "ms"});
  // The default is not written, so studies from before keep their form.
  CHECK_THAT(ToCanonicalJson(defaulted), !Catch::Contains("names"));
  CHECK(ToCanonicalJson(ParseOk(ToCanonicalJson(defaulted))) == ToCanonicalJson(defaulted));

  const StudySpec given = ParseOk(R"({
    "name": "t", "objective": {"metric": "loss", "goal": "minimize"},
    "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
    "trainer": {"command": ["./train"], "job_dir": true,
                "metrics": {"source": "hypertune", "names": ["loss", "accuracy"]}}})");
  CHECK(given.trainer.metrics.names == std::vector<std::string>{"loss", "accuracy"});
  CHECK(given.trainer.job_dir);
  const std::string canonical = ToCanonicalJson(given);
  CHECK_THAT(canonical, Catch::Contains(R"("metrics": {
      "source": "hypertune",
      "names": [
        "loss",
        "accuracy"
      ]
    },
    "job_dir": true)"));
  CHECK(ToCanonicalJson(ParseOk(canonical)) == canonical);

  // A gRPC trainer reports what it chooses: no names.
  const StudySpec grpc = ParseOk(R"({
    "name": "t", "objective": {"metric": "loss", "goal": "minimize"},
    "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}],
    "trainer": {"command": ["./train"]}})");
  CHECK(grpc.trainer.metrics.names.empty());
  CHECK_FALSE(grpc.trainer.job_dir);
}

TEST_CASE("integral numbers are accepted where integers are expected") {
  const StudySpec spec = ParseOk(R"({
    "name": "t", "objective": {"metric": "m", "goal": "maximize"},
    "max_trials": 1e3, "max_parallel_trials": 2.0,
    "algorithm": {"seed": 18446744073709551615},
    "parameters": [{"name": "x", "type": "integer", "min": 1.0, "max": 1}]})");
  CHECK(spec.max_trials == 1000);
  CHECK(spec.max_parallel_trials == 2);
  CHECK(spec.algorithm.seed == 18446744073709551615u);
  CHECK(spec.space.parameters[0].Cardinality() == 1);
}

TEST_CASE("canonical JSON reads back as the same spec") {
  CheckRoundTrip(DesignExampleForThisBuild());
  CheckRoundTrip(kObjectivesStudy);
  CheckRoundTrip(kAttachedStudy);
  CheckRoundTrip(R"j({
    "name": "t", "objective": {"metric": "m", "goal": "minimize"},
    "algorithm": {"name": "random", "seed": 18446744073709551615},
    "parameters": [{"name": "x", "type": "double", "min": 0.1, "max": 0.7000000000000001}],
    "trainer": {"command": ["a b", "ü"], "env": {"B": "2", "A": "x\"y"}, "timeout_s": 0.5,
                "cluster": {"worker": 3, "ps": 2},
                "metrics": {"source": "stdout", "pattern": "(\\w+)=(\\S+)"}}})j");
}

TEST_CASE("canonical JSON has every field in a fixed order") {
  const StudySpec spec = ParseOk(R"({
    "parameters": [{"type": "discrete", "values": [3, 1], "name": "d"},
                   {"name": "c", "values": ["u"], "type": "categorical", "when": {"d": [3]}}],
    "trainer": {"command": ["run"]},
    "objective": {"goal": "minimize", "metric": "loss"},
    "name": "order"})");
  CHECK(ToCanonicalJson(spec) == R"({
  "name": "order",
  "objective": {
    "metric": "loss",
    "goal": "minimize"
  },
  "algorithm": {
    "name": "random",
    "seed": 0
  },
  "max_trials": 20,
  "max_parallel_trials": 1,
  "max_failed_trials": 0,
  "early_stopping": {
    "rule": "none",
    "min_trials": 5,
    "grace_steps": 0
  },
  "parameters": [
    {
      "name": "d",
      "type": "discrete",
      "values": [
        1,
        3
      ],
      "scale": "linear"
    },
    {
      "name": "c",
      "type": "categorical",
      "values": [
        "u"
      ],
      "when": {
        "d": [
          3
        ]
      }
    }
  ],
  "trainer": {
    "command": [
      "run"
    ],
    "cluster": {
      "chief": 1,
      "worker": 0,
      "ps": 0
    },
    "env": {},
    "backend": "local",
    "timeout_s": 0.0,
    "metrics": {
      "source": "grpc"
    }
  }
})");
}

TEST_CASE("ParseStudyOrError returns the spec of a good file") {
  absl::StatusOr<StudySpec> spec = ParseStudyOrError(kObjectivesStudy);
  REQUIRE(spec.ok());
  CHECK(spec->name == "pareto.v2");
}

}  // namespace
}  // namespace tuner
