// The Store conformance suite: every test runs against every implementation
// (GENERATE over the factories below). A new Store implementation adds one
// factory and must pass everything here unchanged.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite_store.h"
#include "storage/store.h"
#include "tests/storage/store_test_util.h"

namespace tuner {
namespace {

using testing::CheckSameMeasurement;
using testing::CheckSameStudy;
using testing::CheckSameTrial;
using testing::SameTypedValue;
using testing::StatusText;
using testing::TempDir;

// A store under test and whatever must outlive it (its temp directory).
struct StoreUnderTest {
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<Store> store;
};

StoreUnderTest OpenStore(const std::string& kind) {
  StoreUnderTest result;
  absl::StatusOr<std::unique_ptr<Store>> store;
  if (kind == "sqlite-file") {
    result.dir = std::make_unique<TempDir>("conformance");
    store = OpenSqliteStore(result.dir->File("store.db"));
  } else if (kind == "sqlite-memory") {
    store = OpenSqliteStore(":memory:");
  } else {
    FAIL("unknown store kind " << kind);
  }
  TUNER_REQUIRE_OK(store);
  result.store = *std::move(store);
  return result;
}

// Every implementation under test.
#define STORE_KINDS "sqlite-file", "sqlite-memory"

StudyRecord MakeStudy(const std::string& name) {
  StudyRecord study;
  study.name = name;
  study.spec_json = R"({"name":")" + name + R"(","max_trials":10})";
  study.create_time = 1700000000.5;
  return study;
}

Trial MakeTrial(double lr, int64_t layers, const std::string& client_id = "") {
  Trial trial;
  trial.parameters = {{"lr", lr}, {"layers", layers}, {"optimizer", std::string("adam")}};
  trial.client_id = client_id;
  trial.create_time = 1700000100.25;
  return trial;
}

Measurement MakeMeasurement(int64_t step, double loss) {
  Measurement m;
  m.step = step;
  m.elapsed_secs = 0.5 * static_cast<double>(step);
  m.metrics = {{"loss", loss}, {"accuracy", 1.0 - loss}};
  return m;
}

std::vector<int64_t> Ids(const std::vector<Trial>& trials) {
  std::vector<int64_t> ids;
  for (const Trial& t : trials) ids.push_back(t.id);
  return ids;
}

std::vector<int64_t> Range(int64_t first, int64_t last) {
  std::vector<int64_t> ids;
  for (int64_t id = first; id <= last; ++id) ids.push_back(id);
  return ids;
}

std::vector<Trial> AddOrDie(Store& store, const std::string& study, std::vector<Trial> trials) {
  absl::StatusOr<std::vector<Trial>> added = store.AddTrials(study, std::move(trials));
  TUNER_REQUIRE_OK(added);
  return *std::move(added);
}

Trial GetOrDie(Store& store, const std::string& study, int64_t id) {
  absl::StatusOr<Trial> trial = store.GetTrial(study, id);
  TUNER_REQUIRE_OK(trial);
  return *std::move(trial);
}

bool Contains(const absl::Status& status, const std::string& text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

TEST_CASE("Store: studies", "[store][conformance]") {
  const std::string kind = GENERATE(as<std::string>{}, STORE_KINDS);
  INFO("store " << kind);
  StoreUnderTest under_test = OpenStore(kind);
  Store& store = *under_test.store;

  SECTION("create, get and list by name") {
    TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("beta")));
    TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("alpha")));
    TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("gamma")));

    absl::StatusOr<StudyRecord> got = store.GetStudy("alpha");
    TUNER_REQUIRE_OK(got);
    CheckSameStudy(*got, MakeStudy("alpha"));

    absl::StatusOr<std::vector<StudyRecord>> all = store.ListStudies();
    TUNER_REQUIRE_OK(all);
    REQUIRE(all->size() == 3);
    CHECK((*all)[0].name == "alpha");
    CHECK((*all)[1].name == "beta");
    CHECK((*all)[2].name == "gamma");
    CheckSameStudy((*all)[1], MakeStudy("beta"));
  }

  SECTION("an empty store lists no studies") {
    absl::StatusOr<std::vector<StudyRecord>> all = store.ListStudies();
    TUNER_REQUIRE_OK(all);
    CHECK(all->empty());
  }

  SECTION("a create_time of 0 is filled with the current time") {
    StudyRecord study = MakeStudy("now");
    study.create_time = 0;
    TUNER_REQUIRE_OK(store.CreateStudy(study));
    absl::StatusOr<StudyRecord> got = store.GetStudy("now");
    TUNER_REQUIRE_OK(got);
    CHECK(got->create_time > 1.6e9);
  }

  SECTION("duplicate name is AlreadyExists and keeps the first") {
    TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("s")));
    StudyRecord other = MakeStudy("s");
    other.spec_json = "{}";
    absl::Status status = store.CreateStudy(other);
    CHECK(status.code() == absl::StatusCode::kAlreadyExists);
    CHECK(Contains(status, "study \"s\" already exists"));
    absl::StatusOr<StudyRecord> got = store.GetStudy("s");
    TUNER_REQUIRE_OK(got);
    CheckSameStudy(*got, MakeStudy("s"));
  }

  SECTION("empty name is InvalidArgument") {
    CHECK(store.CreateStudy(MakeStudy("")).code() == absl::StatusCode::kInvalidArgument);
  }

  SECTION("unknown study is NotFound everywhere, naming it") {
    const std::vector<absl::Status> statuses = {
        store.GetStudy("nope").status(),
        store.DeleteStudy("nope"),
        store.UpdateStudy(MakeStudy("nope")),
        store.AddTrials("nope", {MakeTrial(0.1, 1)}).status(),
        store.GetTrial("nope", 1).status(),
        store.ListTrials("nope", {}).status(),
        store.CountTrials("nope").status(),
        store.AddMeasurements("nope", 1, {MakeMeasurement(1, 0.5)}),
        store.UpdateTrial("nope", MakeTrial(0.1, 1)),
    };
    for (const absl::Status& status : statuses) {
      INFO(StatusText(status));
      CHECK(status.code() == absl::StatusCode::kNotFound);
      CHECK(Contains(status, "study \"nope\" not found"));
    }
  }

  SECTION("update replaces spec and state, keeps name and create_time") {
    TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("s")));
    StudyRecord updated = MakeStudy("s");
    updated.spec_json = R"({"name":"s","max_trials":50})";
    updated.state = StudyState::kCompleted;
    updated.create_time = 42;
    updated.spec_versions_json = R"([{"version":2,"time":1,"changes":["max_trials: 10 -> 50"]}])";
    CHECK(store.GetStudy("s")->spec_versions_json == "[]");
    TUNER_REQUIRE_OK(store.UpdateStudy(updated));
    absl::StatusOr<StudyRecord> got = store.GetStudy("s");
    TUNER_REQUIRE_OK(got);
    CHECK(got->spec_json == updated.spec_json);
    CHECK(got->spec_versions_json == updated.spec_versions_json);
    CHECK(store.ListStudies()->at(0).spec_versions_json == updated.spec_versions_json);
    CHECK(got->state == StudyState::kCompleted);
    CHECK(got->create_time == MakeStudy("s").create_time);
  }

  SECTION("delete removes the study, its trials and its measurements") {
    TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("doomed")));
    TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("kept")));
    AddOrDie(store, "doomed", {MakeTrial(0.1, 1), MakeTrial(0.2, 2)});
    AddOrDie(store, "kept", {MakeTrial(0.3, 3)});
    TUNER_REQUIRE_OK(store.AddMeasurements("doomed", 1, {MakeMeasurement(1, 0.9)}));
    TUNER_REQUIRE_OK(store.AddMeasurements("kept", 1, {MakeMeasurement(1, 0.8)}));
    Trial finished = GetOrDie(store, "doomed", 2);  // finished trials go too
    finished.state = TrialState::kCompleted;
    TUNER_REQUIRE_OK(store.UpdateTrial("doomed", finished));

    TUNER_REQUIRE_OK(store.DeleteStudy("doomed"));
    CHECK(store.GetStudy("doomed").status().code() == absl::StatusCode::kNotFound);
    CHECK(store.GetTrial("doomed", 1).status().code() == absl::StatusCode::kNotFound);
    CHECK(store.DeleteStudy("doomed").code() == absl::StatusCode::kNotFound);

    // A new study of the same name starts empty, with ids from 1 again: no
    // trial or measurement survived the delete.
    TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("doomed")));
    absl::StatusOr<TrialCounts> counts = store.CountTrials("doomed");
    TUNER_REQUIRE_OK(counts);
    CHECK(counts->total == 0);
    std::vector<Trial> again = AddOrDie(store, "doomed", {MakeTrial(0.5, 1)});
    CHECK(again[0].id == 1);
    CHECK(GetOrDie(store, "doomed", 1).measurements.empty());

    // The other study is untouched.
    Trial kept = GetOrDie(store, "kept", 1);
    REQUIRE(kept.measurements.size() == 1);
    CheckSameMeasurement(kept.measurements[0], MakeMeasurement(1, 0.8));
  }
}

