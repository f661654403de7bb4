// Bad study files: each is rejected with exactly one fault, at the right JSON
// path and saying what was expected; several faults are all listed.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "study/study_json.h"

namespace tuner {
namespace {

// A minimal valid study with `extra` appended to its top-level members.
std::string WithTop(const std::string& extra) {
  return R"({"name": "s", "objective": {"metric": "loss", "goal": "minimize"},
             "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}])" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

// The minimal study with `params` as parameters[1], parameters[2], ...
std::string WithParams(const std::string& params) {
  return R"({"name": "s", "objective": {"metric": "loss", "goal": "minimize"},
             "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}, )" +
         params + "]}";
}

// The minimal study with a trainer {"command": ["t"], <extra>}.
std::string WithTrainer(const std::string& extra) {
  return WithTop(R"("trainer": {"command": ["t"])" + (extra.empty() ? "" : ", " + extra) + "}");
}

// parameters[1] = categorical c [adam, sgd], [2] = integer n in [1, 3],
// [3] = discrete d [32, 64], then `child` as parameters[4].
std::string WithParents(const std::string& child) {
  return WithParams(R"({"name": "c", "type": "categorical", "values": ["adam", "sgd"]},
                       {"name": "n", "type": "integer", "min": 1, "max": 3},
                       {"name": "d", "type": "discrete", "values": [64, 32]}, )" +
                    child);
}

std::string ManyCategories(int n) {
  std::string values;
  for (int i = 0; i < n; ++i) values += (i ? ", \"v" : "\"v") + std::to_string(i) + "\"";
  return WithParams(R"({"name": "c", "type": "categorical", "values": [)" + values + "]}");
}

std::string ManyParameters(int n) {
  std::string params;
  for (int i = 1; i < n; ++i) {
    params += (i > 1 ? ", " : "") + std::string(R"({"name": "p)") + std::to_string(i) +
              R"(", "type": "integer", "min": 0, "max": 1})";
  }
  return WithParams(params);
}

// x, then two categoricals of 600 values: 1201 GP features, with `algorithm`.
std::string TooManyGpFeatures(const std::string& algorithm) {
  std::string params;
  for (const char* name : {"a", "b"}) {
    std::string values;
    for (int i = 0; i < 600; ++i) values += (i ? ", \"v" : "\"v") + std::to_string(i) + "\"";
    params += std::string(params.empty() ? "" : ", ") + R"({"name": ")" + name +
              R"(", "type": "categorical", "values": [)" + values + "]}";
  }
  return R"({"name": "s", "objective": {"metric": "loss", "goal": "minimize"}, "algorithm": )" +
         algorithm + R"(, "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}, )" +
         params + "]}";
}

struct BadFile {
  std::string json;
  std::string path;      // exact
  std::string fragment;  // part of the message
};

