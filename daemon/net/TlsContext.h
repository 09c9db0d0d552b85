// Client-side TLS settings of one endpoint as an OpenSSL SSL_CTX: peer verification (on unless
// insecure_skip_verify) against a CA file or the system store, an optional client certificate,
// and per-connection SNI + host name verification (server_name overrides the
// URL host), min_version (TLS 1.2 when unset). Sessions are resumed across connections of the
// context.
//
// Thread-safe after creation (OpenSSL contexts may be shared by threads); NewSsl() objects
// belong to the caller.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>

#include "common/Status.h"
#include "config/Config.h"

namespace llmprobe::net {

class TlsContext {
 public:
  // Loads the CA file and client certificate now; an unreadable or invalid file is an error
  // naming it.
  static Result<std::shared_ptr<TlsContext>> Create(const TlsConfig& config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A new client SSL object for a connection to `url_host` (verification name and SNI =
  // server_name if set, else url_host; IP literals are verified as IP addresses and get no
  // SNI), primed with the last session for resumption. nullptr on allocation failure.
  SSL* NewSsl(const std::string& url_host) const;
  bool verify() const { return verify_; }

 private:
  // OpenSSL's new-session callback (TLS 1.3 tickets arrive after the handshake): keeps the
  // newest session for the next connection.
  static int OnNewSession(SSL* ssl, SSL_SESSION* session);
  TlsContext(SSL_CTX* ctx, std::string server_name, bool verify)
      : ctx_(ctx), server_name_(std::move(server_name)), verify_(verify) {}

  SSL_CTX* const ctx_;
  const std::string server_name_;
  const bool verify_;
  mutable std::mutex mu_;           // guards session_
  SSL_SESSION* session_ = nullptr;  // owned reference
};

// The OpenSSL error queue of this thread as one short line (and clears it).
std::string TakeOpenSslErrors();

}  // namespace llmprobe::net