TEST_CASE("Store: adding and reading trials", "[store][conformance]") {
  const std::string kind = GENERATE(as<std::string>{}, STORE_KINDS);
  INFO("store " << kind);
  StoreUnderTest under_test = OpenStore(kind);
  Store& store = *under_test.store;
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("s")));
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("t")));

  SECTION("ids are 1, 2, ... per study, consecutive across calls; input ids ignored") {
    Trial with_id = MakeTrial(0.1, 1);
    with_id.id = 99;
    std::vector<Trial> first = AddOrDie(store, "s", {with_id, MakeTrial(0.2, 2)});
    CHECK(Ids(first) == Range(1, 2));
    std::vector<Trial> second =
        AddOrDie(store, "s", {MakeTrial(0.3, 3), MakeTrial(0.4, 1), MakeTrial(0.5, 2)});
    CHECK(Ids(second) == Range(3, 5));
    std::vector<Trial> other = AddOrDie(store, "t", {MakeTrial(0.6, 1)});
    CHECK(Ids(other) == Range(1, 1));
    CHECK(AddOrDie(store, "s", {}).empty());
    CHECK(Ids(AddOrDie(store, "s", {MakeTrial(0.7, 1)})) == Range(6, 6));
  }

  SECTION("returned trials are what GetTrial and ListTrials give back") {
    Trial trial = MakeTrial(0.01, 3, "worker-1");
    trial.origin = "gp";
    trial.parent_trial = 7;
    trial.parent_step = 12;
    Trial retry = MakeTrial(0.02, 3);
    retry.origin = "retry";
    retry.retry_of = 1;
    std::vector<Trial> added = AddOrDie(store, "s", {trial, retry});
    REQUIRE(added.size() == 2);
    CHECK(GetOrDie(store, "s", 1).retry_of == 0);
    CHECK(GetOrDie(store, "s", 2).retry_of == 1);
    CHECK(added[0].state == TrialState::kActive);
    CHECK(added[0].client_id == "worker-1");
    CHECK(GetOrDie(store, "s", 1).origin == "gp");
    CHECK(GetOrDie(store, "s", 1).parent_trial == 7);
    CHECK(GetOrDie(store, "s", 1).parent_step == 12);
    CHECK(added[0].create_time == trial.create_time);
    CHECK(added[0].end_time == 0);
    CheckSameTrial(GetOrDie(store, "s", 1), added[0]);
    absl::StatusOr<std::vector<Trial>> listed = store.ListTrials("s", {});
    TUNER_REQUIRE_OK(listed);
    REQUIRE(listed->size() == 2);
    CheckSameTrial((*listed)[0], added[0]);
    CheckSameTrial((*listed)[1], added[1]);
  }

  SECTION("a create_time of 0 is filled with the current time") {
    Trial trial = MakeTrial(0.1, 1);
    trial.create_time = 0;
    std::vector<Trial> added = AddOrDie(store, "s", {trial});
    CHECK(added[0].create_time > 1.6e9);
    CHECK(GetOrDie(store, "s", 1).create_time == added[0].create_time);
  }

  SECTION("trials may be added finished, with their measurements (import)") {
    Trial done = MakeTrial(0.2, 2, "importer");
    done.state = TrialState::kCompleted;
    done.measurements = {MakeMeasurement(1, 0.7), MakeMeasurement(2, 0.5)};
    done.final_measurement = MakeMeasurement(2, 0.5);
    done.end_time = 1700000200;
    Trial failed = MakeTrial(0.3, 1);
    failed.state = TrialState::kFailed;
    failed.reason = "trainer exited with code 1";
    std::vector<Trial> added = AddOrDie(store, "s", {done, failed});
    CheckSameTrial(GetOrDie(store, "s", 1), added[0]);
    CheckSameTrial(GetOrDie(store, "s", 2), added[1]);
    CHECK(GetOrDie(store, "s", 1).measurements.size() == 2);
    CHECK(added[1].end_time > 1.6e9);  // filled in: stored in a final state
  }

  SECTION("unknown trial is NotFound, naming trial and study") {
    AddOrDie(store, "s", {MakeTrial(0.1, 1)});
    Trial ghost = MakeTrial(0.1, 1);
    ghost.id = 7;
    const std::vector<absl::Status> statuses = {
        store.GetTrial("s", 7).status(),
        store.GetTrial("t", 1).status(),  // exists in "s" only
        store.AddMeasurements("s", 7, {MakeMeasurement(1, 0.5)}),
        store.UpdateTrial("s", ghost),
    };
    for (const absl::Status& status : statuses) {
      INFO(StatusText(status));
      CHECK(status.code() == absl::StatusCode::kNotFound);
    }
    CHECK(Contains(statuses[0], "trial 7 of study \"s\" not found"));
    CHECK(Contains(statuses[1], "trial 1 of study \"t\" not found"));
  }

  SECTION("a NaN parameter is InvalidArgument and writes nothing") {
    Trial bad = MakeTrial(std::nan(""), 1);
    absl::Status status = store.AddTrials("s", {MakeTrial(0.1, 1), bad}).status();
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(Contains(status, "lr"));
    absl::StatusOr<TrialCounts> counts = store.CountTrials("s");
    TUNER_REQUIRE_OK(counts);
    CHECK(counts->total == 0);
    CHECK(Ids(AddOrDie(store, "s", {MakeTrial(0.1, 1)})) == Range(1, 1));
  }

  SECTION("a non-finite measurement in a new trial is InvalidArgument and writes nothing") {
    Trial bad = MakeTrial(0.1, 1);
    bad.measurements = {MakeMeasurement(1, std::numeric_limits<double>::infinity())};
    CHECK(store.AddTrials("s", {bad}).status().code() == absl::StatusCode::kInvalidArgument);
    Trial bad_final = MakeTrial(0.1, 1);
    bad_final.state = TrialState::kCompleted;
    bad_final.final_measurement = MakeMeasurement(1, std::nan(""));
    CHECK(store.AddTrials("s", {bad_final}).status().code() == absl::StatusCode::kInvalidArgument);
    absl::StatusOr<TrialCounts> counts = store.CountTrials("s");
    TUNER_REQUIRE_OK(counts);
    CHECK(counts->total == 0);
  }
}

