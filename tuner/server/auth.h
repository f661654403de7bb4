// Security helpers shared by the gRPC and HTTP servers and the CLI: the
// bearer token (read from a token file, compared in constant time), the
// `Authorization: Bearer` header and the dashboard's cookie, and the loud
// warning for a port open beyond loopback without a token. docs/security.md.
#ifndef TUNER_TUNER_SERVER_AUTH_H_
#define TUNER_TUNER_SERVER_AUTH_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "clients/cpp/connect_options.h"

namespace tuner {

// The dashboard's cookie, set by visiting /?token=... once.
inline constexpr std::string_view kTokenCookie = "tuner_token";

// The first line of `path`, without surrounding whitespace. NotFound when the
// file cannot be read; InvalidArgument when the line is empty.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// The whole file (a PEM certificate or key). NotFound when it cannot be read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// a == b in time that depends only on their lengths.
bool TokensEqual(std::string_view a, std::string_view b);

// True when the `Authorization` header's value is "Bearer <token>".
bool BearerMatches(std::string_view authorization, std::string_view token);
// The token of a "Bearer <token>" header value ("" for another scheme).
std::string_view BearerToken(std::string_view authorization);

// The value of cookie `name` in a `Cookie` header ("" when absent).
std::string CookieValue(std::string_view cookie_header, std::string_view name);

// "127.0.0.1", "127.x.y.z", "::1", "[::1]", "localhost": true.
bool IsLoopbackHost(std::string_view host);

// Logs a prominent warning (spdlog warn, stderr) when `listen` (host:port)
// is not a loopback address and `has_token` is false. `what`: "gRPC" or
// "HTTP". Returns true when it warned.
bool WarnIfExposed(const std::string& listen, bool has_token, std::string_view what);

// The CLI's client side (--token-file, --tls-ca): each empty flag falls back
// to $TUNER_TOKEN (the token itself) or $TUNER_TLS_CA (a CA file).
absl::StatusOr<ConnectOptions> ClientSecurity(const std::string& token_file,
                                              const std::string& ca_file);

}  // namespace tuner

#endif  // TUNER_TUNER_SERVER_AUTH_H_