const std::vector<BadFile>& BadFiles() {
  static const auto* files = new std::vector<BadFile>{
      // The document.
      {"{\"name\": \"s\",\n  \"max_trials\": ,\n}", "", "invalid JSON at line 2, column 17"},
      {"", "", "invalid JSON at line 1, column 1"},
      {R"({"name": "s", "max_trials": 1e400})", "", "invalid JSON: number overflow"},
      {R"([{"name": "s"}])", "", "expected a JSON object at the top level, got array"},
      {WithTop(R"("max_trials": 3, "max_trials": 4)"), "max_trials", "duplicate key"},
      {WithTop(R"("max_trial": 3)"), "max_trial", R"(unknown key (did you mean "max_trials"?))"},
      {WithTop(R"("colour": "red")"), "colour", "unknown key (known keys: name, objective,"},
      // name
      {R"({"objective": {"metric": "m", "goal": "maximize"},
          "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
       "name", "required"},
      {R"({"name": "my study", "objective": {"metric": "m", "goal": "maximize"},
          "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
       "name", "may contain only letters, digits, '_', '.' and '-'"},
      {R"({"name": "", "objective": {"metric": "m", "goal": "maximize"},
          "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
       "name", "must not be empty"},
      {R"({"name": ")" + std::string(129, 'a') +
           R"(", "objective": {"metric": "m", "goal": "maximize"},
          "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
       "name", "must be at most 128 characters (got 129)"},
      {R"({"name": ".", "objective": {"metric": "m", "goal": "maximize"},
          "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
       "name", R"(must not be "." or "..")"},
      {R"({"name": "..", "objective": {"metric": "m", "goal": "maximize"},
          "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
       "name", R"(must not be "." or "..")"},
      {R"({"name": 7, "objective": {"metric": "m", "goal": "maximize"},
          "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
       "name", "expected a string, got number"},
      // objective / objectives
      {R"({"name": "s", "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
       "objective", "required"},
      {WithTop(R"("objectives": [{"metric": "b", "goal": "maximize"}])"), "objectives",
       "not allowed together with objective"},
      {R"({"name": "s", "objective": {"metric": "m", "goal": "maximise"},
          "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
       "objective.goal",
       R"(must be one of maximize, minimize (got "maximise"; did you mean "maximize"?))"},
      {R"({"name": "s", "objective": {"metric": "m"},
          "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
       "objective.goal", "required (maximize or minimize)"},
      {R"({"name": "s", "objective": {"metric": "", "goal": "maximize"},
          "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
       "objective.metric", "must not be empty"},
      {R"({"name": "s", "objective": "loss",
          "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
       "objective", "expected an object"},
      {R"({"name": "s", "objectives": [],
          "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
       "objectives", "must list at least one objective"},
      {R"({"name": "s", "objectives": [{"metric": "a", "goal": "maximize"},
                                       {"metric": "a", "goal": "minimize"}],
          "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
       "objectives[1].metric", R"(duplicate metric "a" (also objectives[0]))"},
      // algorithm, budgets, early stopping
      {WithTop(R"("algorithm": {"name": "bayesian", "acquisition": "pi"})"),
       "algorithm.acquisition", "must be one of log_ei, ucb"},
      {WithTop(R"("algorithm": {"name": "sobol", "initial_trials": 5})"),
       "algorithm.initial_trials", "only the bayesian algorithm takes this option"},
      {WithTop(R"("algorithm": {"name": "hyperband"})"), "algorithm.resource",
       R"(required ({"name": ..., "min": ..., "max": ...}))"},
      {WithTop(R"("algorithm": {"name": "annealing"})"), "algorithm.name",
       "must be one of random, grid, sobol"},
      {WithTop(R"("algorithm": {"name": "sobel"})"), "algorithm.name", R"(did you mean "sobol"?)"},
      {WithTop(R"("algorithm": {"name": "random", "seed": -1})"), "algorithm.seed",
       "must be at least 0 (got -1)"},
      {WithTop(R"("algorithm": {"seed": "7"})"), "algorithm.seed",
       "expected an integer, got string"},
      {WithTop(R"("algorithm": {"nmae": "grid"})"), "algorithm.nmae", R"(did you mean "name"?)"},
      {WithTop(R"("algorithm": "grid")"), "algorithm", "expected an object, got string"},
      {WithTop(R"("max_trials": "ten")"), "max_trials", "expected an integer, got string"},
      {WithTop(R"("max_trials": 0)"), "max_trials", "must be at least 1 (got 0)"},
      {WithTop(R"("max_parallel_trials": 2.5)"), "max_parallel_trials",
       "expected an integer, got 2.5"},
      {WithTop(R"("max_parallel_trials": 3000000000)"), "max_parallel_trials",
       "must be at most 2147483647"},
      {WithTop(R"("max_failed_trials": -1)"), "max_failed_trials", "must be at least 0 (got -1)"},
      {WithTop(R"("early_stopping": {"rule": "never"})"), "early_stopping.rule",
       "must be one of none, median, percentile, threshold, asha"},
      {WithTop(R"("early_stopping": {"rule": "median", "eta": 2})"), "early_stopping.eta",
       "only for rule asha"},
      {WithTop(R"("early_stopping": {"rule": "asha", "eta": 1.000001})"), "early_stopping.eta",
       "must be at least 1.5 (got 1.000001)"},
      {WithTop(R"("early_stopping": {"rule": "asha", "eta": 1})"), "early_stopping.eta",
       "must be at least 1.5 (got 1)"},
      {TooManyGpFeatures(R"({"name": "bayesian"})"), "parameters",
       "too large for the bayesian algorithm: at most 1024 features (one per numeric parameter, "
       "one per categorical value), got 1201"},
      {TooManyGpFeatures(R"({"name": "hyperband", "sampler": "bayesian",
                            "resource": {"name": "epochs", "max": 9}})"),
       "parameters", "too large for hyperband's bayesian sampler: at most 1024 features"},
      {WithTop(R"("early_stopping": {"rule": "percentile"})"), "early_stopping.percentile",
       "required"},
      {WithTop(R"("early_stopping": {"rule": "threshold"})"), "early_stopping.threshold",
       "required"},
      {WithTop(R"("early_stopping": {"min_trials": 0})"), "early_stopping.min_trials",
       "must be at least 1 (got 0)"},
      {WithTop(R"("early_stopping": {"grace_steps": -2})"), "early_stopping.grace_steps",
       "must be at least 0 (got -2)"},
      // parameters
      {R"({"name": "s", "objective": {"metric": "m", "goal": "maximize"}})", "parameters",
       "required"},
      {R"({"name": "s", "objective": {"metric": "m", "goal": "maximize"}, "parameters": []})",
       "parameters", "must list at least one parameter"},
      {R"({"name": "s", "objective": {"metric": "m", "goal": "maximize"}, "parameters": {}})",
       "parameters", "expected an array of parameters, got object"},
      {ManyParameters(257), "parameters", "at most 256 parameters (got 257)"},
      {WithParams(R"("y")"), "parameters[1]", "expected an object, got string"},
      {WithParams(R"({"type": "double", "min": 0, "max": 1})"), "parameters[1].name", "required"},
      {WithParams(R"({"name": "2lr", "type": "double", "min": 0, "max": 1})"), "parameters[1].name",
       "must be an identifier"},
      {WithParams(R"({"name": ")" + std::string(129, 'p') +
                  R"(", "type": "double", "min": 0, "max": 1})"),
       "parameters[1].name", "must be at most 128 characters"},
      {WithParams(R"({"name": "x", "type": "double", "min": 0, "max": 1})"), "parameters[1].name",
       R"(duplicate parameter name "x" (also parameters[0]))"},
      {WithParams(R"({"name": "y", "min": 0, "max": 1})"), "parameters[1].type",
       "required (double, integer, discrete or categorical)"},
      {WithParams(R"({"name": "y", "type": "float", "min": 0, "max": 1})"), "parameters[1].type",
       R"(did you mean "double"?)"},
      {WithParams(R"({"name": "y", "type": "integr", "min": 0, "max": 1, "values": [1]})"),
       "parameters[1].type", R"(did you mean "integer"?)"},
      {WithParams(R"({"name": "y", "type": "double", "min": 5, "max": 5})"), "parameters[1].max",
       "must be greater than min (5)"},
      {WithParams(R"({"name": "y", "type": "double", "max": 1})"), "parameters[1].min", "required"},
      {WithParams(R"({"name": "y", "type": "double", "min": "0", "max": 1})"), "parameters[1].min",
       "expected a number, got string"},
      {WithParams(R"({"name": "y", "type": "integer", "min": 1.5, "max": 3})"), "parameters[1].min",
       "expected an integer, got 1.5"},
      {WithParams(R"({"name": "y", "type": "integer", "min": 3, "max": 2})"), "parameters[1].max",
       "must be at least min (3)"},
      {WithParams(R"({"name": "y", "type": "integer", "min": 0, "max": 1e17})"),
       "parameters[1].max", "must be at most 9007199254740992"},
      {WithParams(R"({"name": "y", "type": "integer", "min": 1, "max": 3, "values": [1]})"),
       "parameters[1].values", "not allowed for integer parameters (use min and max)"},
      {WithParams(R"({"name": "y", "type": "discrete", "min": 1, "values": [1]})"),
       "parameters[1].min", "not allowed for discrete parameters (use values)"},
      {WithParams(R"({"name": "y", "type": "discrete", "values": []})"), "parameters[1].values",
       "must list at least one value"},
      {WithParams(R"({"name": "y", "type": "discrete"})"), "parameters[1].values", "required"},
      {WithParams(R"({"name": "y", "type": "discrete", "values": [1, 2, 1.0]})"),
       "parameters[1].values[2]", "duplicate value 1 (also parameters[1].values[0])"},
      {WithParams(R"({"name": "y", "type": "discrete", "values": [1, "2"]})"),
       "parameters[1].values[1]", "expected a number, got string"},
      {WithParams(R"({"name": "y", "type": "categorical", "values": ["a", 1]})"),
       "parameters[1].values[1]", "expected a string, got number"},
      {WithParams(R"({"name": "y", "type": "categorical", "values": ["a", ""]})"),
       "parameters[1].values[1]", "must not be empty"},
      {WithParams(R"({"name": "y", "type": "categorical", "values": ["a", "a"]})"),
       "parameters[1].values[1]", R"(duplicate value "a" (also parameters[1].values[0]))"},
      {WithParams(R"({"name": "y", "type": "categorical", "values": "a"})"), "parameters[1].values",
       "expected an array of strings, got string"},
      {ManyCategories(1001), "parameters[1].values", "at most 1000 values (got 1001)"},
      {WithParams(R"({"name": "y", "type": "categorical", "values": ["a"], "scale": "log"})"),
       "parameters[1].scale", "not allowed for categorical parameters"},
      {WithParams(R"({"name": "y", "type": "double", "min": 1, "max": 2, "scale": "logarithmic"})"),
       "parameters[1].scale", "must be one of linear, log, reverse_log"},
      {WithParams(R"({"name": "y", "type": "double", "min": 0, "max": 2, "scale": "log"})"),
       "parameters[1].min", R"(must be greater than 0 with scale "log" (got 0))"},
      {WithParams(
           R"({"name": "y", "type": "integer", "min": -1, "max": 2, "scale": "reverse_log"})"),
       "parameters[1].min", R"(must be greater than 0 with scale "reverse_log" (got -1))"},
      {WithParams(R"({"name": "y", "type": "discrete", "values": [4, 0, 2], "scale": "log"})"),
       "parameters[1].values", R"(all values must be greater than 0 with scale "log" (got 0))"},
      {WithParams(R"({"name": "y", "type": "double", "min": 1, "max": 2, "scael": "log"})"),
       "parameters[1].scael", R"(unknown key (did you mean "scale"?))"},
      // when
      {WithParams(R"({"name": "y", "type": "double", "min": 0, "max": 1, "when": {"c": ["a"]}},
                     {"name": "c", "type": "categorical", "values": ["a"]})"),
       "parameters[1].when.c",
       R"(parent "c" must be defined before this parameter (it is parameters[2]))"},
      {WithParents(
           R"({"name": "y", "type": "double", "min": 0, "max": 1, "when": {"cc": ["sgd"]}})"),
       "parameters[4].when.cc", R"(no parameter named "cc" (did you mean "c"?))"},
      {WithParents(R"({"name": "y", "type": "double", "min": 0, "max": 1, "when": {"x": [0]}})"),
       "parameters[4].when.x", R"(parent "x" is a double parameter)"},
      {WithParents(R"({"name": "y", "type": "double", "min": 0, "max": 1,
                      "when": {"c": ["rmsprop"]}})"),
       "parameters[4].when.c[0]", R"("rmsprop" is not one of c's values ("adam", "sgd"))"},
      {WithParents(R"({"name": "y", "type": "double", "min": 0, "max": 1,
                      "when": {"c": ["sgd"], "n": [1]}})"),
       "parameters[4].when", "must have exactly one key, the parent's name (got 2)"},
      {WithParents(R"({"name": "y", "type": "double", "min": 0, "max": 1, "when": {"c": []}})"),
       "parameters[4].when.c", "must list at least one of c's values"},
      {WithParents(R"({"name": "y", "type": "double", "min": 0, "max": 1, "when": {"c": "sgd"}})"),
       "parameters[4].when.c", "expected a non-empty array of c's values, got string"},
      {WithParents(R"({"name": "y", "type": "double", "min": 0, "max": 1, "when": ["c"]})"),
       "parameters[4].when", "expected an object"},
      {WithParents(R"({"name": "y", "type": "double", "min": 0, "max": 1, "when": {"n": [1.5]}})"),
       "parameters[4].when.n[0]", "expected an integer, got 1.5"},
      {WithParents(R"({"name": "y", "type": "double", "min": 0, "max": 1, "when": {"n": [7]}})"),
       "parameters[4].when.n[0]", "7 is not a value of n (an integer from 1 to 3)"},
      {WithParents(R"({"name": "y", "type": "double", "min": 0, "max": 1, "when": {"d": [65]}})"),
       "parameters[4].when.d[0]", "65 is not one of d's values (32, 64)"},
      {WithParents(R"({"name": "y", "type": "double", "min": 0, "max": 1, "when": {"c": [1]}})"),
       "parameters[4].when.c[0]", "expected a string, got number"},
      {WithParents(R"({"name": "y", "type": "double", "min": 0, "max": 1,
                      "when": {"n": [2, 2.0]}})"),
       "parameters[4].when.n[1]", "duplicate value 2"},
      {WithParents(R"({"name": "y", "type": "integer", "min": 0, "max": 1, "when": {"y": [0]}})"),
       "parameters[4].when.y", "a parameter cannot be its own parent"},
      // trainer
      {WithTop(R"("trainer": ["python3"])"), "trainer", "expected an object, got array"},
      {WithTop(R"("trainer": {"backend": "local"})"), "trainer.command", "required"},
      {WithTop(R"("trainer": {"command": []})"), "trainer.command", "must not be empty"},
      {WithTop(R"("trainer": {"command": "python3 train.py"})"), "trainer.command",
       "expected an array of strings, got string"},
      {WithTop(R"("trainer": {"command": ["python3", 3]})"), "trainer.command[1]",
       "expected a string, got number"},
      {WithTop(R"("trainer": {"command": [""]})"), "trainer.command[0]",
       "the program must not be empty"},
      {WithTrainer(R"("cluster": {"chief": 2})"), "trainer.cluster.chief", "must be 1 (got 2)"},
      {WithTrainer(R"("cluster": {"worker": -1})"), "trainer.cluster.worker",
       "must be at least 0 (got -1)"},
      {WithTrainer(R"("cluster": {"ps": "1"})"), "trainer.cluster.ps",
       "expected an integer, got string"},
      {WithTrainer(R"("clustr": {"worker": 1})"), "trainer.clustr",
       R"(unknown key (did you mean "cluster"?))"},
      {WithTrainer(R"("cluster": {"wrker": 1})"), "trainer.cluster.wrker",
       R"(did you mean "worker"?)"},
      {WithTrainer(R"("cluster": {"px": 1})"), "trainer.cluster.px", R"(did you mean "ps"?)"},
      {WithTrainer(R"("env": {"OMP_NUM_THREADS": 1})"), "trainer.env.OMP_NUM_THREADS",
       "expected a string, got number"},
      {WithTrainer(R"("env": {"1X": "a"})"), "trainer.env.1X",
       "not a valid environment variable name"},
      {WithTrainer(R"("env": {"A B": "a"})"), R"(trainer.env["A B"])",
       "not a valid environment variable name"},
      {WithTrainer(R"("env": ["A=1"])"), "trainer.env", "expected an object, got array"},
      {WithTrainer(R"("keep_checkpoints": -1)"), "trainer.keep_checkpoints", "-1"},
      {WithTrainer(R"("keep_checkpoints": 1.5)"), "trainer.keep_checkpoints", "1.5"},
      {WithParams(R"({"name": "b", "type": "integer", "min": 1, "max": 3, "role": "label"})"),
       "parameters[1].role", R"(expected "model" or "preprocessing", got "label")"},
      {WithParams(R"({"name": "b", "type": "integer", "min": 1, "max": 3, "role": 1})"),
       "parameters[1].role", "expected a string"},
      {WithTrainer(R"("slurm": {"partition": "gpu"})"), "trainer.slurm",
       R"(only allowed with backend "slurm")"},
      {WithTrainer(R"("backend": "k8s")"), "trainer.backend", "must be one of local"},
      {WithTrainer(R"("timeout_s": -1)"), "trainer.timeout_s", "must be at least 0 (got -1)"},
      {WithTrainer(R"("timeout_s": "10m")"), "trainer.timeout_s", "expected a number, got string"},
      {WithTrainer(R"("metrics": {"source": "file"})"), "trainer.metrics.source",
       "must be one of grpc, stdout"},
      {WithTrainer(R"j("metrics": {"pattern": "(\\w+)=(\\S+)"})j"), "trainer.metrics.pattern",
       R"(only allowed with source "stdout")"},
      {WithTrainer(R"j("metrics": {"source": "stdout", "pattern": "loss=(\\S+)"})j"),
       "trainer.metrics.pattern",
       "must have at least 2 capture groups (1 = metric name, 2 = value), got 1"},
      {WithTrainer(R"("metrics": {"source": "stdout", "pattern": "(\\w+=(\\S+"})"),
       "trainer.metrics.pattern", "not a valid regular expression (ECMAScript)"},
      {WithTrainer(R"("metrics": {"source": "stdout", "pattern": ""})"), "trainer.metrics.pattern",
       "must not be empty"},
      {WithTrainer(R"("metrics": {"step_key": "step"})"), "trainer.metrics.step_key",
       R"(only allowed with source "stdout")"},
      {WithTrainer(R"("metrics": {"source": "stdout", "step_key": "the step"})"),
       "trainer.metrics.step_key", R"(expected a name (a letter or '_', then letters)"},
      {WithTrainer(R"("metrics": {"source": "stdout", "step_key": 1})"), "trainer.metrics.step_key",
       "expected a string"},
      {WithTrainer(R"("metrics": {"names": ["loss"]})"), "trainer.metrics.names",
       R"(only allowed with source "stdout" or "hypertune")"},
      {WithTrainer(R"("metrics": {"source": "stdout", "names": []})"), "trainer.metrics.names",
       "must not be empty"},
      {WithTrainer(R"("metrics": {"source": "stdout", "names": "loss"})"), "trainer.metrics.names",
       "expected an array of metric names, got string"},
      {WithTrainer(R"("metrics": {"source": "stdout", "names": ["loss", "val loss"]})"),
       "trainer.metrics.names[1]", "expected a metric name"},
      {WithTrainer(R"("metrics": {"source": "hypertune", "names": ["loss", "loss"]})"),
       "trainer.metrics.names[1]", R"(duplicate metric name "loss")"},
      {WithTrainer(R"("metrics": {"source": "stdout", "names": ["acc"]})"), "trainer.metrics.names",
       R"(must include the objective's metric "loss")"},
      {WithTrainer(
           R"("metrics": {"source": "stdout", "step_key": "step", "names": ["loss", "step"]})"),
       "trainer.metrics.names", R"(holds the step key "step")"},
      {WithTrainer(R"("metrics": {"source": "hypertune", "step_key": "step"})"),
       "trainer.metrics.step_key", "hypertune's step is global_step"},
      {WithTrainer(R"("backend": "slurm", "metrics": {"source": "hypertune"})"),
       "trainer.metrics.source", R"("hypertune" is only available with backend "local")"},
      {WithTrainer(R"("job_dir": "yes")"), "trainer.job_dir", "expected true or false"},
  };
  return *files;
}