TEST_CASE("Store: parameters keep their types", "[store][conformance]") {
  const std::string kind = GENERATE(as<std::string>{}, STORE_KINDS);
  INFO("store " << kind);
  StoreUnderTest under_test = OpenStore(kind);
  Store& store = *under_test.store;
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("s")));

  const Assignment parameters = {
      {"d_integral", 3.0},
      {"d_zero", 0.0},
      {"d_negative_zero", -0.0},
      {"d_tenth", 0.1},
      {"d_third", 1.0 / 3.0},
      {"d_huge", 1e300},
      {"d_huge_integral", 9007199254740993.0},  // rounds to 2^53 + 2
      {"d_max", std::numeric_limits<double>::max()},
      {"d_lowest", std::numeric_limits<double>::lowest()},
      {"d_min_normal", std::numeric_limits<double>::min()},
      {"d_denormal", std::numeric_limits<double>::denorm_min()},
      {"i_zero", int64_t{0}},
      {"i_three", int64_t{3}},
      {"i_negative", int64_t{-17}},
      {"i_max", std::numeric_limits<int64_t>::max()},
      {"i_min", std::numeric_limits<int64_t>::min()},
      {"s_empty", std::string()},
      {"s_word", std::string("adam")},
      {"s_number_like", std::string("3.0")},
      {"s_json_like", std::string(R"({"a": [1, "b"]} \ " ')")},
      {"s_unicode", std::string("r\xC3\xA9seau \xE6\xB7\xB1\xE5\xBA\xA6 \xF0\x9F\x9A\x80")},
      {"s_control", std::string("tab\tnewline\nnul-free")},
      {"name with spaces & \"quotes\"", int64_t{1}},
  };
  Trial trial;
  trial.parameters = parameters;
  trial.create_time = 1;
  AddOrDie(store, "s", {trial});

  auto check = [&](const Trial& got) {
    REQUIRE(got.parameters.size() == parameters.size());
    for (const auto& [name, value] : parameters) {
      INFO("parameter " << name);
      auto it = got.parameters.find(name);
      REQUIRE(it != got.parameters.end());
      CHECK(it->second.index() == value.index());
      CHECK(SameTypedValue(it->second, value));
    }
  };
  check(GetOrDie(store, "s", 1));
  absl::StatusOr<std::vector<Trial>> listed = store.ListTrials("s", {});
  TUNER_REQUIRE_OK(listed);
  REQUIRE(listed->size() == 1);
  check((*listed)[0]);
}

TEST_CASE("Store: measurements", "[store][conformance]") {
  const std::string kind = GENERATE(as<std::string>{}, STORE_KINDS);
  INFO("store " << kind);
  StoreUnderTest under_test = OpenStore(kind);
  Store& store = *under_test.store;
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("s")));
  AddOrDie(store, "s", {MakeTrial(0.1, 1), MakeTrial(0.2, 2)});

  SECTION("appended in report order across calls, per trial") {
    // Steps out of order on purpose: insertion order wins, not step order.
    TUNER_REQUIRE_OK(
        store.AddMeasurements("s", 1, {MakeMeasurement(3, 0.9), MakeMeasurement(1, 0.8)}));
    TUNER_REQUIRE_OK(store.AddMeasurements("s", 2, {MakeMeasurement(1, 0.4)}));
    TUNER_REQUIRE_OK(store.AddMeasurements("s", 1, {MakeMeasurement(2, 0.7)}));
    TUNER_REQUIRE_OK(store.AddMeasurements("s", 1, {}));

    Trial one = GetOrDie(store, "s", 1);
    REQUIRE(one.measurements.size() == 3);
    CheckSameMeasurement(one.measurements[0], MakeMeasurement(3, 0.9));
    CheckSameMeasurement(one.measurements[1], MakeMeasurement(1, 0.8));
    CheckSameMeasurement(one.measurements[2], MakeMeasurement(2, 0.7));
    Trial two = GetOrDie(store, "s", 2);
    REQUIRE(two.measurements.size() == 1);
    CheckSameMeasurement(two.measurements[0], MakeMeasurement(1, 0.4));
  }

  SECTION("metric values and names round-trip exactly") {
    Measurement m;
    m.step = std::numeric_limits<int64_t>::max();
    m.elapsed_secs = 1e-9;
    m.metrics = {{"zero", 0.0},     {"integral", 2.0},  {"tiny", 5e-324}, {"big", -1.5e308},
                 {"third", 1 / 3.}, {"a \"b\"\n", 1.0}, {"", 7.25}};
    TUNER_REQUIRE_OK(store.AddMeasurements("s", 1, {m}));
    Trial got = GetOrDie(store, "s", 1);
    REQUIRE(got.measurements.size() == 1);
    CheckSameMeasurement(got.measurements[0], m);
  }

  SECTION("with_measurements=false leaves them out") {
    TUNER_REQUIRE_OK(store.AddMeasurements("s", 1, {MakeMeasurement(1, 0.8)}));
    TrialFilter filter;
    filter.with_measurements = false;
    absl::StatusOr<std::vector<Trial>> listed = store.ListTrials("s", filter);
    TUNER_REQUIRE_OK(listed);
    REQUIRE(listed->size() == 2);
    CHECK((*listed)[0].measurements.empty());
    filter.with_measurements = true;
    listed = store.ListTrials("s", filter);
    TUNER_REQUIRE_OK(listed);
    CHECK((*listed)[0].measurements.size() == 1);
  }

  SECTION("NaN or infinite values are InvalidArgument and nothing of the call is written") {
    TUNER_REQUIRE_OK(store.AddMeasurements("s", 1, {MakeMeasurement(1, 0.8)}));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    absl::Status status =
        store.AddMeasurements("s", 1, {MakeMeasurement(2, 0.7), MakeMeasurement(3, nan)});
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(Contains(status, "is nan"));
    CHECK(store.AddMeasurements("s", 1, {MakeMeasurement(2, -inf)}).code() ==
          absl::StatusCode::kInvalidArgument);
    Measurement bad_time = MakeMeasurement(2, 0.5);
    bad_time.elapsed_secs = inf;
    CHECK(store.AddMeasurements("s", 1, {bad_time}).code() == absl::StatusCode::kInvalidArgument);

    Trial got = GetOrDie(store, "s", 1);
    REQUIRE(got.measurements.size() == 1);
    CheckSameMeasurement(got.measurements[0], MakeMeasurement(1, 0.8));
  }

  SECTION("a STOPPING trial still takes measurements") {
    Trial stopping = GetOrDie(store, "s", 1);
    stopping.state = TrialState::kStopping;
    TUNER_REQUIRE_OK(store.UpdateTrial("s", stopping));
    TUNER_REQUIRE_OK(store.AddMeasurements("s", 1, {MakeMeasurement(1, 0.8)}));
    CHECK(GetOrDie(store, "s", 1).measurements.size() == 1);
  }

  SECTION("a report id is stored once per trial; a repeat writes nothing, even when finished") {
    absl::StatusOr<bool> first = store.AddReport("s", 1, MakeMeasurement(1, 0.8), "c:1");
    TUNER_REQUIRE_OK(first);
    CHECK(*first);
    absl::StatusOr<bool> again = store.AddReport("s", 1, MakeMeasurement(1, 0.8), "c:1");
    TUNER_REQUIRE_OK(again);
    CHECK_FALSE(*again);
    // Ids are per trial; reports without one are always stored.
    CHECK(*store.AddReport("s", 2, MakeMeasurement(1, 0.4), "c:1"));
    TUNER_REQUIRE_OK(store.AddMeasurements("s", 1, {MakeMeasurement(2, 0.7)}));
    TUNER_REQUIRE_OK(store.AddMeasurements("s", 1, {MakeMeasurement(2, 0.7)}));
    CHECK(GetOrDie(store, "s", 1).measurements.size() == 3);
    CHECK(GetOrDie(store, "s", 2).measurements.size() == 1);

    Trial done = GetOrDie(store, "s", 1);
    done.state = TrialState::kCompleted;
    done.final_measurement = MakeMeasurement(2, 0.7);
    TUNER_REQUIRE_OK(store.UpdateTrial("s", done));
    absl::StatusOr<bool> late_retry = store.AddReport("s", 1, MakeMeasurement(1, 0.8), "c:1");
    TUNER_REQUIRE_OK(late_retry);
    CHECK_FALSE(*late_retry);
    CHECK(store.AddReport("s", 1, MakeMeasurement(3, 0.6), "c:2").status().code() ==
          absl::StatusCode::kFailedPrecondition);
    CHECK(store.AddReport("s", 2, MakeMeasurement(2, 0.3), "").status().code() ==
          absl::StatusCode::kInvalidArgument);
    CHECK(GetOrDie(store, "s", 1).measurements.size() == 3);
  }
}

