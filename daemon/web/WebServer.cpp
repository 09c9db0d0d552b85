#include "web/WebServer.h"

#include <chrono>

#include <httplib.h>

#include "common/HostPort.h"
#include "common/HttplibServer.h"
#include "metrics/Exposition.h"
#include "web/LandingPage.h"

namespace llmprobe {
namespace {

// Scrapers, health checks and a few browsers: a handful of connections, each on its own thread.
constexpr int kMaxConnections = 16;
constexpr int kListenBacklog = 64;

}  // namespace

WebServer::WebServer(WebRoutes routes) : routes_(std::move(routes)) {}

WebServer::~WebServer() { Stop(); }

Status WebServer::Start(const std::string& listen_address) {
  auto hp = ParseHostPort(listen_address);
  if (!hp.ok()) return hp.status();
  runner_ = std::make_unique<HttpServerRunner>(kMaxConnections);
  httplib::Server& s = runner_->server();
  s.set_payload_max_length(64 * 1024);  // requests here carry no bodies worth more
  s.set_read_timeout(10, 0);
  s.set_write_timeout(10, 0);
  s.set_keep_alive_timeout(30);  // longer than any scrape interval worth having

  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(routes_.metrics(), kExpositionContentType);
  });
  s.Get("/-/healthy", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("Healthy.\n", "text/plain; charset=utf-8");
  });
  s.Get("/-/ready", [this](const httplib::Request&, httplib::Response& res) {
    const bool ready = routes_.ready && routes_.ready();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "Ready.\n" : "Not ready.\n", "text/plain; charset=utf-8");
  });
  s.Post("/-/reload", [this](const httplib::Request&, httplib::Response& res) {
    const Status st = routes_.reload ? routes_.reload() : Status::Error("reload not supported");
    res.status = st.ok() ? 200 : 500;
    res.set_content(st.ok() ? "Reloaded.\n" : "failed to reload config: " + st.message() + "\n",
                    "text/plain; charset=utf-8");
  });
  s.Get("/-/reload", [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "POST");
    res.set_content("Only POST requests allowed.\n", "text/plain; charset=utf-8");
  });
  s.Get("/config", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(routes_.config ? routes_.config() : "", "text/plain; charset=utf-8");
  });
  s.Get("/", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        RenderLandingPage(routes_.targets ? routes_.targets() : std::vector<TargetStatus>{},
                          routes_.rolling ? routes_.rolling()
                                          : std::vector<RollingTargetSnapshot>{}),
        "text/html; charset=utf-8");
  });

  const HostPort& addr = hp.value();
  if (Status st = runner_->Start(addr.host, addr.port, kListenBacklog); !st.ok()) {
    runner_.reset();
    return st;
  }
  port_ = runner_->port();
  bound_address_ = HostPort{addr.host, port_}.ToString();
  return Status::Ok();
}

void WebServer::Stop() { runner_.reset(); }

}  // namespace llmprobe
