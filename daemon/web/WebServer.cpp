#include "web/WebServer.h"

#include <chrono>

#include <httplib.h>

#include "common/HostPort.h"
#include "metrics/Exposition.h"
#include "web/LandingPage.h"

namespace llmprobe {

WebServer::WebServer(WebRoutes routes) : routes_(std::move(routes)) {}

WebServer::~WebServer() { Stop(); }

Status WebServer::Start(const std::string& listen_address) {
  auto hp = ParseHostPort(listen_address);
  if (!hp.ok()) return hp.status();
  server_ = std::make_unique<httplib::Server>();
  httplib::Server& s = *server_;
  s.set_tcp_nodelay(true);
  s.set_payload_max_length(64 * 1024);  // requests here carry no bodies worth more
  s.set_read_timeout(10, 0);
  s.set_write_timeout(10, 0);
  s.new_task_queue = [] { return new httplib::ThreadPool(4); };

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
  s.Get("/", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(RenderLandingPage(routes_.targets ? routes_.targets()
                                                      : std::vector<TargetStatus>{}),
                    "text/html; charset=utf-8");
  });

  const HostPort& addr = hp.value();
  if (addr.port == 0) {
    port_ = s.bind_to_any_port(addr.host);
  } else {
    port_ = s.bind_to_port(addr.host, addr.port) ? addr.port : -1;
  }
  if (port_ < 0) {
    server_.reset();
    return Status::Error("cannot listen on " + addr.ToString() +
                         " (address in use, or not an address of this machine)");
  }
  bound_address_ = HostPort{addr.host, port_}.ToString();
  thread_ = std::thread([&s] { s.listen_after_bind(); });
  for (int i = 0; i < 5000 && !s.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!s.is_running()) {
    Stop();
    return Status::Error("web server on " + bound_address_ + " did not start");
  }
  return Status::Ok();
}

void WebServer::Stop() {
  if (!server_) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace llmprobe
