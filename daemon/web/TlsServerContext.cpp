#include "web/TlsServerContext.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "config/FileText.h"

namespace llmprobe {
namespace {

// OpenSSL's reason for the last failure, and an empty error queue for the next call.
std::string OpenSslReason() {
  const unsigned long err = ERR_peek_last_error();
  ERR_clear_error();
  if (err == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(err, buf, sizeof(buf));
  return buf;
}

// OpenSSL's message for a missing file is "system library::No such file or directory" at best:
// say which key and file, with errno's own words.
Status CheckReadable(const char* key, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    return Status::Error("tls_server_config." + std::string(key) + ": cannot read \"" + path +
                         "\": " + ErrnoMessage(errno));
  }
  std::fclose(f);
  return Status::Ok();
}

Status Failed(const char* key, const std::string& path, const std::string& what) {
  return Status::Error("tls_server_config." + std::string(key) + ": \"" + path + "\": " + what +
                       ": " + OpenSslReason());
}

// RequestClientCert and RequireAnyClientCert take whatever certificate the client sends.
int AcceptAnyCertificate(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

int ProtocolVersion(TlsVersion v) {
  return v == TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

}  // namespace

Result<std::shared_ptr<ssl_ctx_st>> NewTlsServerContext(const WebTlsConfig& tls) {
  ERR_clear_error();
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx)
    return Status::Error("tls_server_config: cannot create a TLS context: " + OpenSslReason());
  SSL_CTX* c = ctx.get();

  if (Status s = CheckReadable("cert_file", tls.cert_file); !s.ok()) return s;
  if (SSL_CTX_use_certificate_chain_file(c, tls.cert_file.c_str()) != 1) {
    return Failed("cert_file", tls.cert_file, "cannot load the certificate");
  }
  if (Status s = CheckReadable("key_file", tls.key_file); !s.ok()) return s;
  if (SSL_CTX_use_PrivateKey_file(c, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Failed("key_file", tls.key_file, "cannot load the private key");
  }
  if (SSL_CTX_check_private_key(c) != 1) {
    return Failed("key_file", tls.key_file, "does not match cert_file");
  }

  if (!tls.client_ca_file.empty()) {
    if (Status s = CheckReadable("client_ca_file", tls.client_ca_file); !s.ok()) return s;
    if (SSL_CTX_load_verify_locations(c, tls.client_ca_file.c_str(), nullptr) != 1) {
      return Failed("client_ca_file", tls.client_ca_file, "cannot load the CA certificates");
    }
    // The CA names the server sends with its certificate request, so that a client holding
    // several certificates picks one these CAs signed.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (names == nullptr) {
      return Failed("client_ca_file", tls.client_ca_file, "holds no CA certificate");
    }
    SSL_CTX_set_client_CA_list(c, names);  // takes ownership
  }
  switch (tls.client_auth) {
    case ClientAuth::kNoClientCert:
      SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::kRequestClientCert:
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER, AcceptAnyCertificate);
      break;
    case ClientAuth::kRequireAnyClientCert:
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                         AcceptAnyCertificate);
      break;
    case ClientAuth::kVerifyClientCertIfGiven:
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuth::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  // Resumed sessions skip certificate verification; OpenSSL refuses to resume a session whose
  // context id does not match, so the id ties sessions to this server.
  static constexpr unsigned char kSessionIdContext[] = "llmprobe-web";
  SSL_CTX_set_session_id_context(c, kSessionIdContext, sizeof(kSessionIdContext) - 1);

  SSL_CTX_set_min_proto_version(c, ProtocolVersion(tls.min_version));
  SSL_CTX_set_max_proto_version(c, ProtocolVersion(tls.max_version));
  // No client-initiated renegotiation (a CPU cost a client could impose at will); the server's
  // cipher order.
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // The connection writes with partial writes on a non-blocking socket (HttplibServer.cpp).
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

}  // namespace llmprobe
