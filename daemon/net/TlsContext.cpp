#include "net/TlsContext.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace llmprobe::net {
namespace {

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

std::string TakeOpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {  // NOLINT(google-runtime-int): OpenSSL's type
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

Result<std::shared_ptr<TlsContext>> TlsContext::Create(const TlsConfig& config) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return Status::Error("SSL_CTX_new: " + TakeOpenSslErrors());
  auto fail = [ctx](const std::string& what) {
    SSL_CTX_free(ctx);
    return Status::Error(what + ": " + TakeOpenSslErrors());
  };
  // min_version uses prometheus/common's names; unset = TLS 1.2 (what Debian's OpenSSL
  // configuration enforces anyway).
  int min_version = TLS1_2_VERSION;
  if (config.min_version == "TLS13") {
    min_version = TLS1_3_VERSION;
  } else if (config.min_version == "TLS11") {
    min_version = TLS1_1_VERSION;
  } else if (config.min_version == "TLS10") {
    min_version = TLS1_VERSION;
  } else if (!config.min_version.empty() && config.min_version != "TLS12") {
    SSL_CTX_free(ctx);
    return Status::Error("min_version: unknown TLS version \"" + config.min_version + "\"");
  }
  SSL_CTX_set_min_proto_version(ctx, min_version);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  // Many servers end a connection without close_notify; that is an EOF, not a record error.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  const bool verify = !config.insecure_skip_verify;
  SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (!config.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, config.ca_file.c_str(), nullptr) != 1) {
      return fail("ca_file " + config.ca_file);
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return fail("system CA store");
  }
  if (!config.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, config.cert_file.c_str()) != 1) {
      return fail("cert_file " + config.cert_file);
    }
    const std::string& key = config.key_file.empty() ? config.cert_file : config.key_file;
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return fail("key_file " + key);
    }
    if (SSL_CTX_check_private_key(ctx) != 1) return fail("key_file does not match cert_file");
  }
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn);
  std::shared_ptr<TlsContext> context(new TlsContext(ctx, config.server_name, verify));
  SSL_CTX_set_ex_data(ctx, 0, context.get());  // slot 0 = "app data"
  SSL_CTX_sess_set_new_cb(ctx, &TlsContext::OnNewSession);
  return context;
}

TlsContext::~TlsContext() {
  if (session_ != nullptr) SSL_SESSION_free(session_);
  SSL_CTX_free(ctx_);
}

SSL* TlsContext::NewSsl(const std::string& url_host) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  const std::string& name = server_name_.empty() ? url_host : server_name_;
  if (IsIpLiteral(name)) {
    if (verify_) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
  } else {
    // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(name.c_str()));
    if (verify_) {
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl, name.c_str());
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (session_ != nullptr) SSL_set_session(ssl, session_);
  return ssl;
}

int TlsContext::OnNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<TlsContext*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), 0));
  if (self == nullptr || !SSL_SESSION_is_resumable(session)) return 0;
  std::lock_guard<std::mutex> lock(self->mu_);
  if (self->session_ != nullptr) SSL_SESSION_free(self->session_);
  self->session_ = session;
  return 1;  // we took the reference
}

}  // namespace llmprobe::net
