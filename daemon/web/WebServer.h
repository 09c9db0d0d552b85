// The one HTTP server of the daemon (cpp-httplib): /metrics, /-/healthy, /-/ready,
// POST /-/reload, /config and the landing page at /. It only calls the functions it is given, so it
// never blocks the load path beyond what those functions do.
//
// Secured by the web config (config/WebConfig.h, exporter-toolkit shape): HTTPS with optional
// client certificates, and HTTP Basic authentication (bcrypt) on every path, /-/healthy and
// /-/reload included, as exporter-toolkit protects everything it serves; a failure gets 401 with
// `WWW-Authenticate: Basic`. Requests are bounded: 64 KiB of body, 16 KiB of request line and
// headers, 15 s to send a request; more closes the connection (a too-large declared body gets
// 413).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/HttplibServer.h"
#include "common/Status.h"
#include "config/WebConfig.h"
#include "load/TargetProber.h"
#include "stats/RollingStats.h"

namespace llmprobe {

struct WebRoutes {
  std::function<std::string()> metrics;                         // exposition text for /metrics
  std::function<bool()> ready;                                  // /-/ready: config loaded, probing
  std::function<std::vector<TargetStatus>()> targets;           // for the landing page
  std::function<std::vector<RollingTargetSnapshot>()> rolling;  // curve + SLOs on the page
  std::function<Status()> reload;                               // POST /-/reload (405 on GET)
  std::function<std::string()> config;  // /config: the running config, secrets as <secret>
};

// Start/Stop from one thread; requests are served on the server's own threads.
class WebServer {
 public:
  explicit WebServer(WebRoutes routes);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Binds `listen_address` (HOST:PORT, port 0 = free port) and serves in the background, over
  // TLS if `web` has a tls_server_config. Fails if a certificate or key cannot be loaded.
  Status Start(const std::string& listen_address, const WebConfig& web = WebConfig{});
  // Applies a re-read web config: new TLS connections use its certificates, client CAs and
  // policy (certificates are re-read even if the file names did not change, so rotated ones
  // take effect), every request from now on its users. Switching between HTTP and HTTPS needs
  // a restart and is refused. On error nothing changes. Thread-safe.
  Status Reconfigure(const WebConfig& web);
  int port() const { return port_; }
  const std::string& bound_address() const { return bound_address_; }
  bool tls() const { return runner_ != nullptr && runner_->tls(); }  // owner thread only
  void Stop();                                                       // idempotent

 private:
  struct Security;  // the applied web config: TLS context, authenticator
  std::shared_ptr<const Security> CurrentSecurity() const;

  WebRoutes routes_;
  mutable std::mutex security_mu_;
  std::shared_ptr<const Security> security_;  // guarded by security_mu_
  std::unique_ptr<HttpServerRunner> runner_;
  int port_ = 0;
  std::string bound_address_;
};

// Loads a web config file and what it names (certificates, keys, client CAs) as Start would;
// for check-config. Thread-safe.
Status CheckWebConfigFile(const std::string& path);

}  // namespace llmprobe
