// The HTTP server's DNS-rebinding defence. A web page on another site can make
// a browser send requests to 127.0.0.1:8080 under a name the attacker
// controls (it resolves the name to 127.0.0.1 after the page loaded); the
// browser then sends that name in the Host header. A server without a token
// therefore answers only requests whose Host names it: the host it was told
// to listen on, or localhost / 127.0.0.1 / [::1], each with the bound port.
// A server listening on a wildcard (0.0.0.0, ::) accepts any IP literal with
// the port (a name is still refused). docs/security.md.
#ifndef TUNER_TUNER_SERVER_HOST_CHECK_H_
#define TUNER_TUNER_SERVER_HOST_CHECK_H_

#include <string_view>

namespace tuner {

// True when the Host header's value `host_header` ("127.0.0.1:8080",
// "localhost:8080", "[::1]:8080") names the server listening on
// `bound_host` (as given to --http/--listen, brackets optional) and
// `bound_port`. A Host without a port means `default_port` (80 for HTTP,
// 443 for HTTPS). Names compare case-insensitively; an empty or malformed
// Host is refused.
bool HostAllowed(std::string_view host_header, std::string_view bound_host, int bound_port,
                 int default_port);

}  // namespace tuner

#endif  // TUNER_TUNER_SERVER_HOST_CHECK_H_
