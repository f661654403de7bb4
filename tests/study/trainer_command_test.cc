// The trainer's command line: the argv the launcher execs and the shell
// line shown to re-run a trial come from one function.
#include "study/trainer_command.h"

#include <catch2/catch.hpp>

namespace tuner {
namespace {

TEST_CASE("TrainerArgv: command, --name=value in name order, then extra arguments") {
  const Assignment params = {{"units", int64_t{32}}, {"lr", 0.01}, {"opt", std::string("adam")}};
  CHECK(TrainerArgv({"/usr/bin/python3", "train.py"}, params, {"--epochs=3"}) ==
        std::vector<std::string>{"/usr/bin/python3", "train.py", "--lr=0.01", "--opt=adam",
                                 "--units=32", "--epochs=3"});
  CHECK(ParameterArguments({}).empty());
}

TEST_CASE("ShellQuote leaves plain words alone and quotes the rest for a POSIX shell") {
  CHECK(ShellQuote("--lr=0.01") == "--lr=0.01");
  CHECK(ShellQuote("/usr/bin/python3") == "/usr/bin/python3");
  CHECK(ShellQuote("") == "''");
  CHECK(ShellQuote("a b") == "'a b'");
  CHECK(ShellQuote("--name=it's $HOME") == R"('--name=it'\''s $HOME')");
  CHECK(ShellQuote("x;rm -rf /") == "'x;rm -rf /'");
  CHECK(ShellQuote("`id`") == "'`id`'");
}

TEST_CASE("ShellCommand puts the environment first, every word quoted") {
  CHECK(ShellCommand({"python3", "train.py", "--opt=a b"}, {{"OMP_NUM_THREADS", "1"}}) ==
        "OMP_NUM_THREADS=1 python3 train.py '--opt=a b'");
  CHECK(ShellCommand({"x"}, {{"A", "it's"}}) == R"(A='it'\''s' x)");
}

}  // namespace
}  // namespace tuner