TEST_CASE("Store: updating trials; finished trials are immutable", "[store][conformance]") {
  const std::string kind = GENERATE(as<std::string>{}, STORE_KINDS);
  INFO("store " << kind);
  StoreUnderTest under_test = OpenStore(kind);
  Store& store = *under_test.store;
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("s")));
  AddOrDie(store, "s", {MakeTrial(0.1, 1, "client-a"), MakeTrial(0.2, 2)});
  TUNER_REQUIRE_OK(store.AddMeasurements("s", 1, {MakeMeasurement(1, 0.8)}));

  SECTION("UpdateTrial writes state, reason, final measurement and end time only") {
    Trial update = GetOrDie(store, "s", 1);
    update.state = TrialState::kStopping;
    update.reason = "median rule";
    TUNER_REQUIRE_OK(store.UpdateTrial("s", update));
    CHECK(GetOrDie(store, "s", 1).state == TrialState::kStopping);

    update.state = TrialState::kStopped;
    update.final_measurement = MakeMeasurement(1, 0.8);
    update.end_time = 1700000300.75;
    // None of these may change:
    update.parameters = {{"lr", 9.0}};
    update.client_id = "someone-else";
    update.measurements.clear();
    update.create_time = 5;
    TUNER_REQUIRE_OK(store.UpdateTrial("s", update));

    Trial got = GetOrDie(store, "s", 1);
    Trial expected = MakeTrial(0.1, 1, "client-a");
    expected.id = 1;
    expected.state = TrialState::kStopped;
    expected.reason = "median rule";
    expected.final_measurement = MakeMeasurement(1, 0.8);
    expected.end_time = 1700000300.75;
    expected.measurements = {MakeMeasurement(1, 0.8)};
    CheckSameTrial(got, expected);
  }

  SECTION("end_time 0 on a final state is filled in; a running state keeps 0") {
    Trial update = GetOrDie(store, "s", 2);
    update.state = TrialState::kStopping;
    TUNER_REQUIRE_OK(store.UpdateTrial("s", update));
    CHECK(GetOrDie(store, "s", 2).end_time == 0);
    update.state = TrialState::kFailed;
    update.reason = "oom";
    TUNER_REQUIRE_OK(store.UpdateTrial("s", update));
    Trial got = GetOrDie(store, "s", 2);
    CHECK(got.end_time > 1.6e9);
    CHECK(!got.final_measurement.has_value());
  }

  SECTION("a COMPLETED trial refuses AddMeasurements and UpdateTrial, unchanged") {
    Trial done = GetOrDie(store, "s", 1);
    done.state = TrialState::kCompleted;
    done.final_measurement = MakeMeasurement(1, 0.8);
    done.end_time = 1700000400;
    TUNER_REQUIRE_OK(store.UpdateTrial("s", done));
    const Trial before = GetOrDie(store, "s", 1);

    absl::Status add = store.AddMeasurements("s", 1, {MakeMeasurement(2, 0.1)});
    CHECK(add.code() == absl::StatusCode::kFailedPrecondition);
    CHECK(Contains(add, "trial 1 is COMPLETED; finished trials are immutable"));

    Trial again = before;
    again.state = TrialState::kActive;
    again.reason = "resurrect";
    absl::Status update = store.UpdateTrial("s", again);
    CHECK(update.code() == absl::StatusCode::kFailedPrecondition);
    CHECK(Contains(update, "trial 1 is COMPLETED; finished trials are immutable"));

    CheckSameTrial(GetOrDie(store, "s", 1), before);
  }

  SECTION("every final state is immutable") {
    for (TrialState final_state : {TrialState::kCompleted, TrialState::kStopped,
                                   TrialState::kFailed, TrialState::kInfeasible}) {
      INFO(ToString(final_state));
      Trial trial = AddOrDie(store, "s", {MakeTrial(0.5, 1)})[0];
      trial.state = final_state;
      TUNER_REQUIRE_OK(store.UpdateTrial("s", trial));
      trial.state = TrialState::kStopping;
      CHECK(store.UpdateTrial("s", trial).code() == absl::StatusCode::kFailedPrecondition);
      CHECK(store.AddMeasurements("s", trial.id, {MakeMeasurement(1, 0.5)}).code() ==
            absl::StatusCode::kFailedPrecondition);
      CHECK(GetOrDie(store, "s", trial.id).state == final_state);
    }
  }

  SECTION("a non-finite final measurement is InvalidArgument and changes nothing") {
    const Trial before = GetOrDie(store, "s", 1);
    Trial update = before;
    update.state = TrialState::kCompleted;
    update.final_measurement = MakeMeasurement(1, std::numeric_limits<double>::infinity());
    CHECK(store.UpdateTrial("s", update).code() == absl::StatusCode::kInvalidArgument);
    CheckSameTrial(GetOrDie(store, "s", 1), before);
  }
}