TEST_CASE("each bad study file gets one fault with its path and what was expected") {
  REQUIRE(BadFiles().size() >= 30);
  for (const BadFile& bad : BadFiles()) {
    INFO("file: " << bad.json);
    const StudyParseResult result = ParseStudy(bad.json);
    REQUIRE_FALSE(result.ok());
    std::string all;
    for (const StudyFault& fault : result.faults) all += fault.ToString() + "\n";
    INFO("faults:\n" << all);
    CHECK(result.faults.size() == 1);
    CHECK(result.faults[0].path == bad.path);
    CHECK_THAT(result.faults[0].message, Catch::Contains(bad.fragment));
  }
}

TEST_CASE("the bad files are all distinct") {
  std::vector<std::string> docs;
  for (const BadFile& bad : BadFiles()) docs.push_back(bad.json);
  std::sort(docs.begin(), docs.end());
  CHECK(std::adjacent_find(docs.begin(), docs.end()) == docs.end());
}

TEST_CASE("a file with several faults lists all of them, in document order") {
  const char* json = R"({
    "name": "bad name!",
    "objective": {"metric": "loss", "goal": "down"},
    "algorithm": {"name": "random", "sed": 3},
    "max_trials": -5,
    "parameters": [
      {"name": "lr", "type": "double", "min": 1, "max": 0.5},
      {"name": "opt", "type": "categorical", "values": ["adam", "adam"]},
      {"name": "units", "type": "integer", "min": 1, "max": 8, "values": [1, 2]},
      {"name": "m", "type": "double", "min": 0, "max": 1, "when": {"opt": ["sgd"]}}
    ],
    "trainer": {"command": ["train"], "cluster": {"chief": 0, "workers": 2}}
  })";
  const StudyParseResult result = ParseStudy(json);
  std::vector<std::string> got;
  for (const StudyFault& fault : result.faults) got.push_back(fault.path);
  // parameters[3].when is not reported: its parent has faults of its own.
  const std::vector<std::string> expected = {
      "name",
      "objective.goal",
      "algorithm.sed",
      "max_trials",
      "parameters[0].max",
      "parameters[1].values[1]",
      "parameters[2].values",
      "trainer.cluster.chief",
      "trainer.cluster.workers",
  };
  CHECK(got == expected);

  absl::StatusOr<StudySpec> spec = ParseStudyOrError(json);
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument);
  const std::string message(spec.status().message());
  CHECK(std::count(message.begin(), message.end(), '\n') == 8);
  CHECK_THAT(message, Catch::StartsWith("name: may contain only"));
  CHECK_THAT(message, Catch::Contains("\nalgorithm.sed: unknown key (did you mean \"seed\"?)\n"));
  CHECK_THAT(message, Catch::EndsWith("trainer.cluster.workers: unknown key (did you mean "
                                      "\"worker\"?)"));
}

