#include "mock/MockServer.h"

#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <deque>
#include <functional>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>
#include <vector>

#include "common/HostPort.h"
#include "common/HttplibServer.h"
#include "mock/MockStream.h"

namespace llmprobe {
namespace {

constexpr size_t kPayloadMaxBytes = 1 << 20;
constexpr size_t kKeepAliveMaxRequests = 100000;
constexpr time_t kKeepAliveTimeoutSeconds = 30;
constexpr time_t kReadTimeoutSeconds = 30;
constexpr int kMinListenBacklog = 128;

// {"error": {...}} in OpenAI's shape.
void SetError(httplib::Response& res, int status, const std::string& message, const char* type,
              const char* code = nullptr) {
  nlohmann::ordered_json error{{"message", message},
                               {"type", type},
                               {"param", nullptr},
                               {"code", code ? nlohmann::ordered_json(code) : nullptr}};
  res.status = status;
  res.set_content(nlohmann::ordered_json{{"error", error}}.dump(), "application/json");
}

int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

MockServer::MockServer(MockOptions options) : options_(std::move(options)) {}

MockServer::~MockServer() { Stop(); }

Status MockServer::Start(const std::string& host, int port) {
  if (runner_) {
    return Status::Error("mock server already started on " + HostPort{host, port_}.ToString());
  }
  stopping_ = false;
  runner_ = std::make_unique<HttpServerRunner>(options_.max_connections);
  httplib::Server* svr = &runner_->server();
  svr->set_keep_alive_max_count(kKeepAliveMaxRequests);
  svr->set_keep_alive_timeout(kKeepAliveTimeoutSeconds);
  svr->set_read_timeout(kReadTimeoutSeconds);
  svr->set_payload_max_length(kPayloadMaxBytes);

  svr->Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    HandleCompletion(MockEndpoint::kChat, req, res);
  });
  svr->Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
    HandleCompletion(MockEndpoint::kCompletions, req, res);
  });
  svr->Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    nlohmann::ordered_json model{{"id", options_.model},
                                 {"object", "model"},
                                 {"created", UnixSeconds()},
                                 {"owned_by", "llmprobe-mock"}};
    nlohmann::ordered_json list{{"object", "list"}, {"data", {model}}};
    res.set_content(list.dump(), "application/json");
  });
  svr->Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  // Routing misses (404), oversized bodies (413) and the like reach here with an empty body.
  svr->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) {
      SetError(res, 404, "Unknown request URL: " + req.method + " " + req.path,
               "invalid_request_error", "unknown_url");
    } else if (res.status == 413) {
      SetError(res, 413, "Request body too large", "invalid_request_error");
    } else {
      SetError(res, res.status, "HTTP error " + std::to_string(res.status),
               res.status >= 500 ? "server_error" : "invalid_request_error");
    }
  });
  svr->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        SetError(res, 500, "internal error in the mock server", "server_error");
      });
  // The logger runs after a response has been written completely.
  svr->set_logger(
      [this](const httplib::Request&, const httplib::Response&) { requests_served_.fetch_add(1); });

  if (Status st = runner_->Start(host, port, std::max(kMinListenBacklog, options_.max_connections));
      !st.ok()) {
    runner_.reset();
    return st;
  }
  port_ = runner_->port();
  return Status::Ok();
}

void MockServer::Stop() {
  if (!runner_) return;
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  runner_.reset();  // stops accepting, ends open connections, joins
}

bool MockServer::WaitUntil(TimePoint when) {
  std::unique_lock<std::mutex> lock(stop_mu_);
  return !stop_cv_.wait_until(lock, when, [this] { return stopping_.load(); });
}

void MockServer::HandleCompletion(MockEndpoint endpoint, const httplib::Request& req,
                                  httplib::Response& res) {
  // t0: httplib calls the handler once the request (headers and body) has been read.
  const TimePoint t0 = std::chrono::steady_clock::now();
  Result<MockRequest> parsed = ParseMockRequest(endpoint, req.body, options_.default_max_tokens);
  if (!parsed.ok()) {
    SetError(res, 400, parsed.status().message(), "invalid_request_error");
    return;
  }
  const char* prefix = endpoint == MockEndpoint::kChat ? "chatcmpl-mock-" : "cmpl-mock-";
  std::string id = prefix + std::to_string(next_id_.fetch_add(1) + 1);
  const int64_t created = UnixSeconds();

  if (!parsed.value().stream) {
    const int64_t due = MockTokenDueNs(options_, parsed.value().max_tokens - 1);
    if (!WaitUntil(t0 + std::chrono::nanoseconds(due))) {
      SetError(res, 503, "the mock server is shutting down", "server_error");
      return;
    }
    res.set_content(MockCompletionBody(parsed.value(), options_, id, created), "application/json");
    return;
  }

  auto stream =
      std::make_shared<MockStream>(std::move(parsed).value(), options_, std::move(id), created);
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider("text/event-stream",
                                   [this, stream, t0](size_t, httplib::DataSink& sink) {
                                     return WriteStream(*stream, t0, sink);
                                   });
}

bool MockServer::WriteStream(MockStream& stream, TimePoint t0, httplib::DataSink& sink) {
  MockStreamEvent event;
  while (stream.Next(&event)) {
    // Absolute due times: a late write does not delay the ones after it.
    if (!WaitUntil(t0 + std::chrono::nanoseconds(event.due_ns))) return false;  // stopping
    if (!sink.write(event.text.data(), event.text.size())) return false;        // client gone
  }
  sink.done();
  return true;
}

}  // namespace llmprobe