TEST_CASE("Store: listing, filtering, paging and counting trials", "[store][conformance]") {
  const std::string kind = GENERATE(as<std::string>{}, STORE_KINDS);
  INFO("store " << kind);
  StoreUnderTest under_test = OpenStore(kind);
  Store& store = *under_test.store;
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("s")));
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("empty")));

  // Ten trials: id i goes to client "a" when odd, "b" when even; states by id:
  // 1,2 ACTIVE  3 STOPPING  4,5,6 COMPLETED  7 STOPPED  8 FAILED  9 INFEASIBLE
  // 10 ACTIVE.
  std::vector<Trial> trials;
  for (int i = 1; i <= 10; ++i) trials.push_back(MakeTrial(0.1 * i, i, i % 2 ? "a" : "b"));
  AddOrDie(store, "s", trials);
  const std::map<int64_t, TrialState> states = {
      {3, TrialState::kStopping},  {4, TrialState::kCompleted}, {5, TrialState::kCompleted},
      {6, TrialState::kCompleted}, {7, TrialState::kStopped},   {8, TrialState::kFailed},
      {9, TrialState::kInfeasible}};
  for (const auto& [id, state] : states) {
    Trial trial = GetOrDie(store, "s", id);
    trial.state = state;
    if (state == TrialState::kCompleted) trial.final_measurement = MakeMeasurement(5, 0.1);
    TUNER_REQUIRE_OK(store.UpdateTrial("s", trial));
  }
  for (int64_t id : {1, 2, 10}) {
    TUNER_REQUIRE_OK(store.AddMeasurements("s", id, {MakeMeasurement(1, 0.5)}));
  }

  auto list = [&](const TrialFilter& filter) {
    absl::StatusOr<std::vector<Trial>> listed = store.ListTrials("s", filter);
    TUNER_REQUIRE_OK(listed);
    return Ids(*listed);
  };

  SECTION("no filter: every trial by ascending id") { CHECK(list({}) == Range(1, 10)); }

  SECTION("by states") {
    TrialFilter filter;
    filter.states = {TrialState::kActive};
    CHECK(list(filter) == std::vector<int64_t>{1, 2, 10});
    filter.states = {TrialState::kCompleted, TrialState::kStopping};
    CHECK(list(filter) == std::vector<int64_t>{3, 4, 5, 6});
    filter.states = {TrialState::kFailed, TrialState::kInfeasible, TrialState::kStopped};
    CHECK(list(filter) == std::vector<int64_t>{7, 8, 9});
  }

  SECTION("by client_id, alone and with states") {
    TrialFilter filter;
    filter.client_id = "a";
    CHECK(list(filter) == std::vector<int64_t>{1, 3, 5, 7, 9});
    filter.states = {TrialState::kActive, TrialState::kStopping};
    CHECK(list(filter) == std::vector<int64_t>{1, 3});
    filter.client_id = "b";
    CHECK(list(filter) == std::vector<int64_t>{2, 10});
    filter.client_id = "nobody";
    CHECK(list(filter).empty());
  }

  SECTION("after_id and limit page through the trials") {
    TrialFilter filter;
    filter.limit = 3;
    std::vector<int64_t> seen;
    std::vector<size_t> page_sizes;
    while (true) {
      std::vector<int64_t> page = list(filter);
      if (page.empty()) break;
      page_sizes.push_back(page.size());
      seen.insert(seen.end(), page.begin(), page.end());
      filter.after_id = page.back();
    }
    CHECK(seen == Range(1, 10));
    CHECK(page_sizes == std::vector<size_t>{3, 3, 3, 1});

    filter = {};
    filter.after_id = 4;
    filter.limit = 2;
    filter.states = {TrialState::kCompleted, TrialState::kActive};
    CHECK(list(filter) == std::vector<int64_t>{5, 6});
    filter.after_id = 10;
    CHECK(list(filter).empty());
  }

  SECTION("a negative limit is InvalidArgument") {
    TrialFilter filter;
    filter.limit = -1;
    CHECK(store.ListTrials("s", filter).status().code() == absl::StatusCode::kInvalidArgument);
  }

  SECTION("listed trials carry everything GetTrial does") {
    absl::StatusOr<std::vector<Trial>> listed = store.ListTrials("s", {});
    TUNER_REQUIRE_OK(listed);
    for (const Trial& trial : *listed) CheckSameTrial(trial, GetOrDie(store, "s", trial.id));
  }

  SECTION("CountTrials counts each state") {
    absl::StatusOr<TrialCounts> counts = store.CountTrials("s");
    TUNER_REQUIRE_OK(counts);
    CHECK(counts->total == 10);
    CHECK(counts->active == 3);
    CHECK(counts->stopping == 1);
    CHECK(counts->completed == 3);
    CHECK(counts->stopped == 1);
    CHECK(counts->failed == 1);
    CHECK(counts->infeasible == 1);

    absl::StatusOr<TrialCounts> none = store.CountTrials("empty");
    TUNER_REQUIRE_OK(none);
    CHECK(none->total == 0);
    CHECK(none->active == 0);
    absl::StatusOr<std::vector<Trial>> listed = store.ListTrials("empty", {});
    TUNER_REQUIRE_OK(listed);
    CHECK(listed->empty());
  }
}

