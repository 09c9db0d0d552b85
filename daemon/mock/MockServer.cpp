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
#include "mock/MockHttpServer.h"
#include "mock/MockStream.h"

namespace llmprobe {
namespace {

constexpr size_t kPayloadMaxBytes = 1 << 20;
constexpr size_t kKeepAliveMaxRequests = 100000;
constexpr time_t kKeepAliveTimeoutSeconds = 30;
constexpr time_t kReadTimeoutSeconds = 30;
constexpr std::chrono::seconds kStartTimeout(10);
constexpr int kMinListenBacklog = 128;

// httplib's ThreadPool starts all of its threads up front; a mock allowing 1024 connections
// would start 1024 threads for every in-process test server. This pool grows on demand up to
// `max_threads` (one per connection being served) and keeps idle threads for reuse.
class OnDemandThreadPool final : public httplib::TaskQueue {
 public:
  explicit OnDemandThreadPool(size_t max_threads) : max_threads_(max_threads) {}
  ~OnDemandThreadPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(fn));
    if (idle_ < jobs_.size() && threads_.size() < max_threads_) {
      threads_.emplace_back([this] { Work(); });
    } else {
      cv_.notify_one();
    }
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void Work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      ++idle_;
      cv_.wait(lock, [this] { return shutdown_ || !jobs_.empty(); });
      --idle_;
      if (jobs_.empty()) return;  // shutting down and nothing left to run
      std::function<void()> fn = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  const size_t max_threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;  // guarded by mu_
  std::vector<std::thread> threads_;        // guarded by mu_ until shutdown
  size_t idle_ = 0;                         // threads waiting for a job; guarded by mu_
  bool shutdown_ = false;                   // guarded by mu_
};

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

// Why binding failed: a host that does not resolve, else errno from the failed bind or listen
// (httplib leaves it set, but getaddrinfo may also have set it while failing).
std::string BindFailureReason(const std::string& host, int err) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* result = nullptr;
  const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), "0", &hints, &result);
  if (result != nullptr) freeaddrinfo(result);
  if (rc != 0) return std::string("cannot resolve host: ") + gai_strerror(rc);
  return err != 0 ? std::generic_category().message(err) : "bind failed";
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
  if (server_) {
    return Status::Error("mock server already started on " + HostPort{host, port_}.ToString());
  }
  std::unique_ptr<httplib::Server> svr = NewMockHttpServer();
  const size_t max_threads = static_cast<size_t>(std::max(1, options_.max_connections));
  svr->new_task_queue = [max_threads] { return new OnDemandThreadPool(max_threads); };
  svr->set_tcp_nodelay(true);
  // httplib's default sets SO_REUSEPORT on Linux, so a second server on a port in use would
  // silently share it instead of failing. SO_REUSEADDR alone still allows quick restarts.
  svr->set_socket_options([](int sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
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

  errno = 0;
  int bound = port == 0 ? svr->bind_to_any_port(host) : (svr->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return Status::Error("cannot listen on " + HostPort{host, port}.ToString() + ": " +
                         BindFailureReason(host, errno));
  }

  if (!SetListenBacklog(*svr, std::max(kMinListenBacklog, options_.max_connections))) {
    return Status::Error("cannot listen on " + HostPort{host, bound}.ToString() + ": " +
                         std::generic_category().message(errno));
  }

  port_ = bound;
  stopping_ = false;
  listen_returned_ = false;
  server_ = std::move(svr);
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!server_->is_running()) {
    if (listen_returned_ || std::chrono::steady_clock::now() > deadline) {
      server_->stop();
      thread_.join();
      server_.reset();
      return Status::Error("server on " + HostPort{host, port_}.ToString() + " did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return Status::Ok();
}

void MockServer::Stop() {
  if (!server_) return;
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  server_->stop();
  CloseMockHttpConnections(*server_);
  if (thread_.joinable()) thread_.join();
  server_.reset();
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
