// The DNS-rebinding defence: which Host headers a server without a token answers.
#include "tuner/server/host_check.h"

#include <catch2/catch.hpp>

namespace tuner {
namespace {

TEST_CASE("HostAllowed: the bound address and loopback names, with the port", "[host_check]") {
  CHECK(HostAllowed("127.0.0.1:8080", "127.0.0.1", 8080, 80));
  CHECK(HostAllowed("localhost:8080", "127.0.0.1", 8080, 80));
  CHECK(HostAllowed("LocalHost:8080", "127.0.0.1", 8080, 80));
  CHECK(HostAllowed("[::1]:8080", "127.0.0.1", 8080, 80));
  CHECK(HostAllowed("[::1]:8080", "[::1]", 8080, 80));
  CHECK(HostAllowed("myhost:8080", "myhost", 8080, 80));
  CHECK(HostAllowed("10.0.0.5:8080", "10.0.0.5", 8080, 80));
  // No port: the scheme's default.
  CHECK(HostAllowed("localhost", "127.0.0.1", 80, 80));
  CHECK(HostAllowed("localhost", "127.0.0.1", 443, 443));
  CHECK_FALSE(HostAllowed("localhost", "127.0.0.1", 8080, 80));
}

TEST_CASE("HostAllowed: foreign names, wrong ports and junk are refused", "[host_check]") {
  CHECK_FALSE(HostAllowed("evil.example:8080", "127.0.0.1", 8080, 80));
  CHECK_FALSE(HostAllowed("localhost.evil.example:8080", "127.0.0.1", 8080, 80));
  CHECK_FALSE(HostAllowed("127.0.0.1:8081", "127.0.0.1", 8080, 80));
  CHECK_FALSE(HostAllowed("10.0.0.6:8080", "10.0.0.5", 8080, 80));
  CHECK_FALSE(HostAllowed("", "127.0.0.1", 8080, 80));
  CHECK_FALSE(HostAllowed(":8080", "127.0.0.1", 8080, 80));
  CHECK_FALSE(HostAllowed("localhost:", "127.0.0.1", 8080, 80));
  CHECK_FALSE(HostAllowed("localhost:80a", "127.0.0.1", 8080, 80));
  CHECK_FALSE(HostAllowed("localhost:999999", "127.0.0.1", 8080, 80));
  CHECK_FALSE(HostAllowed("::1:8080", "127.0.0.1", 8080, 80));  // v6 needs brackets
}

TEST_CASE("HostAllowed: a wildcard listener takes IP literals, not names", "[host_check]") {
  CHECK(HostAllowed("192.168.1.20:8080", "0.0.0.0", 8080, 80));
  CHECK(HostAllowed("[fe80::1]:8080", "[::]", 8080, 80));
  CHECK(HostAllowed("localhost:8080", "0.0.0.0", 8080, 80));
  CHECK_FALSE(HostAllowed("evil.example:8080", "0.0.0.0", 8080, 80));
  CHECK_FALSE(HostAllowed("192.168.1.20:8081", "0.0.0.0", 8080, 80));
}

}  // namespace
}  // namespace tuner