TEST_CASE("Store: concurrent callers", "[store][conformance][concurrency]") {
  const std::string kind = GENERATE(as<std::string>{}, STORE_KINDS);
  INFO("store " << kind);
  StoreUnderTest under_test = OpenStore(kind);
  Store& store = *under_test.store;
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("s")));

  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 15;
  // Each thread adds batches of 1..3 trials, reports a measurement to each
  // and reads; a reader thread lists and counts meanwhile.
  std::vector<std::vector<std::vector<int64_t>>> batches(kThreads);
  std::vector<std::string> errors(kThreads + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int call = 0; call < kCallsPerThread; ++call) {
        const int size = 1 + (t + call) % 3;
        std::vector<Trial> trials(size, MakeTrial(0.1 * t, call, "thread-" + std::to_string(t)));
        absl::StatusOr<std::vector<Trial>> added = store.AddTrials("s", trials);
        if (!added.ok()) {
          errors[t] = added.status().ToString();
          return;
        }
        batches[t].push_back(Ids(*added));
        for (const Trial& trial : *added) {
          absl::Status status = store.AddMeasurements("s", trial.id, {MakeMeasurement(t, 0.5)});
          if (!status.ok()) {
            errors[t] = status.ToString();
            return;
          }
        }
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 30; ++i) {
      absl::StatusOr<std::vector<Trial>> listed = store.ListTrials("s", {});
      absl::StatusOr<TrialCounts> counts = store.CountTrials("s");
      if (!listed.ok() || !counts.ok()) {
        errors[kThreads] = "reader failed";
        return;
      }
    }
  });
  for (std::thread& thread : threads) thread.join();
  for (const std::string& error : errors) CHECK(error.empty());

  std::vector<int64_t> all;
  for (const auto& thread_batches : batches) {
    REQUIRE(thread_batches.size() == kCallsPerThread);
    for (const std::vector<int64_t>& batch : thread_batches) {
      // Each call's ids are consecutive.
      CHECK(batch == Range(batch.front(), batch.front() + static_cast<int64_t>(batch.size()) - 1));
      all.insert(all.end(), batch.begin(), batch.end());
    }
  }
  std::sort(all.begin(), all.end());
  CHECK(all == Range(1, static_cast<int64_t>(all.size())));  // distinct, no gaps

  absl::StatusOr<std::vector<Trial>> listed = store.ListTrials("s", {});
  TUNER_REQUIRE_OK(listed);
  CHECK(Ids(*listed) == all);
  for (const Trial& trial : *listed) CHECK(trial.measurements.size() == 1);
}

