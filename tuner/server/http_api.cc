#include "tuner/server/http_api.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "algorithms/best_trials.h"
#include "algorithms/pbt.h"
#include "study/assignment_json.h"
#include "study/study_json.h"
#include "study/trainer_command.h"
#include "tuner/server/install_paths.h"
#include "tuner/service/dashboard_analysis.h"
#include "tuner/service/study_api.h"
#include "tuner/service/study_history.h"

namespace tuner {

using nlohmann::json;

std::string DefaultDashboardDir() {
  if (const char* env = std::getenv("TUNER_DASHBOARD_DIR"); env && *env) return env;
  return DashboardDir();
}

bool PercentDecode(const std::string& in, bool plus_is_space, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      const int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out->push_back(c);
    }
  }
  return true;
}

std::string ResolveStaticPath(const std::string& root, const std::string& url_path) {
  namespace fs = std::filesystem;
  if (url_path.find('\\') != std::string::npos || url_path.find('\0') != std::string::npos) {
    return "";
  }
  fs::path path = root;
  std::stringstream segments(url_path);
  std::string segment;
  bool any = false;
  while (std::getline(segments, segment, '/')) {
    if (segment.empty()) continue;
    if (segment == "." || segment == ".." || segment[0] == '.') return "";  // no hidden files
    path /= segment;
    any = true;
  }
  if (!any) return "";
  std::error_code ec;
  const fs::path canonical_root = fs::canonical(root, ec);
  if (ec) return "";
  const fs::path canonical = fs::canonical(path, ec);
  if (ec || !fs::is_regular_file(canonical, ec)) return "";
  // Refuse symbolic links that lead out of the root.
  const std::string r = canonical_root.string() + "/";
  if (canonical.string().rfind(r, 0) != 0) return "";
  return canonical.string();
}

namespace {

constexpr int64_t kMaxCachedStudies = 32;
// Parameter importance needs at least max(this, 2 x parameters) completed trials.
constexpr int64_t kMinImportanceTrials = 10;
// A trial's log, as served: at most this much of its end.
constexpr int64_t kDefaultLogTailBytes = 64 * 1024;
constexpr int64_t kMaxLogTailBytes = 1024 * 1024;

// A study's trials as last read, with what the routes derive from them.
struct Snapshot {
  StudyRecord record;
  std::shared_ptr<const StudySpec> spec;
  std::vector<std::shared_ptr<const Trial>> trials;  // by id
  std::vector<const Trial*> ptrs;                    // the same, as plain pointers
  std::vector<std::string> parameters;               // in spec order
  std::vector<std::string> metrics;  // objectives first, then other final metrics by name
  std::vector<const Trial*> best;    // the best, or the Pareto front
  TrialCounts counts;
  std::string version;
  std::chrono::steady_clock::time_point loaded;
};

// FNV-1a, 64 bits.
struct Hasher {
  uint64_t h = 1469598103934665603ull;
  void Add(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  }
  void Add(int64_t v) { Add(&v, sizeof v); }
  void Add(const std::string& s) { Add(s.data(), s.size()), Add(static_cast<int64_t>(s.size())); }
};

void Derive(Snapshot* s) {
  s->ptrs.clear();
  s->counts = {};
  std::set<std::string> other_metrics;
  Hasher h;
  h.Add(s->record.spec_json);
  h.Add(static_cast<int64_t>(s->record.state));
  for (const auto& t : s->trials) {
    s->ptrs.push_back(t.get());
    s->counts.Add(t->state, 1);
    if (t->final_measurement) {
      for (const auto& [k, v] : t->final_measurement->metrics) other_metrics.insert(k);
    }
    h.Add(t->id);
    h.Add(static_cast<int64_t>(t->state));
    h.Add(static_cast<int64_t>(t->measurements.size()));
    h.Add(static_cast<int64_t>(t->final_measurement.has_value()));
  }
  s->parameters.clear();
  for (const ParameterSpec& p : s->spec->space.parameters) s->parameters.push_back(p.name);
  s->metrics.clear();
  for (const Objective& o : s->spec->objectives) {
    s->metrics.push_back(o.metric);
    other_metrics.erase(o.metric);
  }
  s->metrics.insert(s->metrics.end(), other_metrics.begin(), other_metrics.end());
  // BestTrials wants a vector of trials; it returns pointers into it, which
  // map back to ours by position.
  std::vector<Trial> completed;
  std::vector<const Trial*> originals;
  for (const Trial* t : s->ptrs) {
    if (t->state != TrialState::kCompleted) continue;
    Trial light;
    light.id = t->id;
    light.state = t->state;
    light.final_measurement = t->final_measurement;
    completed.push_back(std::move(light));
    originals.push_back(t);
  }
  s->best.clear();
  for (const Trial* b : BestTrials(completed, s->spec->objectives)) {
    s->best.push_back(originals[static_cast<size_t>(b - completed.data())]);
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h.h));
  s->version = hex;
}

