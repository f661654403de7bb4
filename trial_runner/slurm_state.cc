#include "trial_runner/slurm_state.h"

#include <cctype>
#include <charconv>
#include <set>
#include <vector>

namespace tuner {
namespace {

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (!line.empty()) lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> fields;
  for (;;) {
    const size_t end = text.find(separator);
    fields.push_back(text.substr(0, end));
    if (end == std::string_view::npos) return fields;
    text.remove_prefix(end + 1);
  }
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "12", "12+1" (heterogeneous component), "12_3" (array task): the job id.
std::optional<int64_t> LeadingJobId(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) return std::nullopt;
  if (digits < text.size() && text[digits] != '+' && text[digits] != ';' && text[digits] != '.') {
    return std::nullopt;
  }
  return ParseInt(text.substr(0, digits));
}

// "CANCELLED by 0" -> "CANCELLED".
std::string StateWord(std::string_view text) {
  const size_t space = text.find(' ');
  return std::string(text.substr(0, space));
}

// "3:0" -> code 3, signal 0.
void ParseExitCode(std::string_view text, SlurmJobInfo* job) {
  const size_t colon = text.find(':');
  if (auto code = ParseInt(text.substr(0, colon))) job->exit_code = static_cast<int>(*code);
  if (colon != std::string_view::npos) {
    if (auto signal = ParseInt(text.substr(colon + 1)))
      job->exit_signal = static_cast<int>(*signal);
  }
}

bool IsFailure(std::string_view state) { return IsFinalSlurmState(state) && state != "COMPLETED"; }

}  // namespace

bool IsFinalSlurmState(std::string_view state) {
  static const std::set<std::string_view>* final_states = new std::set<std::string_view>{
      "COMPLETED", "FAILED",   "CANCELLED",     "TIMEOUT", "PREEMPTED",   "NODE_FAIL",
      "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY", "REVOKED", "SPECIAL_EXIT"};
  return final_states->contains(state);
}

std::optional<int64_t> ParseSlurmJobId(std::string_view text) {
  if (text.rfind("slurm:", 0) == 0) {
    text.remove_prefix(6);
    auto id = ParseInt(text);
    if (!id || *id <= 0) return std::nullopt;
    return id;
  }
  for (std::string_view line : SplitLines(text)) {
    auto id = ParseInt(line.substr(0, line.find(';')));
    if (id && *id > 0) return id;
  }
  return std::nullopt;
}

std::map<int64_t, SlurmJobInfo> ParseSqueue(std::string_view text) {
  std::map<int64_t, std::vector<SlurmJobInfo>> components;
  for (std::string_view line : SplitLines(text)) {
    const std::vector<std::string_view> fields = Split(line, '|');
    if (fields.size() < 2) continue;
    const std::optional<int64_t> id = LeadingJobId(fields[0]);
    if (!id) continue;
    SlurmJobInfo info;
    info.job_id = *id;
    info.state = StateWord(fields[1]);
    if (fields.size() >= 3) info.reason = std::string(fields[2]);
    components[*id].push_back(std::move(info));
  }
  std::map<int64_t, SlurmJobInfo> jobs;
  for (auto& [id, parts] : components) {
    const SlurmJobInfo* chosen = &parts.front();
    const SlurmJobInfo* failed = nullptr;
    const SlurmJobInfo* active = nullptr;
    for (const SlurmJobInfo& part : parts) {
      if (!IsFinalSlurmState(part.state) && active == nullptr) active = &part;
      if (IsFailure(part.state) && failed == nullptr) failed = &part;
    }
    if (active) {
      chosen = active;
    } else if (failed) {
      chosen = failed;
    }
    jobs[id] = *chosen;
  }
  return jobs;
}

