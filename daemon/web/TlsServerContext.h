// The OpenSSL server context for the web server's tls_server_config (exporter-toolkit shape).
#pragma once

#include <memory>

#include "common/Status.h"
#include "config/WebConfig.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace llmprobe {

// Loads the certificate chain and key (checked to match), the client CAs and the client
// certificate policy of `tls`, and the protocol versions. Errors name the key of the web config
// and the file, with OpenSSL's reason; never file contents. The context is immutable once
// returned and may be shared by any number of connections. Thread-safe.
Result<std::shared_ptr<ssl_ctx_st>> NewTlsServerContext(const WebTlsConfig& tls);

}  // namespace llmprobe
