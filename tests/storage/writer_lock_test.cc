// One writer per db: the lock is exclusive, names its holder, is found by
// readers, and is released with its holder.
#include "storage/writer_lock.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

namespace tuner {
namespace {

std::string TempDb(const std::string& name) {
  const std::string db = (std::filesystem::temp_directory_path() /
                          ("tuner_lock_" + name + "_" + std::to_string(getpid()) + ".db"))
                             .string();
  std::filesystem::remove(WriterLock::LockPath(db));
  return db;
}

TEST_CASE("A second writer is refused with the holder's name and address", "[writer_lock]") {
  const std::string db = TempDb("second");
  CHECK_FALSE(WriterLock::Holder(db).has_value());
  {
    auto first = WriterLock::Acquire(db, "tuner serve");
    REQUIRE(first.ok());
    (*first)->SetAddress("127.0.0.1:4242");
    auto holder = WriterLock::Holder(db);
    REQUIRE(holder.has_value());
    CHECK(holder->what == "tuner serve");
    CHECK(holder->pid == getpid());
    CHECK(holder->address == "127.0.0.1:4242");
    // flock locks belong to open files: a second open in this process is a
    // second writer too.
    auto second = WriterLock::Acquire(db, "tuner run x.json");
    REQUIRE_FALSE(second.ok());
    CHECK(second.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK_THAT(
        std::string(second.status().message()),
        Catch::Contains("in use by another writer (tuner serve, pid " + std::to_string(getpid())));
    CHECK_THAT(std::string(second.status().message()), Catch::Contains("--server 127.0.0.1:4242"));
  }
  CHECK_FALSE(WriterLock::Holder(db).has_value());  // released with its holder
  CHECK(WriterLock::Acquire(db, "again").ok());
}

TEST_CASE("The kernel releases the lock of a killed holder", "[writer_lock]") {
  const std::string db = TempDb("killed");
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const pid_t child = fork();
  if (child == 0) {
    auto lock = WriterLock::Acquire(db, "child");
    char c = lock.ok() ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    pause();
    _exit(0);
  }
  char c = 0;
  REQUIRE(read(ready[0], &c, 1) == 1);
  REQUIRE(c == 'y');
  CHECK(WriterLock::Holder(db)->pid == child);
  CHECK_FALSE(WriterLock::Acquire(db, "parent").ok());
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  CHECK(WriterLock::Acquire(db, "parent").ok());
  close(ready[0]);
  close(ready[1]);
}

}  // namespace
}  // namespace tuner
