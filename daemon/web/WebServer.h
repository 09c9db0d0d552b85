// The one HTTP server of the daemon (cpp-httplib): /metrics, /-/healthy, /-/ready,
// POST /-/reload, /config and the landing page at /. It only calls the functions it is given, so it never blocks the load path
// beyond what those functions do.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/HttplibServer.h"
#include "common/Status.h"
#include "load/TargetProber.h"
#include "stats/RollingStats.h"

namespace llmprobe {

struct WebRoutes {
  std::function<std::string()> metrics;                 // exposition text for /metrics
  std::function<bool()> ready;                          // /-/ready: config loaded, probing
  std::function<std::vector<TargetStatus>()> targets;   // for the landing page
  std::function<std::vector<RollingTargetSnapshot>()> rolling;  // curve + SLOs on the page
  std::function<Status()> reload;          // POST /-/reload (405 on GET)
  std::function<std::string()> config;     // /config: the running config, secrets as <secret>
};

// Start/Stop from one thread; requests are served on the server's own threads.
class WebServer {
 public:
  explicit WebServer(WebRoutes routes);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Binds `listen_address` (HOST:PORT, port 0 = free port) and serves in the background.
  Status Start(const std::string& listen_address);
  int port() const { return port_; }
  const std::string& bound_address() const { return bound_address_; }
  void Stop();  // idempotent

 private:
  WebRoutes routes_;
  std::unique_ptr<HttpServerRunner> runner_;
  int port_ = 0;
  std::string bound_address_;
};

}  // namespace llmprobe