absl::StatusOr<SlurmJobInfo> ParseScontrolJob(std::string_view text) {
  const std::vector<std::string_view> lines = SplitLines(text);
  if (lines.empty()) return absl::InvalidArgumentError("scontrol printed no job");
  // Key=Value pairs separated by spaces; a word without '=' continues the
  // previous value (a path with a space).
  std::map<std::string, std::string> fields;
  std::string last_key;
  for (std::string_view word : Split(lines.front(), ' ')) {
    if (word.empty()) continue;
    const size_t equals = word.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      if (!last_key.empty()) fields[last_key] += " " + std::string(word);
      continue;
    }
    last_key = std::string(word.substr(0, equals));
    fields[last_key] = std::string(word.substr(equals + 1));
  }
  SlurmJobInfo job;
  auto id = fields.contains("JobId") ? LeadingJobId(fields["JobId"]) : std::nullopt;
  if (!id) return absl::InvalidArgumentError("scontrol's answer has no JobId");
  job.job_id = *id;
  job.name = fields["JobName"];
  job.state = StateWord(fields["JobState"]);
  job.reason = fields["Reason"];
  if (fields.contains("ExitCode")) ParseExitCode(fields["ExitCode"], &job);
  job.run_time_s = ParseSlurmDuration(fields["RunTime"]);
  return job;
}

std::map<int64_t, SlurmJobInfo> ParseSacct(std::string_view text) {
  std::map<int64_t, SlurmJobInfo> jobs;
  for (std::string_view line : SplitLines(text)) {
    const std::vector<std::string_view> fields = Split(line, '|');
    if (fields.size() < 3) continue;
    const std::optional<int64_t> id = LeadingJobId(fields[0]);
    if (!id || fields[0].find('.') != std::string_view::npos) continue;  // steps
    if (jobs.contains(*id)) continue;  // a heterogeneous job's later component
    SlurmJobInfo info;
    info.job_id = *id;
    info.state = StateWord(fields[1]);
    ParseExitCode(fields[2], &info);
    if (fields.size() >= 4) info.name = std::string(fields[3]);
    jobs[*id] = std::move(info);
  }
  return jobs;
}

double ParseSlurmDuration(std::string_view text) {
  double days = 0;
  if (const size_t dash = text.find('-'); dash != std::string_view::npos) {
    auto d = ParseInt(text.substr(0, dash));
    if (!d) return 0;
    days = static_cast<double>(*d);
    text.remove_prefix(dash + 1);
  }
  double seconds = 0;
  for (std::string_view part : Split(text, ':')) {
    auto v = ParseInt(part);
    if (!v) return 0;
    seconds = seconds * 60 + static_cast<double>(*v);
  }
  return days * 86400 + seconds;
}

SlurmJobOutcome OutcomeOfFinishedJob(const SlurmJobInfo& job,
                                     const std::optional<ClusterExit>& requested) {
  SlurmJobOutcome out;
  const std::string name = "Slurm job " + std::to_string(job.job_id);
  if (requested) {
    out.kind = requested->kind;
    out.message = requested->message;
    return out;
  }
  out.kind = ClusterExit::Kind::kFailed;
  const std::string& s = job.state;
  if (s == "COMPLETED") {
    out.kind = ClusterExit::Kind::kSucceeded;
  } else if (s == "FAILED") {
    out.message = name + " failed: " +
                  (job.exit_signal != 0
                       ? "its batch script was killed by signal " + std::to_string(job.exit_signal)
                       : "exit code " + std::to_string(job.exit_code));
  } else if (s == "CANCELLED") {
    out.message = name + " was cancelled outside the tuner (scancel, or an administrator)";
  } else if (s == "TIMEOUT") {
    out.message = name + " reached its Slurm time limit (trainer.slurm.time_limit)";
  } else if (s == "OUT_OF_MEMORY") {
    out.message = name + " ran out of memory";
  } else if (s == "DEADLINE") {
    out.message = name + " reached its deadline";
  } else if (s == "PREEMPTED") {
    out.message = name + " was preempted by the scheduler (retryable)";
    out.retryable = true;
  } else if (s == "NODE_FAIL" || s == "BOOT_FAIL") {
    out.message = name + ": a node failed (" + s + "; retryable)";
    out.retryable = true;
  } else {
    out.message = name + " ended in state " + (s.empty() ? std::string("unknown") : s) +
                  (job.reason.empty() || job.reason == "None" ? "" : " (" + job.reason + ")");
  }
  return out;
}

}  // namespace tuner
