#include "web/WebServer.h"

#include <chrono>

#include <httplib.h>

#include "common/HostPort.h"
#include "common/HttplibServer.h"
#include "metrics/Exposition.h"
#include "web/BasicAuth.h"
#include "web/LandingPage.h"
#include "web/TlsServerContext.h"

namespace llmprobe {
namespace {

// Scrapers, health checks and a few browsers: a handful of connections, each on its own thread.
constexpr int kMaxConnections = 16;
constexpr int kListenBacklog = 64;
// Requests here carry no bodies worth more; GETs from browsers send a few KiB of headers.
constexpr size_t kMaxBodyBytes = 64 * 1024;
constexpr size_t kMaxHeadBytes = 16 * 1024;
constexpr int kRequestReadTimeoutMs = 15'000;

// "web.yml: " to start an error about the web config `web`.
std::string SourceName(const WebConfig& web) {
  return (web.source_path.empty() ? std::string("web config") : web.source_path) + ": ";
}

}  // namespace

struct WebServer::Security {
  WebConfig config;
  std::shared_ptr<ssl_ctx_st> tls;           // null: plain HTTP
  std::shared_ptr<BasicAuthenticator> auth;  // null: no authentication
};

WebServer::WebServer(WebRoutes routes) : routes_(std::move(routes)) {}

WebServer::~WebServer() { Stop(); }

std::shared_ptr<const WebServer::Security> WebServer::CurrentSecurity() const {
  std::lock_guard<std::mutex> lock(security_mu_);
  return security_;
}

Status WebServer::Reconfigure(const WebConfig& web) {
  std::shared_ptr<const Security> old;
  {
    std::lock_guard<std::mutex> lock(security_mu_);
    old = security_;
  }
  if (old != nullptr && old->config.tls.has_value() != web.tls.has_value()) {
    return Status::Error(SourceName(web) + (web.tls ? "turning TLS on" : "turning TLS off") +
                         " needs a restart (the server speaks " +
                         (old->config.tls ? "HTTPS" : "HTTP") + ")");
  }
  auto next = std::make_shared<Security>();
  next->config = web;
  if (web.tls) {
    auto ctx = NewTlsServerContext(*web.tls);
    if (!ctx.ok()) return Status::Error(SourceName(web) + ctx.status().message());
    next->tls = std::move(ctx).value();
  }
  if (!web.basic_auth_users.empty()) {
    if (old != nullptr && old->auth != nullptr &&
        old->config.basic_auth_users == web.basic_auth_users) {
      next->auth = old->auth;  // same users and hashes: keep the verified-password cache
    } else {
      next->auth = std::make_shared<BasicAuthenticator>(web.basic_auth_users);
    }
  }
  std::lock_guard<std::mutex> lock(security_mu_);
  security_ = std::move(next);
  return Status::Ok();
}

Status WebServer::Start(const std::string& listen_address, const WebConfig& web) {
  auto hp = ParseHostPort(listen_address);
  if (!hp.ok()) return hp.status();
  runner_.reset();
  {
    std::lock_guard<std::mutex> lock(security_mu_);
    security_.reset();  // a new listener may switch between HTTP and HTTPS
  }
  if (Status st = Reconfigure(web); !st.ok()) return st;
  TlsContextSource tls;
  if (web.tls) tls = [this] { return CurrentSecurity()->tls; };
  runner_ = std::make_unique<HttpServerRunner>(kMaxConnections, std::move(tls));
  runner_->SetRequestLimits(RequestLimits{kMaxHeadBytes, kRequestReadTimeoutMs});
  httplib::Server& s = runner_->server();
  s.set_payload_max_length(kMaxBodyBytes);
  s.set_read_timeout(10, 0);
  s.set_write_timeout(10, 0);
  s.set_keep_alive_timeout(30);  // longer than any scrape interval worth having

  // Authentication comes before routing (and before any body is read), for every path.
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    const std::shared_ptr<const Security> security = CurrentSecurity();
    if (security->auth == nullptr ||
        security->auth->CheckHeader(req.get_header_value("Authorization"))) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.status = 401;
    res.set_header("WWW-Authenticate", "Basic");
    res.set_content("Unauthorized\n", "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  });

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
    res.set_content(RenderLandingPage(
                        routes_.targets ? routes_.targets() : std::vector<TargetStatus>{},
                        routes_.rolling ? routes_.rolling() : std::vector<RollingTargetSnapshot>{}),
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

Status CheckWebConfigFile(const std::string& path) {
  auto web = LoadWebConfigFile(path);
  if (!web.ok()) return web.status();
  if (web.value().tls) {
    auto ctx = NewTlsServerContext(*web.value().tls);
    if (!ctx.ok()) return Status::Error(SourceName(web.value()) + ctx.status().message());
  }
  return Status::Ok();
}

}  // namespace llmprobe
