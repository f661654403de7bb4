// libFuzzer target: request validation of the StudyService.
//
// The input decodes into a study (one of a few valid specs, or fuzzed JSON)
// and then a sequence of service calls with fuzzed arguments: counts, client
// ids, steps, metric names and values (NaN, infinities, huge), parameters,
// outcomes. Nothing may crash; every error must carry one of the codes the
// service documents, and its message must not leak internals (SQLite, file
// paths, source files).
#include <fuzzer/FuzzedDataProvider.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/sqlite_store.h"
#include "tuner/service/study_service.h"

namespace {

const char* const kSpecs[] = {
    R"({"name": "s", "objective": {"metric": "acc", "goal": "maximize"}, "max_trials": 20,
        "parameters": [{"name": "x", "type": "double", "min": 0, "max": 1}]})",
    R"({"name": "s", "objective": {"metric": "loss", "goal": "minimize"}, "max_trials": 8,
        "max_failed_trials": 3, "algorithm": {"name": "grid"},
        "early_stopping": {"rule": "median", "min_trials": 1, "grace_steps": 1},
        "parameters": [{"name": "n", "type": "integer", "min": -3, "max": 3},
                       {"name": "opt", "type": "categorical", "values": ["adam", "sgd"]},
                       {"name": "m", "type": "double", "min": 0.0, "max": 0.9,
                        "when": {"opt": ["sgd"]}},
                       {"name": "d", "type": "discrete", "values": [1, 2.5, 10]}]})",
    R"({"name": "s", "objectives": [{"metric": "a", "goal": "maximize"},
                                    {"metric": "b", "goal": "minimize"}], "max_trials": 5,
        "parameters": [{"name": "lr", "type": "double", "min": 1e-5, "max": 1, "scale": "log"}]})",
};

[[noreturn]] void Fail(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
  std::abort();
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// The whole fuzz input, lower-cased: a message may echo what the client sent
// (a study name "std::x" is not a leak), so a marker only counts as leaked
// when the input does not contain it.
std::string g_input;

// Errors a client may see: the documented canonical codes, with messages
// that say nothing about how the server is built.
void CheckError(const absl::Status& status) {
  if (status.ok()) return;
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kResourceExhausted:
      break;
    default:
      Fail("unexpected code", status);
  }
  const std::string lower = Lower(std::string(status.message()));
  for (const char* leak : {"sqlite", "constraint", "/work/", "/tmp/", ".cc:", "std::", "terminate",
                           "exception", "nlohmann", "json.exception"}) {
    if (lower.find(leak) != std::string::npos && g_input.find(leak) == std::string::npos) {
      Fail("message leaks internals", status);
    }
  }
}

double FuzzedDouble(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 7)) {
    case 0:
      return std::numeric_limits<double>::quiet_NaN();
    case 1:
      return std::numeric_limits<double>::infinity();
    case 2:
      return -std::numeric_limits<double>::infinity();
    case 3:
      return std::numeric_limits<double>::max();
    case 4:
      return -std::numeric_limits<double>::denorm_min();
    case 5:
      return in.ConsumeFloatingPoint<double>();
    default:
      return in.ConsumeFloatingPointInRange<double>(-2, 2);
  }
}

std::string FuzzedName(FuzzedDataProvider& in, const std::vector<std::string>& usual) {
  if (in.ConsumeBool()) return usual[in.ConsumeIntegralInRange<size_t>(0, usual.size() - 1)];
  if (in.ConsumeIntegralInRange<int>(0, 15) == 0) return std::string(300, 'n');  // too long
  return in.ConsumeRandomLengthString(24);
}

int64_t FuzzedTrialId(FuzzedDataProvider& in) {
  if (in.ConsumeIntegralInRange<int>(0, 7) == 0) return in.ConsumeIntegral<int64_t>();
  return in.ConsumeIntegralInRange<int64_t>(-1, 12);
}

tuner::Measurement FuzzedMeasurement(FuzzedDataProvider& in) {
  tuner::Measurement m;
  m.step =
      in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(-2, 50) : in.ConsumeIntegral<int64_t>();
  m.elapsed_secs = in.ConsumeBool() ? 0.5 : FuzzedDouble(in);
  const int metrics = in.ConsumeIntegralInRange<int>(0, 3);
  for (int i = 0; i < metrics; ++i) {
    m.metrics[FuzzedName(in, {"acc", "loss", "a", "b"})] = FuzzedDouble(in);
  }
  return m;
}