TEST_CASE("Store: concurrent measurement writes share commits, each with its own result",
          "[store][conformance][concurrency]") {
  const std::string kind = GENERATE(as<std::string>{}, STORE_KINDS);
  INFO("store " << kind);
  StoreUnderTest under_test = OpenStore(kind);
  Store& store = *under_test.store;
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("s")));
  std::vector<Trial> trials = AddOrDie(store, "s", std::vector<Trial>(8, MakeTrial(0.5, 1, "c")));
  // Trial 8 is finished: writes to it must fail alone, never taking others down.
  Trial finished = trials.back();
  finished.state = TrialState::kCompleted;
  TUNER_REQUIRE_OK(store.UpdateTrial("s", finished));

  constexpr int kWrites = 50;
  std::vector<int> ok(8, 0), refused(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        absl::Status s = store.AddMeasurements("s", trials[t].id, {MakeMeasurement(i, 0.1 * i)});
        (s.ok() ? ok : refused)[t]++;
        if (!s.ok() && s.code() != absl::StatusCode::kFailedPrecondition) refused[t] += 1000;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 7; ++t) {
    CHECK(ok[t] == kWrites);
    CHECK(GetOrDie(store, "s", trials[t].id).measurements.size() == kWrites);
  }
  CHECK(refused[7] == kWrites);
  CHECK(GetOrDie(store, "s", finished.id).measurements.empty());
}

}  // namespace
}  // namespace tuner

namespace tuner {
namespace {

TEST_CASE("Store: RestartTrial starts the next attempt; AssignTrial hands out a clientless one",
          "[store][conformance]") {
  const std::string kind = GENERATE(as<std::string>{}, STORE_KINDS);
  INFO("store " << kind);
  StoreUnderTest under_test = OpenStore(kind);
  Store& store = *under_test.store;
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("s")));
  AddOrDie(store, "s", {MakeTrial(0.1, 1, "client-a")});
  TUNER_REQUIRE_OK(store.AddMeasurements("s", 1, {MakeMeasurement(1, 0.8)}));
  TUNER_REQUIRE_OK(store.SetTrialRunner("s", 1, "local:42", "train --lr=0.1"));

  const TrialAttempt first{.number = 1,
                           .start_time = 1700000100.25,
                           .end_time = 1700000200.5,
                           .outcome = "FAILED",
                           .reason = "rank chief:0 exited with code 1",
                           .reports = 1,
                           .last_step = 1};
  // A running trial: the next attempt for the same client.
  TUNER_REQUIRE_OK(store.RestartTrial("s", 1, first, "client-a"));
  Trial got = GetOrDie(store, "s", 1);
  CHECK(got.state == TrialState::kActive);
  CHECK(got.client_id == "client-a");
  CHECK(got.measurements.empty());
  CHECK(got.runner.empty());
  CHECK(got.command == "train --lr=0.1");
  REQUIRE(got.attempts.size() == 1);
  CHECK(got.attempts[0].number == 1);
  CHECK(got.attempts[0].end_time == 1700000200.5);
  CHECK(got.attempts[0].reason == first.reason);
  CHECK(got.attempt() == 2);
  CHECK(store.AssignTrial("s", 1, "client-b").code() == absl::StatusCode::kFailedPrecondition);

  // A FAILED trial (final): the only change a final trial accepts.
  got.state = TrialState::kFailed;
  got.reason = "again";
  TUNER_REQUIRE_OK(store.UpdateTrial("s", got));
  TrialAttempt second = first;
  second.number = 2;
  TUNER_REQUIRE_OK(store.RestartTrial("s", 1, second, ""));
  got = GetOrDie(store, "s", 1);
  CHECK(got.state == TrialState::kActive);
  CHECK(got.reason.empty());
  CHECK(got.end_time == 0);
  CHECK(got.client_id.empty());
  CHECK(got.attempt() == 3);
  TUNER_REQUIRE_OK(store.AssignTrial("s", 1, "client-b"));
  CHECK(GetOrDie(store, "s", 1).client_id == "client-b");
  CHECK(store.AssignTrial("s", 1, "client-c").code() == absl::StatusCode::kFailedPrecondition);

