// The dashboard's HTTP routes, without the socket: a request (method,
// target, If-None-Match) in, a response (status, type, body, headers) out.
// tuner/http_server.cc puts it on a port with Boost.Beast.
//
// Routes (GET or HEAD; JSON unless said):
//   /api/studies                              every study with its counts and best value
//   /api/studies/{s}                          summary: spec, parameters, objectives,
//                                             counts, best trials, version
//   /api/studies/{s}/trials?offset=&limit=&sort=&order=asc|desc&state=A,B&filter=
//                                             one page of the trials table (see
//                                             TrialQuery in tuner/service/dashboard_analysis.h)
//   /api/studies/{s}/trials/{id}              one trial with its measurements
//   /api/studies/{s}/trials/{id}/measurements its measurements only
//   /api/studies/{s}/best                     best trials (the Pareto front for several
//                                             objectives) with their command lines
//   /api/studies/{s}/columns                  every trial, column by column (for plots)
//   /api/studies/{s}/curves?metric=M          intermediate values of every trial
//   /api/studies/{s}/importance?metric=M      parameter importance, with its method, the
//                                             trials it needs to mean anything, and the
//                                             parameters left out (Hyperband's budget)
//   /api/studies/{s}/events                   server-sent events (text/event-stream):
//                                             `event: version` with data {"version": V}
//                                             at once and whenever the study's version
//                                             changes, a `: keepalive` comment every 15 s
//                                             (tuner/server/http_server.h streams it;
//                                             Handle() alone answers the first event)
//   /api/studies/{s}/trials/{id}/logs?rank=chief:0&tail_bytes=N
//                                             the end of one rank's log (default 64 KiB,
//                                             at most 1 MiB) and the ranks that have one,
//                                             read from <trials_dir>/<study>/trial-<id>/logs/
//                                             (what `tuner logs` reads); only files inside
//                                             trials_dir; no ETag (a log grows); no logs:
//                                             200 with no ranks and a `message`
//   /healthz                                  200 "ok" when the store answers, else 503
//                                             (text; no token needed, tuner/http_server.h)
//   /readyz                                   200 "ready" when the store takes a write
//                                             (StudyApi::ProbeWrite), else 503 with the
//                                             reason (text; no token needed)
//   /metrics                                  Prometheus text: ServerMetrics, plus studies
//                                             and trials by state read from the store
//   /                                         the single-page dashboard (www/index.html)
//   /{file}                                   the other files of the dashboard's www/
//   /vendor/echarts.min.js                    the charting library, from the dashboard's
//                                             node_modules/ (npm install)
// Errors are JSON {"error": {"code": "NOT_FOUND", "message": "..."}} with 400,
// 404, 405, 503 (the store is busy or full: try again; with Retry-After) or 500.
//
// Liveness: every study response carries an ETag, the study's version (it
// changes whenever a trial is added, changes state or gets a measurement);
// a request whose If-None-Match equals it gets 304 without a body. Clients
// poll /api/studies/{s}, or follow its /events, and refetch the rest when
// `version` changes.
//
// Thread-safety: Handle() may be called from several threads at once. The
// trials of each study viewed are cached in memory; finished trials are
// immutable, so a refresh reads only new trials and the running ones.
#ifndef TUNER_TUNER_SERVER_HTTP_API_H_
#define TUNER_TUNER_SERVER_HTTP_API_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tuner/server/server_metrics.h"

namespace tuner {

class StudyApi;

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";   // path and query, as sent
  std::string if_none_match;  // the header's value, "" when absent
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones
  // With content_type kEventStreamType: the study whose version the stream
  // follows (the server keeps the connection open and sends VersionEvent()s).
  std::string event_study;
};

inline constexpr char kEventStreamType[] = "text/event-stream";

// One server-sent event: "event: version\ndata: {\"version\":\"...\"}\n\n".
std::string VersionEvent(const std::string& version);

struct HttpApiOptions {
  // The dashboard's directory: its files under www/ (index.html, app.js,
  // ...) and the charting library under node_modules/. "" =
  // $TUNER_DASHBOARD_DIR when set, else the install's or the build tree's
  // (tuner/server/install_paths.h).
  std::string dashboard_dir;
  // Reuse a study's cached trials for this long before asking the store.
  double refresh_interval_s = 0.25;
  // Where the trial directories are (<trials_dir>/<study>/trial-<id>/), for
  // the logs route; "" = no logs.
  std::string trials_dir;
  // The counters /metrics shows (shared with the gRPC server); null = a new
  // one. The HTTP server records its requests in it.
  std::shared_ptr<ServerMetrics> metrics;
};

class HttpApi {
 public:
  // `service` must outlive the HttpApi.
  explicit HttpApi(StudyApi* service, HttpApiOptions options = {});
  ~HttpApi();

  HttpResponse Handle(const HttpRequest& request);

  // The study's current version (as /api/studies/{s} gives it; cached for
  // refresh_interval_s), or nullopt when it cannot be read (deleted, or the
  // store failed).
  std::optional<std::string> StudyVersion(const std::string& study);

  // The directory the dashboard's files are served from.
  const std::string& dashboard_dir() const;
  ServerMetrics& metrics();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The default of HttpApiOptions::dashboard_dir.
std::string DefaultDashboardDir();

// The file under `root` that `url_path` (already percent-decoded) names, or
// "" when the path climbs out of `root` (a ".." segment, a backslash, a NUL)
// or names no regular file.
std::string ResolveStaticPath(const std::string& root, const std::string& url_path);

// "%2Fa+b" -> "/a b" into *out (plus as space only when `plus_is_space`);
// false for a malformed escape.
bool PercentDecode(const std::string& in, bool plus_is_space, std::string* out);

}  // namespace tuner

#endif  // TUNER_TUNER_SERVER_HTTP_API_H_