json MetricsJson(const std::map<std::string, double>& metrics) {
  json out = json::object();
  for (const auto& [k, v] : metrics) out[k] = v;
  return out;
}

json TrialRow(const Trial& t) {
  json row = {
      {"id", t.id},
      {"state", ToString(t.state)},
      {"params", AssignmentJson(t.parameters)},
      {"metrics", t.final_measurement ? MetricsJson(t.final_measurement->metrics) : json::object()},
      {"steps", t.measurements.size()},
      {"create_time", t.create_time},
      {"end_time", t.end_time}};
  if (!t.reason.empty()) row["reason"] = t.reason;
  if (!t.client_id.empty()) row["client_id"] = t.client_id;
  if (!t.origin.empty()) row["origin"] = t.origin;
  if (t.retry_of > 0) row["retry_of"] = t.retry_of;
  if (t.parent_trial > 0) {
    row["parent_trial"] = t.parent_trial;
    row["parent_step"] = t.parent_step;
  }
  return row;
}

json MeasurementsJson(const Trial& t) {
  json out = json::array();
  for (const Measurement& m : t.measurements) {
    out.push_back(
        {{"step", m.step}, {"elapsed_secs", m.elapsed_secs}, {"metrics", MetricsJson(m.metrics)}});
  }
  return out;
}

// Earlier attempts of a trial (retries), oldest first; the current one is
// number attempts.size() + 1.
json AttemptsJson(const Trial& t) {
  json out = json::array();
  for (const TrialAttempt& a : t.attempts) {
    out.push_back({{"number", a.number},
                   {"start_time", a.start_time},
                   {"end_time", a.end_time},
                   {"outcome", a.outcome},
                   {"reason", a.reason},
                   {"reports", a.reports},
                   {"last_step", a.last_step}});
  }
  return out;
}

json BestJson(const Snapshot& s) {
  json out = json::array();
  for (const Trial* t : s.best) {
    json row = TrialRow(*t);
    row["command_line"] = ShellCommand(ParameterArguments(t->parameters));
    out.push_back(std::move(row));
  }
  return out;
}

json ObjectivesJson(const StudySpec& spec) {
  json out = json::array();
  for (const Objective& o : spec.objectives) {
    out.push_back(
        {{"metric", o.metric}, {"goal", o.goal == Goal::kMaximize ? "maximize" : "minimize"}});
  }
  return out;
}

json CountsJson(const TrialCounts& c) {
  return {{"total", c.total},           {"active", c.active},   {"stopping", c.stopping},
          {"completed", c.completed},   {"stopped", c.stopped}, {"failed", c.failed},
          {"infeasible", c.infeasible}, {"stale", c.stale}};
}

json ParametersJson(const SearchSpace& space) {
  json out = json::array();
  for (const ParameterSpec& p : space.parameters) {
    json j = {{"name", p.name}, {"type", ToString(p.type)}, {"scale", ToString(p.scale)}};
    if (p.type == ParameterType::kDouble || p.type == ParameterType::kInteger) {
      j["min"] = p.min;
      j["max"] = p.max;
    } else {
      j["values"] = json::array();
      for (const ParameterValue& v : p.values) j["values"].push_back(ParameterJson(v));
    }
    if (p.when) {
      json values = json::array();
      for (const ParameterValue& v : p.when->values) values.push_back(ParameterJson(v));
      j["when"] = {{"parent", p.when->parent}, {"values", std::move(values)}};
    }
    out.push_back(std::move(j));
  }
  return out;
}

json StudyListEntry(const Snapshot& s) {
  json best = nullptr;
  if (!s.best.empty() && s.best.front()->final_measurement) {
    const auto& m = s.best.front()->final_measurement->metrics;
    if (auto it = m.find(s.spec->objectives.front().metric); it != m.end()) best = it->second;
  }
  return {{"name", s.record.name},
          {"state", ToString(s.record.state)},
          {"create_time", s.record.create_time},
          {"objectives", ObjectivesJson(*s.spec)},
          {"algorithm", ToString(s.spec->algorithm.name)},
          {"max_trials", s.spec->max_trials},
          {"counts", CountsJson(s.counts)},
          {"best_value", best},
          {"version", s.version}};
}

