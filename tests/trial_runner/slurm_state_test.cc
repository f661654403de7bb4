// Slurm's answers (squeue, scontrol show job, sacct) as Slurm 22.05 prints
// them, and what each final state means for the trial.
#include "trial_runner/slurm_state.h"

#include <catch2/catch.hpp>
#include <string>

namespace tuner {
namespace {

std::string ScontrolLine(const std::string& state, const std::string& exit_code,
                         const std::string& reason = "None") {
  return "JobId=42 JobName=tuner.digits.7 UserId=root(0) GroupId=root(0) MCS_label=N/A "
         "Priority=4294901759 Nice=0 Account=(null) QOS=(null) JobState=" +
         state + " Reason=" + reason +
         " Dependency=(null) Requeue=0 Restarts=0 BatchFlag=1 Reboot=0 "
         "ExitCode=" +
         exit_code +
         " RunTime=00:01:05 TimeLimit=UNLIMITED TimeMin=N/A "
         "NodeList=vm BatchHost=vm NumNodes=1 NumCPUs=3 NumTasks=3 CPUs/Task=1 "
         "Command=/shared/my trials/7/slurm/job.sh WorkDir=/work StdErr=/x StdIn=/dev/null\n";
}

TEST_CASE("job ids from sbatch --parsable and from handles") {
  CHECK(ParseSlurmJobId("1234\n") == 1234);
  CHECK(ParseSlurmJobId("1234;cluster2\n") == 1234);
  CHECK(ParseSlurmJobId("slurm:77") == 77);
  CHECK_FALSE(ParseSlurmJobId("slurm:").has_value());
  CHECK_FALSE(ParseSlurmJobId("slurm:12x").has_value());
  CHECK_FALSE(ParseSlurmJobId("sbatch: error: Batch job submission failed").has_value());
  CHECK_FALSE(ParseSlurmJobId("").has_value());
}

TEST_CASE("final and non-final states") {
  for (const char* state : {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "PREEMPTED", "NODE_FAIL",
                            "BOOT_FAIL", "OUT_OF_MEMORY", "DEADLINE"}) {
    CHECK(IsFinalSlurmState(state));
  }
  for (const char* state :
       {"PENDING", "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED", "REQUEUED", ""}) {
    CHECK_FALSE(IsFinalSlurmState(state));
  }
}

TEST_CASE("squeue lines: states and reasons per job; heterogeneous components fold") {
  const auto jobs = ParseSqueue(
      "41|RUNNING|None\n"
      "42|COMPLETED|None\n"
      "43|PENDING|Resources\n"
      "44+0|COMPLETED|None\n44+1|FAILED|NonZeroExitCode\n"
      "45+0|COMPLETING|None\n45+1|COMPLETED|None\n"
      "garbage line\n");
  REQUIRE(jobs.size() == 5);
  CHECK(jobs.at(41).state == "RUNNING");
  CHECK(jobs.at(42).state == "COMPLETED");
  CHECK(jobs.at(43).state == "PENDING");
  CHECK(jobs.at(43).reason == "Resources");
  CHECK(jobs.at(44).state == "FAILED");
  CHECK(jobs.at(45).state == "COMPLETING");
  CHECK(ParseSqueue("").empty());
}

TEST_CASE("scontrol show job: state, exit code and signal, name, run time") {
  auto failed = ParseScontrolJob(ScontrolLine("FAILED", "3:0", "NonZeroExitCode"));
  REQUIRE(failed.ok());
  CHECK(failed->job_id == 42);
  CHECK(failed->name == "tuner.digits.7");
  CHECK(failed->state == "FAILED");
  CHECK(failed->reason == "NonZeroExitCode");
  CHECK(failed->exit_code == 3);
  CHECK(failed->exit_signal == 0);
  CHECK(failed->run_time_s == 65);

  auto killed = ParseScontrolJob(ScontrolLine("FAILED", "0:9"));
  REQUIRE(killed.ok());
  CHECK(killed->exit_signal == 9);

  auto cancelled = ParseScontrolJob(ScontrolLine("CANCELLED", "0:15"));
  REQUIRE(cancelled.ok());
  CHECK(cancelled->state == "CANCELLED");

  CHECK_FALSE(ParseScontrolJob("").ok());
  CHECK_FALSE(ParseScontrolJob("slurm_load_jobs error: Invalid job id specified").ok());
}

TEST_CASE("sacct lines: jobs only, not their steps; 'CANCELLED by 0' is CANCELLED") {
  const auto jobs = ParseSacct(
      "42|CANCELLED by 0|0:15|tuner.digits.7\n"
      "42.batch|CANCELLED|0:15|batch\n"
      "43|COMPLETED|0:0|tuner.digits.8\n"
      "44+0|PREEMPTED|0:0|tuner.digits.9\n44+1|PREEMPTED|0:0|tuner.digits.9\n");
  REQUIRE(jobs.size() == 3);
  CHECK(jobs.at(42).state == "CANCELLED");
  CHECK(jobs.at(42).exit_signal == 15);
  CHECK(jobs.at(42).name == "tuner.digits.7");
  CHECK(jobs.at(43).state == "COMPLETED");
  CHECK(jobs.at(44).state == "PREEMPTED");
}

TEST_CASE("Slurm durations") {
  CHECK(ParseSlurmDuration("00:00:07") == 7);
  CHECK(ParseSlurmDuration("01:02:03") == 3723);
  CHECK(ParseSlurmDuration("2-01:00:00") == 2 * 86400 + 3600);
  CHECK(ParseSlurmDuration("5:07") == 307);
  CHECK(ParseSlurmDuration("INVALID") == 0);
}

SlurmJobOutcome Outcome(const std::string& state, const std::string& exit_code = "0:0") {
  auto job = ParseScontrolJob(ScontrolLine(state, exit_code));
  REQUIRE(job.ok());
  return OutcomeOfFinishedJob(*job, std::nullopt);
}

TEST_CASE("what each final state means for the trial") {
  CHECK(Outcome("COMPLETED").kind == ClusterExit::Kind::kSucceeded);

  const SlurmJobOutcome failed = Outcome("FAILED", "3:0");
  CHECK(failed.kind == ClusterExit::Kind::kFailed);
  CHECK(failed.message == "Slurm job 42 failed: exit code 3");
  CHECK_FALSE(failed.retryable);
  CHECK(Outcome("FAILED", "0:9").message ==
        "Slurm job 42 failed: its batch script was killed by signal 9");

  const SlurmJobOutcome cancelled = Outcome("CANCELLED", "0:15");
  CHECK(cancelled.kind == ClusterExit::Kind::kFailed);
  CHECK_THAT(cancelled.message, Catch::Contains("cancelled outside the tuner"));
  CHECK_FALSE(cancelled.retryable);

  const SlurmJobOutcome timeout = Outcome("TIMEOUT");
  CHECK(timeout.kind == ClusterExit::Kind::kFailed);
  CHECK_THAT(timeout.message, Catch::Contains("time limit"));

  for (const char* state : {"PREEMPTED", "NODE_FAIL", "BOOT_FAIL"}) {
    const SlurmJobOutcome o = Outcome(state);
    INFO(state);
    CHECK(o.kind == ClusterExit::Kind::kFailed);
    CHECK(o.retryable);
    CHECK_THAT(o.message, Catch::EndsWith("retryable)"));
  }
  CHECK_THAT(Outcome("OUT_OF_MEMORY").message, Catch::Contains("out of memory"));
}

TEST_CASE("a job the launcher cancelled ends as it asked") {
  auto job = ParseScontrolJob(ScontrolLine("CANCELLED", "0:15"));
  REQUIRE(job.ok());
  ClusterExit stop;
  stop.kind = ClusterExit::Kind::kStopped;
  stop.message = "stop decision";
  SlurmJobOutcome o = OutcomeOfFinishedJob(*job, stop);
  CHECK(o.kind == ClusterExit::Kind::kStopped);
  CHECK(o.message == "stop decision");

  ClusterExit timeout;
  timeout.kind = ClusterExit::Kind::kTimedOut;
  timeout.message = "timed out after 5 s (trainer.timeout_s)";
  o = OutcomeOfFinishedJob(*job, timeout);
  CHECK(o.kind == ClusterExit::Kind::kTimedOut);
}

}  // namespace
}  // namespace tuner