  CHECK(store.RestartTrial("s", 9, first, "").code() == absl::StatusCode::kNotFound);
  CHECK(store.AssignTrial("s", 9, "x").code() == absl::StatusCode::kNotFound);
  CHECK(store.RestartTrial("nope", 1, first, "").code() == absl::StatusCode::kNotFound);
}

TEST_CASE("Store: a study's designer state is replaced by each put and deleted with the study",
          "[store][conformance]") {
  const std::string kind = GENERATE(as<std::string>{}, STORE_KINDS);
  INFO("store " << kind);
  StoreUnderTest under_test = OpenStore(kind);
  Store& store = *under_test.store;
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("s")));
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("t")));
  absl::StatusOr<std::string> state = store.GetDesignerState("s");
  TUNER_REQUIRE_OK(state);
  CHECK(state->empty());
  TUNER_REQUIRE_OK(store.PutDesignerState("s", "gp-fits 1\nfirst"));
  TUNER_REQUIRE_OK(store.PutDesignerState("t", "of t"));
  const std::string second = "gp-fits 2\n" + std::string(100000, 'x');
  TUNER_REQUIRE_OK(store.PutDesignerState("s", second));
  state = store.GetDesignerState("s");
  TUNER_REQUIRE_OK(state);
  CHECK(*state == second);
  CHECK(store.GetDesignerState("nope").status().code() == absl::StatusCode::kNotFound);
  CHECK(store.PutDesignerState("nope", "x").code() == absl::StatusCode::kNotFound);
  TUNER_REQUIRE_OK(store.DeleteStudy("s"));
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("s")));
  state = store.GetDesignerState("s");
  TUNER_REQUIRE_OK(state);
  CHECK(state->empty());
  state = store.GetDesignerState("t");
  TUNER_REQUIRE_OK(state);
  CHECK(*state == "of t");
}

TEST_CASE("Store: artifact records round trip, replace by (attempt, path), outlive the trial's end",
          "[store][conformance]") {
  const std::string kind = GENERATE(as<std::string>{}, STORE_KINDS);
  INFO("store " << kind);
  StoreUnderTest under_test = OpenStore(kind);
  Store& store = *under_test.store;
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("s")));
  AddOrDie(store, "s", {MakeTrial(0.1, 1, "client-a")});
  const ArtifactRecord model{.path = "artifacts/model/weights.bin",
                             .kind = "model",
                             .size = 1234,
                             .sha256 = std::string(64, 'a'),
                             .rank = "chief-0",
                             .create_time = 1700000300.5};
  ArtifactRecord ckpt{.path = "checkpoints/10/state.pt",
                      .kind = "checkpoint",
                      .step = 10,
                      .size = 7,
                      .sha256 = std::string(64, 'b'),
                      .rank = "worker-1",
                      .attempt = 2,
                      .checkpoint = "checkpoints/10"};
  TUNER_REQUIRE_OK(store.PutArtifacts("s", 1, {ckpt, model}));
  auto listed = store.ListArtifacts("s", 1);
  TUNER_REQUIRE_OK(listed);
  REQUIRE(listed->size() == 2);
  // By attempt first: the model (attempt 1), then the checkpoint (attempt 2).
  const ArtifactRecord& m = (*listed)[0];
  CHECK(m.path == model.path);
  CHECK(m.kind == "model");
  CHECK(m.step == 0);
  CHECK(m.size == 1234);
  CHECK(m.sha256 == model.sha256);
  CHECK(m.rank == "chief-0");
  CHECK(m.attempt == 1);
  CHECK(m.checkpoint.empty());
  CHECK_FALSE(m.removed);
  CHECK(m.create_time == 1700000300.5);
  const ArtifactRecord& c = (*listed)[1];
  CHECK(c.path == ckpt.path);
  CHECK(c.step == 10);
  CHECK(c.attempt == 2);
  CHECK(c.rank == "worker-1");
  CHECK(c.checkpoint == "checkpoints/10");
  CHECK(c.create_time > 0);  // 0 = now

  // The same (attempt, path) replaces the record, also after the trial ended.
  Trial ended = GetOrDie(store, "s", 1);
  ended.state = TrialState::kCompleted;
  TUNER_REQUIRE_OK(store.UpdateTrial("s", ended));
  ckpt.removed = true;
  TUNER_REQUIRE_OK(store.PutArtifacts("s", 1, {ckpt}));
  listed = store.ListArtifacts("s", 1);
  TUNER_REQUIRE_OK(listed);
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[1].removed);

  // Bad input writes nothing.
  ArtifactRecord bad = model;
  bad.path = "other";
  ArtifactRecord empty_kind = model;
  empty_kind.kind = "";
  CHECK(store.PutArtifacts("s", 1, {bad, empty_kind}).code() == absl::StatusCode::kInvalidArgument);
  ArtifactRecord negative = model;
  negative.size = -1;
  CHECK(store.PutArtifacts("s", 1, {negative}).code() == absl::StatusCode::kInvalidArgument);
  CHECK(store.ListArtifacts("s", 1)->size() == 2);
  CHECK(store.PutArtifacts("s", 9, {model}).code() == absl::StatusCode::kNotFound);
  CHECK(store.ListArtifacts("s", 9).status().code() == absl::StatusCode::kNotFound);
  CHECK(store.ListArtifacts("nope", 1).status().code() == absl::StatusCode::kNotFound);

  // Deleting the study deletes its artifact records.
  TUNER_REQUIRE_OK(store.DeleteStudy("s"));
  TUNER_REQUIRE_OK(store.CreateStudy(MakeStudy("s")));
  AddOrDie(store, "s", {MakeTrial(0.1, 1, "client-a")});
  listed = store.ListArtifacts("s", 1);
  TUNER_REQUIRE_OK(listed);
  CHECK(listed->empty());
}

}  // namespace
}  // namespace tuner