HttpResponse JsonResponse(const json& body, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

HttpResponse Error(int status, const std::string& message) {
  const char* code = status == 404   ? "NOT_FOUND"
                     : status == 400 ? "INVALID_ARGUMENT"
                     : status == 405 ? "METHOD_NOT_ALLOWED"
                     : status == 503 ? "UNAVAILABLE"
                                     : "INTERNAL";
  HttpResponse r = JsonResponse({{"error", {{"code", code}, {"message", message}}}}, status);
  if (status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

HttpResponse Error(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return Error(404, std::string(status.message()));
    case absl::StatusCode::kInvalidArgument:
      return Error(400, std::string(status.message()));
    case absl::StatusCode::kUnavailable:        // busy: try again
    case absl::StatusCode::kResourceExhausted:  // disk full
      return Error(503, std::string(status.message()));
    default:
      return Error(500, std::string(status.message()));
  }
}

std::string ContentTypeFor(const std::string& path) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"}};
  auto it = kTypes.find(std::filesystem::path(path).extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

HttpResponse FileResponse(const std::string& file, const std::string& cache_control) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(404, "no such file");
  std::stringstream text;
  text << in.rdbuf();
  HttpResponse r;
  r.content_type = ContentTypeFor(file);
  r.body = text.str();
  r.headers.emplace_back("Cache-Control", cache_control);
  return r;
}

std::optional<int64_t> ParseInt(const std::string& s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

struct HttpApi::Impl {
  StudyApi* service;
  HttpApiOptions options;
  std::mutex mu;  // guards cache; held while a study is refreshed
  // Per study viewed: its trials (the incremental cache) and the last
  // snapshot derived from them.
  struct Cached {
    std::unique_ptr<StudyHistory> history;
    double create_time = 0;
    std::shared_ptr<const Snapshot> snapshot;
  };
  std::map<std::string, Cached> cache;

  absl::StatusOr<std::shared_ptr<const Snapshot>> Load(const std::string& name);
  HttpResponse Route(const HttpRequest& request, const std::vector<std::string>& path,
                     const std::map<std::string, std::string>& query);
  HttpResponse Studies();
  HttpResponse Study(const Snapshot& s);
  HttpResponse Trials(const Snapshot& s, const std::map<std::string, std::string>& query);
  HttpResponse Columns(const Snapshot& s);
  HttpResponse Curves(const Snapshot& s, const std::map<std::string, std::string>& query);
  HttpResponse Importance(const Snapshot& s, const std::map<std::string, std::string>& query);
  HttpResponse Static(const std::string& path);
  HttpResponse Health();
  HttpResponse Ready();
  HttpResponse Logs(const Snapshot& s, const Trial& t,
                    const std::map<std::string, std::string>& query);
  HttpResponse Metrics();
};

absl::StatusOr<std::shared_ptr<const Snapshot>> HttpApi::Impl::Load(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu);
  const auto now = std::chrono::steady_clock::now();
  std::shared_ptr<const Snapshot> old;
  if (auto it = cache.find(name); it != cache.end()) old = it->second.snapshot;
  if (old && now - old->loaded < std::chrono::duration<double>(options.refresh_interval_s)) {
    return old;
  }
  auto record = service->GetStudy(name);
  if (!record.ok()) {
    cache.erase(name);
    return record.status();
  }
  if (!old && static_cast<int64_t>(cache.size()) >= kMaxCachedStudies) {
    auto oldest = std::min_element(cache.begin(), cache.end(), [](const auto& a, const auto& b) {
      return a.second.snapshot->loaded < b.second.snapshot->loaded;
    });
    cache.erase(oldest);
  }
  Cached& cached = cache[name];
  // A study deleted and created again under the same name starts afresh.
  if (!cached.history || cached.create_time != record->create_time) {
    cached.history = std::make_unique<StudyHistory>(/*with_measurements=*/true);
    cached.create_time = record->create_time;
  }
  absl::Status refreshed = cached.history->Refresh(
      [this, &name](const TrialFilter& filter) { return service->ListTrials(name, filter); });
  if (!refreshed.ok()) {
    cache.erase(name);
    return refreshed;
  }
  auto snap = std::make_shared<Snapshot>();
  snap->record = *record;
  snap->spec = record->spec;
  snap->loaded = now;
  snap->trials = cached.history->trials();
  Derive(snap.get());
  cached.snapshot = snap;
  return std::shared_ptr<const Snapshot>(snap);
}

HttpResponse HttpApi::Impl::Studies() {
  auto studies = service->ListStudies();
  if (!studies.ok()) return Error(studies.status());
  json list = json::array();
  for (const StudyRecord& r : *studies) {
    auto snap = Load(r.name);
    if (!snap.ok()) {
      if (snap.status().code() == absl::StatusCode::kNotFound) continue;  // deleted meanwhile
      return Error(snap.status());
    }
    list.push_back(StudyListEntry(**snap));
  }
  return JsonResponse({{"studies", std::move(list)}});
}

HttpResponse HttpApi::Impl::Study(const Snapshot& s) {
  json out = StudyListEntry(s);
  out["max_parallel_trials"] = s.spec->max_parallel_trials;
  out["early_stopping"] = ToString(s.spec->early_stopping.rule);
  out["parameters"] = ParametersJson(s.spec->space);
  // Hyperband's budget parameter (also in `parameters`): the page keeps it out
  // of importance and colours results by it.
  if (s.spec->algorithm.name == AlgorithmName::kHyperband) {
    out["resource"] = s.spec->algorithm.resource.name;
  }
  out["metrics"] = s.metrics;
  out["best"] = BestJson(s);
  out["spec"] = json::parse(s.record.spec_json, nullptr, /*allow_exceptions=*/false);
  double last = 0;
  for (const Trial* t : s.ptrs) last = std::max({last, t->create_time, t->end_time});
  out["last_update"] = last;
  return JsonResponse(out);
}

HttpResponse HttpApi::Impl::Trials(const Snapshot& s,
                                   const std::map<std::string, std::string>& query) {
  TrialQuery q;
  auto get = [&](const char* key) -> const std::string* {
    auto it = query.find(key);
    return it == query.end() ? nullptr : &it->second;
  };
  if (const auto* v = get("offset")) {
    auto n = ParseInt(*v);
    if (!n) return Error(400, "offset: expected a non-negative integer, got \"" + *v + "\"");
    q.offset = *n;
  }
  if (const auto* v = get("limit")) {
    auto n = ParseInt(*v);
    if (!n) return Error(400, "limit: expected an integer in [1, 1000], got \"" + *v + "\"");
    q.limit = *n;
  }
  if (const auto* v = get("sort"); v && !v->empty()) q.sort = *v;
  if (const auto* v = get("order")) {
    if (*v != "asc" && *v != "desc") return Error(400, "order: expected asc or desc");
    q.descending = *v == "desc";
  }
  if (const auto* v = get("state"); v && !v->empty()) {
    std::stringstream states(*v);
    std::string one;
    while (std::getline(states, one, ',')) {
      if (one.empty()) continue;
      auto state = ParseTrialState(one);
      if (!state) return Error(400, "state: unknown trial state \"" + one + "\"");
      q.states.push_back(*state);
    }
  }
  if (const auto* v = get("filter")) q.filter = *v;
  auto page = QueryTrials(s.ptrs, s.parameters, s.metrics, q);
  if (!page.ok()) return Error(page.status());
  json rows = json::array();
  for (const Trial* t : page->trials) rows.push_back(TrialRow(*t));
  return JsonResponse({{"total", page->total},
                       {"matched", page->matched},
                       {"offset", q.offset},
                       {"limit", q.limit},
                       {"sort", q.sort},
                       {"order", q.descending ? "desc" : "asc"},
                       {"version", s.version},
                       {"trials", std::move(rows)}});
}

HttpResponse HttpApi::Impl::Columns(const Snapshot& s) {
  json ids = json::array(), states = json::array(), steps = json::array(), created = json::array(),
       ended = json::array();
  json params = json::object(), metrics = json::object();
  for (const std::string& p : s.parameters) params[p] = json::array();
  for (const std::string& m : s.metrics) metrics[m] = json::array();
  for (const Trial* t : s.ptrs) {
    ids.push_back(t->id);
    states.push_back(ToString(t->state));
    steps.push_back(t->measurements.size());
    created.push_back(t->create_time);
    ended.push_back(t->end_time);
    for (const std::string& p : s.parameters) {
      auto it = t->parameters.find(p);
      params[p].push_back(it == t->parameters.end() ? json(nullptr) : ParameterJson(it->second));
    }
    for (const std::string& m : s.metrics) {
      json v = nullptr;
      if (t->final_measurement) {
        if (auto it = t->final_measurement->metrics.find(m);
            it != t->final_measurement->metrics.end()) {
          v = it->second;
        }
      }
      metrics[m].push_back(std::move(v));
    }
  }
  json best = json::array();
  for (const Trial* t : s.best) best.push_back(t->id);
  return JsonResponse({{"version", s.version},
                       {"objectives", ObjectivesJson(*s.spec)},
                       {"ids", std::move(ids)},
                       {"states", std::move(states)},
                       {"steps", std::move(steps)},
                       {"create_times", std::move(created)},
                       {"end_times", std::move(ended)},
                       {"params", std::move(params)},
                       {"metrics", std::move(metrics)},
                       {"best_ids", std::move(best)}});
}

HttpResponse HttpApi::Impl::Curves(const Snapshot& s,
                                   const std::map<std::string, std::string>& query) {
  std::string metric = s.spec->objectives.front().metric;
  if (auto it = query.find("metric"); it != query.end() && !it->second.empty()) {
    metric = it->second;
  }
  json ids = json::array(), states = json::array(), steps = json::array(), values = json::array();
  for (const Trial* t : s.ptrs) {
    json st = json::array(), va = json::array();
    for (const Measurement& m : t->measurements) {
      auto it = m.metrics.find(metric);
      if (it == m.metrics.end()) continue;
      st.push_back(m.step);
      va.push_back(it->second);
    }
    if (st.empty()) continue;
    ids.push_back(t->id);
    states.push_back(ToString(t->state));
    steps.push_back(std::move(st));
    values.push_back(std::move(va));
  }
  return JsonResponse({{"version", s.version},
                       {"metric", metric},
                       {"ids", std::move(ids)},
                       {"states", std::move(states)},
                       {"steps", std::move(steps)},
                       {"values", std::move(values)}});
}

HttpResponse HttpApi::Impl::Importance(const Snapshot& s,
                                       const std::map<std::string, std::string>& query) {
  std::string metric = s.spec->objectives.front().metric;
  if (auto it = query.find("metric"); it != query.end() && !it->second.empty()) {
    metric = it->second;
  }
  // Hyperband's resource is the budget, not a hyperparameter: leave it out.
  SearchSpace space = s.spec->space;
  std::string excluded;
  if (s.spec->algorithm.name == AlgorithmName::kHyperband) {
    excluded = s.spec->algorithm.resource.name;
    std::erase_if(space.parameters, [&](const ParameterSpec& p) { return p.name == excluded; });
  }
  std::vector<ParameterImportance> imps = ParameterImportances(space, s.ptrs, metric);
  std::stable_sort(imps.begin(), imps.end(),
                   [](const auto& a, const auto& b) { return a.importance > b.importance; });
  int64_t used = 0;
  for (const Trial* t : s.ptrs) {
    used += t->state == TrialState::kCompleted && t->final_measurement &&
            t->final_measurement->metrics.count(metric) > 0;
  }
  json params = json::array();
  for (const ParameterImportance& p : imps) {
    params.push_back({{"name", p.parameter},
                      {"importance", p.importance},
                      {"importance_low", p.importance_low},
                      {"importance_high", p.importance_high},
                      {"variance_explained", p.variance_explained},
                      {"groups", p.groups}});
  }
  // Below this many completed trials the shares are mostly noise (one
  // parameter "explains 100%" of 6 values): the page says so instead.
  const int64_t min_trials =
      std::max<int64_t>(kMinImportanceTrials, 2 * static_cast<int64_t>(space.parameters.size()));
  json out = {{"version", s.version},
              {"method", std::string(kImportanceMethod)},
              {"interval", "10th-90th percentile over " + std::to_string(kImportanceResamples) +
                               " bootstrap resamples of the trials"},
              {"metric", metric},
              {"trials_used", used},
              {"min_trials", min_trials},
              {"enough", used >= min_trials},
              {"parameters", std::move(params)}};
  if (!excluded.empty()) out["excluded"] = json::array({excluded});
  return JsonResponse(out);
}

HttpResponse HttpApi::Impl::Static(const std::string& path) {
  const std::string& dir = options.dashboard_dir;
  if (path == "/vendor/echarts.min.js") {
    const std::string file = dir + "/node_modules/echarts/dist/echarts.min.js";
    if (!std::filesystem::is_regular_file(file)) {
      return Error(404, "the charting library is not installed: run `npm ci` in " + dir +
                            " (scripts/setup.sh does)");
    }
    return FileResponse(file, "max-age=3600");
  }
  const std::string file =
      ResolveStaticPath(dir + "/www", path == "/" ? std::string("/index.html") : path);
  if (file.empty()) return Error(404, "no such page: " + path);
  return FileResponse(file, "no-cache");
}

HttpResponse HttpApi::Impl::Route(const HttpRequest& request, const std::vector<std::string>& path,
                                  const std::map<std::string, std::string>& query) {
  // path: {"api", "studies", name, ...}
  if (path.size() == 2) return Studies();
  const std::string& name = path[2];
  auto snap = Load(name);
  if (!snap.ok()) return Error(snap.status());
  const Snapshot& s = **snap;
  const size_t n = path.size();
  auto find_trial = [&s](int64_t id) -> const Trial* {
    auto it = std::lower_bound(s.ptrs.begin(), s.ptrs.end(), id,
                               [](const Trial* t, int64_t v) { return t->id < v; });
    return it == s.ptrs.end() || (*it)->id != id ? nullptr : *it;
  };
  // A log grows without changing the study's version: no ETag, no 304.
  if (n == 6 && path[3] == "trials" && path[5] == "logs") {
    auto id = ParseInt(path[4]);
    if (!id) return Error(400, "trial id: expected a positive integer, got \"" + path[4] + "\"");
    const Trial* t = find_trial(*id);
    if (!t) return Error(404, "study " + name + " has no trial " + path[4]);
    return Logs(s, *t, query);
  }
  // Files are recorded after a trial ends too (the study's version does not
  // change): no ETag either.
  if (n == 6 && path[3] == "trials" && path[5] == "artifacts") {
    auto id = ParseInt(path[4]);
    if (!id) return Error(400, "trial id: expected a positive integer, got \"" + path[4] + "\"");
    auto artifacts = service->ListArtifacts(name, *id);
    if (!artifacts.ok()) return Error(artifacts.status());
    json rows = json::array();
    for (const ArtifactRecord& a : *artifacts) {
      rows.push_back({{"path", a.path},
                      {"kind", a.kind},
                      {"step", a.step},
                      {"size", a.size},
                      {"sha256", a.sha256},
                      {"rank", a.rank},
                      {"attempt", a.attempt},
                      {"removed", a.removed},
                      {"create_time", a.create_time}});
    }
    return JsonResponse({{"trial", *id}, {"artifacts", rows}});
  }
  if (n == 4 && path[3] == "events") {
    HttpResponse r;
    r.content_type = kEventStreamType;
    r.body = VersionEvent(s.version);
    r.event_study = name;
    r.headers = {{"Cache-Control", "no-cache"}};
    return r;
  }
  const std::string etag = "\"" + s.version + "\"";
  if (!request.if_none_match.empty() && request.if_none_match == etag) {
    HttpResponse r;
    r.status = 304;
    r.content_type.clear();
    r.headers = {{"ETag", etag}, {"Cache-Control", "no-cache"}};
    return r;
  }
  HttpResponse r;
  if (n == 3) {
    r = Study(s);
  } else if (n == 4 && path[3] == "trials") {
    r = Trials(s, query);
  } else if (n == 4 && path[3] == "best") {
    r = JsonResponse(
        {{"version", s.version}, {"objectives", ObjectivesJson(*s.spec)}, {"best", BestJson(s)}});
  } else if (n == 4 && path[3] == "columns") {
    r = Columns(s);
  } else if (n == 4 && path[3] == "curves") {
    r = Curves(s, query);
  } else if (n == 4 && path[3] == "importance") {
    r = Importance(s, query);
  } else if ((n == 5 || (n == 6 && path[5] == "measurements")) && path[3] == "trials") {
    auto id = ParseInt(path[4]);
    if (!id) return Error(400, "trial id: expected a positive integer, got \"" + path[4] + "\"");
    auto it = std::lower_bound(s.ptrs.begin(), s.ptrs.end(), *id,
                               [](const Trial* t, int64_t v) { return t->id < v; });
    if (it == s.ptrs.end() || (*it)->id != *id) {
      return Error(404, "study " + name + " has no trial " + path[4]);
    }
    if (n == 5) {
      json row = TrialRow(**it);
      row["measurements"] = MeasurementsJson(**it);
      row["command_line"] = ShellCommand(ParameterArguments((*it)->parameters));
      if (!(*it)->command.empty()) row["command"] = (*it)->command;
      row["attempts"] = AttemptsJson(**it);
      // PBT: the lineage's parameters over time, and the copies made of it.
      json lineage = json::array();
      for (const ScheduleEntry& e : PbtSchedule(s.ptrs, (*it)->id)) {
        lineage.push_back({{"trial", e.trial},
                           {"from_step", e.from_step},
                           {"params", AssignmentJson(e.parameters)}});
      }
      row["schedule"] = std::move(lineage);
      json children = json::array();
      for (const Trial* c : s.ptrs) {
        if (c->parent_trial == (*it)->id)
          children.push_back({{"id", c->id}, {"step", c->parent_step}});
      }
      row["children"] = std::move(children);
      r = JsonResponse(row);
    } else {
      r = JsonResponse({{"trial", (*it)->id}, {"measurements", MeasurementsJson(**it)}});
    }
  } else {
    return Error(404, "no such route: " + request.target);
  }
  if (r.status == 200) r.headers.emplace_back("ETag", etag);
  return r;
}

// "chief:0" or "chief-0" -> "chief-0"; "" for anything that is not a rank.
std::string RankFileStem(const std::string& rank) {
  const size_t sep = rank.find_first_of(":-");
  if (sep == std::string::npos || sep + 1 == rank.size() || rank.size() - sep - 1 > 6) return "";
  const std::string type = rank.substr(0, sep);
  if (type != "chief" && type != "worker" && type != "ps") return "";
  for (size_t i = sep + 1; i < rank.size(); ++i) {
    if (rank[i] < '0' || rank[i] > '9') return "";
  }
  return type + "-" + rank.substr(sep + 1);
}

HttpResponse HttpApi::Impl::Logs(const Snapshot& s, const Trial& t,
                                 const std::map<std::string, std::string>& query) {
  namespace fs = std::filesystem;
  if (options.trials_dir.empty()) {
    return Error(404, "this server does not know where the trial directories are");
  }
  const std::string& study = s.record.name;
  if (study.empty() || study == "." || study == ".." || study.find('/') != std::string::npos) {
    return Error(400, "the study's name cannot be a directory name");
  }
  const fs::path dir =
      fs::path(options.trials_dir) / study / ("trial-" + std::to_string(t.id)) / "logs";
  // The rank logs there, chief first, then workers, then ps, each by index.
  std::vector<std::pair<std::tuple<int, int64_t>, std::string>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 5 || name.substr(name.size() - 4) != ".log") continue;
    const std::string stem = RankFileStem(name.substr(0, name.size() - 4));
    if (stem.empty() || stem != name.substr(0, name.size() - 4)) continue;
    const size_t dash = stem.find('-');
    const std::string type = stem.substr(0, dash);
    found.push_back({{type == "chief"    ? 0
                      : type == "worker" ? 1
                                         : 2,
                      std::stoll(stem.substr(dash + 1))},
                     stem});
  }
  std::sort(found.begin(), found.end());
  json ranks = json::array();
  for (const auto& [order, stem] : found) ranks.push_back(stem);
  if (found.empty()) {  // not launched by a run (ask/tell), or not started yet
    return JsonResponse({{"trial", t.id},
                         {"state", ToString(t.state)},
                         {"ranks", json::array()},
                         {"text", ""},
                         {"message", "no logs in " + dir.string() +
                                         " (a trial that `tuner run` did not launch has none)"}});
  }
  std::string rank = found.front().second;
  if (auto it = query.find("rank"); it != query.end() && !it->second.empty()) {
    rank = RankFileStem(it->second);
    if (rank.empty()) {
      return Error(400, "rank: expected chief:N, worker:N or ps:N, got \"" + it->second + "\"");
    }
  }
  int64_t tail = kDefaultLogTailBytes;
  if (auto it = query.find("tail_bytes"); it != query.end()) {
    auto n = ParseInt(it->second);
    if (!n || *n < 1 || *n > kMaxLogTailBytes) {
      return Error(
          400, "tail_bytes: expected an integer in [1, " + std::to_string(kMaxLogTailBytes) + "]");
    }
    tail = *n;
  }
  // Only a regular file inside the trials directory (no symbolic link out).
  const fs::path file = dir / (rank + ".log");
  const fs::path root = fs::canonical(options.trials_dir, ec);
  const fs::path real = ec ? fs::path() : fs::canonical(file, ec);
  if (ec || !fs::is_regular_file(real, ec) || real.string().rfind(root.string() + "/", 0) != 0) {
    return Error(404, "trial " + std::to_string(t.id) + " has no log for rank " + rank);
  }
  std::ifstream in(real, std::ios::binary);
  in.seekg(0, std::ios::end);
  const int64_t size = static_cast<int64_t>(in.tellg());
  const bool truncated = size > tail;
  in.seekg(truncated ? size - tail : 0);
  std::string text(static_cast<size_t>(std::min(size, tail)), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
  if (truncated) {  // start on a whole line
    if (size_t nl = text.find('\n'); nl != std::string::npos) text.erase(0, nl + 1);
  }
  const json out = {
      {"trial", t.id}, {"state", ToString(t.state)}, {"rank", rank},           {"ranks", ranks},
      {"size", size},  {"truncated", truncated},     {"text", std::move(text)}};
  HttpResponse r;
  // A log is any bytes: invalid UTF-8 becomes U+FFFD rather than an error.
  r.body = out.dump(-1, ' ', false, json::error_handler_t::replace);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

HttpResponse HttpApi::Impl::Ready() {
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-store");
  const absl::Status writable = service->ProbeWrite();
  if (writable.ok()) {
    r.body = "ready\n";
  } else {
    r.status = 503;
    r.body = "not ready: the store does not take writes: " + std::string(writable.message()) + "\n";
  }
  return r;
}

HttpResponse HttpApi::Impl::Health() {
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-store");
  auto studies = service->ListStudies();
  if (studies.ok()) {
    r.body = "ok\n";
  } else {
    r.status = 503;
    r.body =
        "unavailable: the store does not answer: " + std::string(studies.status().message()) + "\n";
  }
  return r;
}

HttpResponse HttpApi::Impl::Metrics() {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = options.metrics->Render();
  // Studies and trials by state, summed over studies (no per-study labels).
  static constexpr TrialState kStates[] = {
      TrialState::kActive, TrialState::kStopping,   TrialState::kCompleted, TrialState::kStopped,
      TrialState::kFailed, TrialState::kInfeasible, TrialState::kStale};
  std::map<std::string, int64_t> studies_by_state;
  std::map<std::string, int64_t> trials_by_state;
  for (TrialState t : kStates) trials_by_state[ToString(t)] = 0;
  bool up = true;
  auto studies = service->ListStudies();
  if (!studies.ok()) {
    up = false;
  } else {
    for (const tuner::Study& study : *studies) {
      ++studies_by_state[ToString(study.state)];
      auto trials = service->ListTrials(study.name, {.with_measurements = false});
      if (!trials.ok()) {
        if (trials.status().code() == absl::StatusCode::kNotFound) continue;  // deleted meanwhile
        up = false;
        break;
      }
      for (const Trial& t : *trials) ++trials_by_state[ToString(t.state)];
    }
  }
  r.body += "# HELP tuner_store_up 1 when the store answered this scrape, else 0.\n";
  r.body += "# TYPE tuner_store_up gauge\n";
  r.body += std::string("tuner_store_up ") + (up ? "1" : "0") + "\n";
  if (up) {
    r.body += "# HELP tuner_studies Studies in the store, by state.\n# TYPE tuner_studies gauge\n";
    for (const auto& [state, n] : studies_by_state) {
      r.body +=
          "tuner_studies{state=\"" + PrometheusLabel(state) + "\"} " + std::to_string(n) + "\n";
    }
    r.body += "# HELP tuner_trials Trials of every study, by state.\n# TYPE tuner_trials gauge\n";
    for (const auto& [state, n] : trials_by_state) {
      r.body +=
          "tuner_trials{state=\"" + PrometheusLabel(state) + "\"} " + std::to_string(n) + "\n";
    }
  }
  return r;
}

HttpApi::HttpApi(StudyApi* service, HttpApiOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->service = service;
  impl_->options = std::move(options);
  if (impl_->options.dashboard_dir.empty()) impl_->options.dashboard_dir = DefaultDashboardDir();
  if (!impl_->options.metrics) impl_->options.metrics = std::make_shared<ServerMetrics>();
}

ServerMetrics& HttpApi::metrics() { return *impl_->options.metrics; }

HttpApi::~HttpApi() = default;

const std::string& HttpApi::dashboard_dir() const { return impl_->options.dashboard_dir; }

std::optional<std::string> HttpApi::StudyVersion(const std::string& study) {
  auto snap = impl_->Load(study);
  if (!snap.ok()) return std::nullopt;
  return (*snap)->version;
}

std::string VersionEvent(const std::string& version) {
  return "event: version\ndata: " + json{{"version", version}}.dump() + "\n\n";
}

HttpResponse HttpApi::Handle(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r = Error(405, "only GET and HEAD are served");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  const size_t q = request.target.find('?');
  const std::string raw_path = request.target.substr(0, q);
  std::map<std::string, std::string> query;
  if (q != std::string::npos) {
    std::stringstream pairs(request.target.substr(q + 1));
    std::string pair;
    while (std::getline(pairs, pair, '&')) {
      if (pair.empty()) continue;
      const size_t eq = pair.find('=');
      std::string key, value;
      if (!PercentDecode(pair.substr(0, eq), true, &key) ||
          !PercentDecode(eq == std::string::npos ? "" : pair.substr(eq + 1), true, &value)) {
        return Error(400, "malformed query string");
      }
      query[key] = value;
    }
  }
  if (raw_path.empty() || raw_path[0] != '/') return Error(400, "the target must start with /");
  // Split before decoding so that an encoded slash stays inside its segment.
  std::vector<std::string> path;
  std::stringstream segments(raw_path.substr(1));
  std::string segment;
  while (std::getline(segments, segment, '/')) {
    std::string decoded;
    if (!PercentDecode(segment, false, &decoded)) return Error(400, "malformed path");
    path.push_back(decoded);
  }
  while (!path.empty() && path.back().empty()) path.pop_back();
  if (path.size() == 1 && path[0] == "healthz") return impl_->Health();
  if (path.size() == 1 && path[0] == "readyz") return impl_->Ready();
  if (path.size() == 1 && path[0] == "metrics") return impl_->Metrics();
  if (!path.empty() && path[0] == "api") {
    if (path.size() < 2 || path[1] != "studies") {
      return Error(404, "no such route: " + raw_path + " (the API is under /api/studies)");
    }
    try {
      return impl_->Route(request, path, query);
    } catch (const std::exception& e) {
      return Error(500, e.what());
    }
  }
  std::string decoded;
  if (!PercentDecode(raw_path, false, &decoded)) return Error(400, "malformed path");
  return impl_->Static(decoded);
}

}  // namespace tuner