TEST_CASE("a missing key is listed where its object is") {
  const StudyParseResult result = ParseStudy(R"({
    "objective": {"goal": "maximize"},
    "parameters": [{"name": "x", "type": "double", "min": 0}],
    "name": "s"})");
  std::vector<std::string> got;
  for (const StudyFault& fault : result.faults) got.push_back(fault.ToString());
  CHECK(got == std::vector<std::string>{
                   "objective.metric: required (the name of the metric to optimise)",
                   "parameters[0].max: required (a double parameter needs min and max)"});
}

TEST_CASE("an invalid parameter type skips that parameter's type-specific checks") {
  const StudyParseResult result = ParseStudy(WithParams(
      R"({"name": "y", "type": "flaot", "min": "a", "max": -3, "values": 7, "scale": "x"})"));
  REQUIRE(result.faults.size() == 1);
  CHECK(result.faults[0].ToString() ==
        "parameters[1].type: must be one of double, integer, discrete, categorical "
        "(got \"flaot\")");
}

TEST_CASE("deeply nested documents are refused without exhausting memory") {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const StudyParseResult result = ParseStudy(deep);
  REQUIRE(result.faults.size() == 1);
  CHECK(result.faults[0].ToString() == "invalid JSON: nested deeper than 64 levels");
  std::string ok_depth = WithTop(R"("x": )" + std::string(60, '[') + std::string(60, ']'));
  REQUIRE(ParseStudy(ok_depth).faults.size() == 1);
  CHECK(ParseStudy(ok_depth).faults[0].path == "x");
}

TEST_CASE("StudyFault::ToString") {
  CHECK(StudyFault{"a.b", "bad"}.ToString() == "a.b: bad");
  CHECK(StudyFault{"", "invalid JSON"}.ToString() == "invalid JSON");
}

}  // namespace
}  // namespace tuner