tuner::Assignment FuzzedAssignment(FuzzedDataProvider& in) {
  tuner::Assignment a;
  const int n = in.ConsumeIntegralInRange<int>(0, 5);
  for (int i = 0; i < n; ++i) {
    const std::string name = FuzzedName(in, {"x", "n", "opt", "m", "d", "lr"});
    switch (in.ConsumeIntegralInRange<int>(0, 2)) {
      case 0:
        a[name] = FuzzedDouble(in);
        break;
      case 1:
        a[name] = in.ConsumeIntegralInRange<int64_t>(-5, 12);
        break;
      default:
        a[name] = in.ConsumeBool() ? std::string("sgd") : in.ConsumeRandomLengthString(8);
    }
  }
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  g_input = Lower(std::string_view(reinterpret_cast<const char*>(data), size));
  auto store = tuner::OpenSqliteStore(":memory:");
  if (!store.ok()) Fail("store", store.status());
  tuner::StudyServiceOptions options;
  options.max_spec_bytes = 4096;
  options.max_suggest_count = 20;
  tuner::StudyService service(store->get(), options);

  const int which = in.ConsumeIntegralInRange<int>(0, 3);
  std::string study = "s";
  if (which < 3) {
    auto created = service.CreateStudy(kSpecs[which]);
    if (!created.ok()) Fail("valid spec refused", created.status());
  } else {
    auto created = service.CreateStudy(in.ConsumeRandomLengthString(4096), in.ConsumeBool());
    CheckError(created.status());
    if (created.ok()) study = created->name;
  }
  const std::vector<std::string> studies = {study, "s"};
  const std::vector<std::string> clients = {"c1", "c2"};

  for (int op = 0; op < 64 && in.remaining_bytes() > 0; ++op) {
    const std::string name = FuzzedName(in, studies);
    switch (in.ConsumeIntegralInRange<int>(0, 11)) {
      case 0: {
        const int count =
            in.ConsumeBool() ? in.ConsumeIntegralInRange<int>(-1, 4) : in.ConsumeIntegral<int>();
        CheckError(service.SuggestTrials(name, count, FuzzedName(in, clients)).status());
        break;
      }
      case 1:
        CheckError(
            service.ReportMeasurement(name, FuzzedTrialId(in), FuzzedMeasurement(in)).status());
        break;
      case 2:
        CheckError(
            service.CreateTrial(name, FuzzedAssignment(in), FuzzedName(in, clients)).status());
        break;
      case 3: {
        tuner::TrialOutcome outcome;
        switch (in.ConsumeIntegralInRange<int>(0, 2)) {
          case 0:
            outcome = tuner::TrialOutcome::Completed(in.ConsumeBool() ? tuner::Measurement{}
                                                                      : FuzzedMeasurement(in));
            break;
          case 1:
            outcome = tuner::TrialOutcome::Infeasible(in.ConsumeRandomLengthString(300));
            break;
          default:
            outcome = tuner::TrialOutcome::Failed(in.ConsumeRandomLengthString(300));
        }
        CheckError(service.CompleteTrial(name, FuzzedTrialId(in), outcome).status());
        break;
      }
      case 4:
        CheckError(
            service.StopTrial(name, FuzzedTrialId(in), in.ConsumeRandomLengthString(300)).status());
        break;
      case 5:
        CheckError(service.Heartbeat(name, FuzzedTrialId(in)).status());
        break;
      case 6:
        CheckError(service.GetTrial(name, FuzzedTrialId(in)).status());
        break;
      case 7:
        CheckError(
            service.SetTrialRunner(name, FuzzedTrialId(in), in.ConsumeRandomLengthString(300))
                .status());
        break;
      case 8: {
        tuner::TrialFilter filter;
        filter.after_id = FuzzedTrialId(in);
        filter.limit = in.ConsumeIntegralInRange<int64_t>(-1, 5);
        filter.client_id = in.ConsumeBool() ? "" : FuzzedName(in, clients);
        CheckError(service.ListTrials(name, filter).status());
        break;
      }
      case 9:
        CheckError(service.GetBestTrials(name).status());
        break;
      case 10:
        CheckError(service.GetStudy(name).status());
        break;
      default:
        if (in.ConsumeIntegralInRange<int>(0, 7) == 0) {
          CheckError(service.DeleteStudy(name));
        } else {
          CheckError(
              service.CreateStudy(kSpecs[in.ConsumeIntegralInRange<int>(0, 2)], in.ConsumeBool())
                  .status());
        }
    }
  }
  return 0;
}
