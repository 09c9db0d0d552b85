// The web config file (--web.config.file), in the shape of the Prometheus exporter-toolkit:
//
//   tls_server_config:
//     cert_file: server.crt          # PEM certificate (chain); with key_file turns on HTTPS
//     key_file: server.key           # PEM private key
//     client_auth_type: RequireAndVerifyClientCert   # default NoClientCert
//     client_ca_file: ca.crt         # CAs that sign client certificates
//     min_version: TLS12             # TLS12 (default) or TLS13
//     max_version: TLS13             # TLS12 or TLS13 (default)
//   basic_auth_users:
//     alice: $2y$10$...              # bcrypt hash, as `htpasswd -nBC 10 alice` prints it
//
// Plain structs plus a strict loader (unknown keys, wrong types and malformed hashes are errors,
// reported as file:line:col: key.path: message). Relative file names are resolved against the
// web config file's directory, as exporter-toolkit does. Files are not opened here: the web
// server loads the certificates (and reports unreadable ones) when it applies the config.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/Status.h"

namespace llmprobe {

// exporter-toolkit's client_auth_type values (Go's tls.ClientAuthType names).
enum class ClientAuth {
  kNoClientCert,                // no certificate asked for
  kRequestClientCert,           // asked for, not required, not verified
  kRequireAnyClientCert,        // required, not verified
  kVerifyClientCertIfGiven,     // verified against client_ca_file when sent
  kRequireAndVerifyClientCert,  // required and verified against client_ca_file
};

const char* ClientAuthName(ClientAuth auth);
// True when a client certificate, if sent, is checked against client_ca_file.
bool VerifiesClientCert(ClientAuth auth);

enum class TlsVersion { kTls12, kTls13 };

struct WebTlsConfig {
  std::string cert_file;  // resolved path
  std::string key_file;   // resolved path
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  std::string client_ca_file;  // resolved path; empty = none
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
  bool operator==(const WebTlsConfig&) const = default;
};

struct WebConfig {
  std::string source_path;          // the file it was read from; empty = no web config
  std::optional<WebTlsConfig> tls;  // absent = plain HTTP
  // User name -> bcrypt hash ("$2y$10$" + 53 characters). Empty = no authentication. The hashes
  // are not secrets in the strict sense but are never logged or shown either.
  std::map<std::string, std::string> basic_auth_users;
  bool operator==(const WebConfig&) const = default;
};

// Reads and validates a web config file. On failure the message holds every error found, one
// "file:line:col: key.path: message" per line. Thread-safe.
Result<WebConfig> LoadWebConfigFile(const std::string& path);

// Same, from text; relative file names are resolved against `base_dir` ("" = as written).
Result<WebConfig> LoadWebConfigString(std::string_view yaml, const std::string& source_name,
                                      const std::string& base_dir);

// The cost of a well-formed bcrypt hash ("$2y$10$..." -> 10), else -1.
int BcryptCost(std::string_view hash);

}  // namespace llmprobe
