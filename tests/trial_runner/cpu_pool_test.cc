#include "trial_runner/cpu_pool.h"

#include <catch2/catch.hpp>
#include <vector>

namespace tuner {
namespace {

using Cpus = std::vector<int>;

TEST_CASE("CpuPool: disjoint CPUs while there are enough, the lowest ids first") {
  CpuPool pool({0, 1, 2, 3, 4, 5, 6, 7});  // a fake 8-CPU machine
  bool shared = true;
  CHECK(pool.Acquire(1, 2, &shared) == Cpus{0, 1});
  CHECK_FALSE(shared);
  CHECK(pool.Acquire(1, 2, &shared) == Cpus{2, 3});  // the trial's second rank
  CHECK(pool.Acquire(2, 3, &shared) == Cpus{4, 5, 6});
  CHECK_FALSE(shared);
  pool.Release(1);
  CHECK(pool.users(0) == 0);
  CHECK(pool.users(4) == 1);
  CHECK(pool.Acquire(3, 4, &shared) == Cpus{0, 1, 2, 3});  // freed ones are reused
  CHECK_FALSE(shared);
}

TEST_CASE("CpuPool: oversubscribed, ranks share the least-used CPUs") {
  CpuPool pool({4, 5, 6});  // ids as sched_getaffinity gives them, not from 0
  bool shared = false;
  CHECK(pool.Acquire(1, 2, &shared) == Cpus{4, 5});
  CHECK_FALSE(shared);
  CHECK(pool.Acquire(2, 2, &shared) == Cpus{4, 6});  // 6 is free, then the lowest used
  CHECK(shared);
  CHECK(pool.users(4) == 2);
  CHECK(pool.Acquire(3, 1, &shared) == Cpus{5});  // the least used
  CHECK(shared);
  // More than the pool has: every CPU, once.
  CHECK(pool.Acquire(4, 10, &shared) == Cpus{4, 5, 6});
  pool.Release(1);
  pool.Release(2);
  pool.Release(3);
  pool.Release(4);
  pool.Release(4);  // a no-op
  for (int cpu : {4, 5, 6}) CHECK(pool.users(cpu) == 0);
  CHECK(pool.users(0) == 0);  // not in the pool
}

TEST_CASE("PinnedCpuCount rounds cpus_per_rank up") {
  CHECK(PinnedCpuCount(0.25) == 1);
  CHECK(PinnedCpuCount(1) == 1);
  CHECK(PinnedCpuCount(1.5) == 2);
  CHECK(PinnedCpuCount(4) == 4);
}

TEST_CASE("CPU lists: parse and format the kernel's cpulist format") {
  CHECK(*ParseCpuList("0-3,8,10-11") == Cpus{0, 1, 2, 3, 8, 10, 11});
  CHECK(*ParseCpuList("5") == Cpus{5});
  CHECK(*ParseCpuList("3,1-2,1") == Cpus{1, 2, 3});
  for (const char* bad : {"", "a", "1-", "3-1", "1,,2", "-1"}) {
    INFO(bad);
    CHECK_FALSE(ParseCpuList(bad).ok());
  }
  CHECK(FormatCpuList({0, 1, 2, 3, 8, 10, 11}) == "0-3,8,10-11");
  CHECK(FormatCpuList({}) == "");
  const std::vector<int> allowed = AllowedCpus();
  REQUIRE_FALSE(allowed.empty());
  CHECK(*ParseCpuList(FormatCpuList(allowed)) == allowed);
}

}  // namespace
}  // namespace tuner
