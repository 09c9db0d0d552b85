#include "mock/MockServer.h"

#include <openssl/ssl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "common/HostPort.h"
#include "mock/MockAdmin.h"
#include "mock/MockEncoder.h"
#include "mock/MockReplies.h"
#include "mock/MockSession.h"
#include "mock/MockStream.h"
#include "net/Acceptor.h"
#include "net/EventLoop.h"
#include "net/HttpRequestParser.h"
#include "web/TlsServerContext.h"

namespace llmprobe {
namespace {

constexpr int kMaxDefaultThreads = 4;

int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

MockReply JsonReply(std::string body) {
  MockReply reply;
  reply.body = std::move(body);
  return reply;
}

// The route a completion request names, if any.
bool CompletionEndpoint(const std::string& path, MockEndpoint* endpoint) {
  static const std::pair<const char*, MockEndpoint> kRoutes[] = {
      {"/v1/chat/completions", MockEndpoint::kChat},
      {"/v1/completions", MockEndpoint::kCompletions},
      {"/v1/responses", MockEndpoint::kResponses},
      {"/v1/messages", MockEndpoint::kMessages},
      {"/generate_stream", MockEndpoint::kGenerateStream},
      {"/api/chat", MockEndpoint::kOllamaChat},
  };
  for (const auto& [route, e] : kRoutes) {
    if (path == route) {
      *endpoint = e;
      return true;
    }
  }
  return false;
}

}  // namespace

MockServer::MockServer(MockOptions options)
    : options_(std::move(options)), batch_(options_.max_batch), send_stats_(0) {}

MockServer::~MockServer() { Stop(); }

Status MockServer::Start(const std::string& host, int port) {
  if (!loops_.empty()) {
    return Status::Error("mock server already started on port " + std::to_string(port_));
  }
  const MockOptions o = options();
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return Status::Error("mock TLS needs both a certificate file and a key file");
  }
  if (!o.tls_cert_file.empty()) {
    WebTlsConfig tls;
    tls.cert_file = o.tls_cert_file;
    tls.key_file = o.tls_key_file;
    Result<std::shared_ptr<SSL_CTX>> ctx = NewTlsServerContext(tls);
    if (!ctx.ok()) return Status::Error("mock TLS: " + ctx.status().message());
    tls_ = std::move(ctx).value();
  }
  max_connections_ = std::max(1, o.max_connections);
  Result<std::unique_ptr<net::Acceptor>> acceptor =
      net::Acceptor::Open(host, port, max_connections_);
  if (!acceptor.ok()) return acceptor.status();
  acceptor_ = std::move(acceptor).value();
  port_ = acceptor_->port();

  batch_.Reopen();
  send_stats_.Reset(net::EventLoop::NowNanos());
  const int cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = o.threads > 0 ? o.threads : std::min(cpus, kMaxDefaultThreads);
  for (int i = 0; i < threads; ++i) {
    net::EventLoop::Options lo;
    lo.name = "llmprobe-mock" + std::to_string(i);
    loops_.push_back(std::make_unique<net::EventLoop>(lo));
  }
  sessions_.resize(loops_.size());
  Status started = acceptor_->Start(*loops_[0], [this](int fd, const net::SocketAddress& peer) {
    if (open_connections_.load() >= max_connections_) {
      close(fd);
      return;
    }
    open_connections_.fetch_add(1);
    const size_t index = next_loop_++ % loops_.size();
    if (index == 0) {
      AddSession(0, fd, peer);
    } else {
      loops_[index]->Post([this, index, fd, peer] { AddSession(index, fd, peer); });
    }
  });
  if (!started.ok()) {
    Stop();
    return started;
  }
  return Status::Ok();
}

void MockServer::Stop() {
  if (loops_.empty()) return;
  acceptor_->Stop();
  batch_.Shutdown();  // drops the queue; admissions are refused from now on
  for (size_t i = 0; i < loops_.size(); ++i) {
    loops_[i]->RunAndWait([this, i] {
      auto sessions = std::move(sessions_[i]);
      sessions_[i].clear();
      for (auto& [raw, session] : sessions) session->End();
    });
  }
  loops_.clear();  // joins the threads
  sessions_.clear();
  acceptor_.reset();
  tls_.reset();
}

void MockServer::AddSession(size_t index, int fd, const net::SocketAddress& peer) {
  SSL* ssl = nullptr;
  if (tls_ != nullptr && (ssl = SSL_new(tls_.get())) == nullptr) {
    close(fd);
    open_connections_.fetch_sub(1);
    return;
  }
  auto session = std::make_shared<MockSession>(*this, *loops_[index], index);
  std::string detail;
  std::shared_ptr<net::Connection> connection =
      net::Connection::Adopt(*loops_[index], SteadyClock(), fd, peer, ssl, session.get(), &detail);
  if (connection == nullptr) {
    open_connections_.fetch_sub(1);
    return;
  }
  sessions_[index].emplace(session.get(), session);
  session->Begin(std::move(connection));
}

