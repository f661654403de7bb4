// How a client reaches a study server: TLS and the bearer token
// (docs/security.md). A plain struct, apart from the client so that tools
// which only choose the options need not include gRPC or proto headers.
#ifndef TUNER_CLIENTS_CPP_CONNECT_OPTIONS_H_
#define TUNER_CLIENTS_CPP_CONNECT_OPTIONS_H_

#include <string>

namespace tuner {

struct ConnectOptions {
  // PEM file of the CA (or the self-signed certificate) to trust: non-empty
  // = TLS. "" = plain text.
  std::string ca_file;
  // Sent as `authorization: Bearer <token>` on every call; "" = none.
  std::string token;
};

}  // namespace tuner

#endif  // TUNER_CLIENTS_CPP_CONNECT_OPTIONS_H_