void MockServer::RemoveSession(size_t index, MockSession* session) {
  sessions_[index].erase(session);  // already out of it while Stop() ends every session
  open_connections_.fetch_sub(1);
}

MockOptions MockServer::options() const {
  std::lock_guard<std::mutex> lock(config_mu_);
  return options_;
}

int MockServer::active_requests() const { return batch_.active(); }

int MockServer::queued_requests() const { return batch_.queued(); }

MockReply MockServer::ErrorReply(int status, const std::string& message, const char* code) {
  nlohmann::ordered_json error{{"message", message},
                               {"type", status >= 500 ? "server_error" : "invalid_request_error"},
                               {"param", nullptr},
                               {"code", code ? nlohmann::ordered_json(code) : nullptr}};
  MockReply reply = JsonReply(nlohmann::ordered_json{{"error", error}}.dump());
  reply.status = status;
  return reply;
}

MockReply MockServer::Route(const net::HttpRequest& request, MonoNanos t0) {
  const std::string& method = request.method;
  const std::string& path = request.path;
  MockEndpoint endpoint;
  if (method == "POST" && CompletionEndpoint(path, &endpoint)) {
    return Completion(endpoint, request, t0);
  }
  if (method == "GET" && path == "/v1/models") {
    nlohmann::ordered_json model{{"id", options().model},
                                 {"object", "model"},
                                 {"created", UnixSeconds()},
                                 {"owned_by", "llmprobe-mock"}};
    return JsonReply(nlohmann::ordered_json{{"object", "list"}, {"data", {model}}}.dump());
  }
  if (method == "GET" && path == "/health") return JsonReply("{\"status\":\"ok\"}");
  if (method == "GET" && path == "/mock/config") return JsonReply(MockConfigJson(options()));
  if (method == "POST" && path == "/mock/config") return SetConfig(request);
  if (method == "GET" && path == "/mock/stats") {
    return JsonReply(send_stats_.Json(net::EventLoop::NowNanos()));
  }
  if (method == "POST" && path == "/mock/stats/reset") {
    send_stats_.Reset(net::EventLoop::NowNanos());
    return JsonReply(send_stats_.Json(net::EventLoop::NowNanos()));
  }
  return ErrorReply(404, "Unknown request URL: " + method + " " + path, "unknown_url");
}

MockReply MockServer::SetConfig(const net::HttpRequest& request) {
  std::lock_guard<std::mutex> lock(config_mu_);
  if (Status st = ApplyMockConfigJson(request.body, &options_); !st.ok()) {
    return ErrorReply(400, st.message());
  }
  batch_.SetMaxBatch(options_.max_batch, net::EventLoop::NowNanos());
  return JsonReply(MockConfigJson(options_));
}

MockReply MockServer::Completion(MockEndpoint endpoint, const net::HttpRequest& http,
                                 MonoNanos t0) {
  // This request's timing: later /mock/config changes do not affect it.
  const MockOptions options = this->options();
  Result<MockRequest> parsed = ParseMockRequest(endpoint, http.body, options.default_max_tokens);
  if (!parsed.ok()) {
    MockReply reply = JsonReply(MockErrorBody(endpoint, 400, parsed.status().message()));
    reply.status = 400;
    return reply;
  }
  MockRequest request = std::move(parsed).value();
  if (request.model.empty()) request.model = options.model;  // tgi names no model
  const std::string id = MockResponseId(endpoint, next_id_.fetch_add(1) + 1);
  const int64_t created = UnixSeconds();

  MockReply reply;
  reply.options = options;
  reply.t0 = t0;
  if (!request.stream) {
    // The same schedule, one token at a time and nothing written: answered at the last token.
    MockOptions schedule_options = options;
    schedule_options.role_chunk = false;
    schedule_options.tokens_per_chunk = 1;
    reply.body = MockCompletionBody(request, options, id, created);
    std::unique_ptr<MockEncoder> encoder = NewMockEncoder(request, schedule_options, id, created);
    reply.stream =
        std::make_unique<MockStream>(std::move(request), schedule_options, std::move(encoder));
    return reply;
  }
  std::unique_ptr<MockEncoder> encoder = NewMockEncoder(request, options, id, created);
  reply.stream = std::make_unique<MockStream>(std::move(request), options, std::move(encoder));
  reply.streamed = true;
  reply.content_type = reply.stream->content_type();
  reply.headers.emplace_back("Cache-Control", "no-cache");
  return reply;
}

}  // namespace llmprobe
