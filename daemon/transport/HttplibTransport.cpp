#include "transport/HttplibTransport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace llmprobe {
namespace {

// Resolves `host` to its first address as text; empty when it does not resolve.
std::string ResolveFirstAddress(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return "";
  char buf[INET6_ADDRSTRLEN] = {};
  const void* addr =
      res->ai_family == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr);
  inet_ntop(res->ai_family, addr, buf, sizeof buf);
  freeaddrinfo(res);
  return buf;
}

// After httplib reported a generic connection error, tells refused apart from other failures
// with one short connect attempt of our own (httplib does not expose the socket error).
TransportError ClassifyConnectFailure(const UrlParts& url) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(url.port);
  if (getaddrinfo(url.host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    return TransportError::kDns;
  }
  TransportError result = TransportError::kConnect;
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    if (connect(fd, res->ai_addr, res->ai_addrlen) != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, 1000) == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == ECONNREFUSED) result = TransportError::kConnectRefused;
      }
    } else if (errno == ECONNREFUSED) {
      result = TransportError::kConnectRefused;
    }
    close(fd);
  }
  freeaddrinfo(res);
  return result;
}

enum class AbortReason { kNone, kDeadline, kCanceled };

class HttplibTransport final : public Transport {
 public:
  HttplibTransport(const Endpoint& endpoint, const Clock& clock, HttplibTransportOptions options)
      : endpoint_(endpoint), clock_(clock), options_(options) {
    watchdog_ = std::thread([this] { WatchdogLoop(); });
  }

  ~HttplibTransport() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutting_down_ = true;
    }
    CancelAll();
    cv_.notify_all();
    for (auto& w : workers_) w->thread.join();
    {
      std::lock_guard<std::mutex> lock(watchdog_mu_);
      watchdog_stop_ = true;
    }
    watchdog_cv_.notify_all();
    watchdog_.join();
  }

  void Submit(HttpRequestSpec request, std::shared_ptr<StreamHandler> handler) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (shutting_down_) {
      lock.unlock();
      handler->OnFailure(TransportError::kCanceled, "transport shut down", clock_.Now());
      return;
    }
    queue_.push_back(Job{std::move(request), std::move(handler)});
    if (static_cast<int>(queue_.size()) > idle_ &&
        static_cast<int>(workers_.size()) < options_.max_threads) {
      auto w = std::make_unique<Worker>();
      Worker* raw = w.get();
      workers_.push_back(std::move(w));
      raw->thread = std::thread([this, raw] { WorkerLoop(*raw); });
    }
    lock.unlock();
    cv_.notify_one();
  }

  void CancelAll() override {
    std::deque<Job> queued;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queued.swap(queue_);
      for (auto& w : workers_) {
        std::lock_guard<std::mutex> wl(w->mu);
        if (w->current) {
          w->abort = AbortReason::kCanceled;
          if (w->client) w->client->stop();
        }
      }
    }
    for (auto& job : queued) {
      job.handler->OnFailure(TransportError::kCanceled, "canceled before start", clock_.Now());
    }
  }

 private:
  struct Job {
    HttpRequestSpec request;
    std::shared_ptr<StreamHandler> handler;
  };
  struct Worker {
    std::thread thread;
    std::mutex mu;  // guards client pointer publication, current and abort
    std::unique_ptr<httplib::ClientImpl> client;
    std::shared_ptr<StreamHandler> current;
    AbortReason abort = AbortReason::kNone;
  };

  std::unique_ptr<httplib::ClientImpl> NewClient() const {
    const UrlParts& u = endpoint_.url;
    std::unique_ptr<httplib::ClientImpl> client;
    if (u.scheme == "https") {
      const TlsConfig& tls = endpoint_.tls;
      const std::string host = tls.server_name.empty() ? u.host : tls.server_name;
      std::unique_ptr<httplib::SSLClient> ssl;
      if (!tls.cert_file.empty()) {
        ssl = std::make_unique<httplib::SSLClient>(host, u.port, tls.cert_file, tls.key_file);
      } else {
        ssl = std::make_unique<httplib::SSLClient>(host, u.port);
      }
      if (!tls.ca_file.empty()) ssl->set_ca_cert_path(tls.ca_file);
      ssl->enable_server_certificate_verification(!tls.insecure_skip_verify);
      if (!tls.server_name.empty() && tls.server_name != u.host) {
        // Verify and send SNI for server_name while connecting to the URL's host.
        std::string addr = ResolveFirstAddress(u.host);
        if (!addr.empty()) ssl->set_hostname_addr_map({{tls.server_name, addr}});
      }
      client = std::move(ssl);
    } else {
      client = std::make_unique<httplib::ClientImpl>(u.host, u.port);
    }
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);
    client->set_follow_location(false);
    const auto connect = std::chrono::nanoseconds(endpoint_.connect_timeout_ns);
    client->set_connection_timeout(connect);
    client->set_write_timeout(connect);
    // Stalls are judged by the handler's deadlines (watchdog); the socket timeout is a backstop.
    client->set_read_timeout(std::chrono::hours(1));
    return client;
  }

  void WorkerLoop(Worker& w) {
    {
      auto client = NewClient();
      std::lock_guard<std::mutex> wl(w.mu);
      w.client = std::move(client);
    }
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ++idle_;
        cv_.wait(lock, [this] { return shutting_down_ || !queue_.empty(); });
        --idle_;
        if (queue_.empty()) return;  // shutting down
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      Execute(w, job);
    }
  }

  void Execute(Worker& w, Job& job) {
    StreamHandler& handler = *job.handler;
    {
      std::lock_guard<std::mutex> wl(w.mu);
      w.current = job.handler;
      w.abort = AbortReason::kNone;
    }
    httplib::Request req;
    req.method = job.request.method;
    req.path = job.request.path;
    for (auto& [k, v] : job.request.headers) req.headers.emplace(k, v);
    req.body = std::move(job.request.body);
    bool handler_aborted = false;
    req.response_handler = [&](const httplib::Response& r) {
      const MonoNanos t = clock_.Now();
      std::vector<std::pair<std::string, std::string>> headers;
      headers.reserve(r.headers.size());
      for (const auto& [k, v] : r.headers) {
        std::string name = k;
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        headers.emplace_back(std::move(name), v);
      }
      handler.OnHeaders(r.status, headers, t);
      return true;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      const MonoNanos t = clock_.Now();
      if (!handler.OnBody(std::string_view(data, n), t)) {
        handler_aborted = true;
        return false;
      }
      return true;
    };
    handler.OnStart(clock_.Now());
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    const bool ok = w.client->send(req, res, err);
    const MonoNanos t_end = clock_.Now();
    AbortReason abort;
    {
      std::lock_guard<std::mutex> wl(w.mu);
      abort = w.abort;
      w.current.reset();
    }
    if (abort == AbortReason::kDeadline) {
      handler.OnFailure(TransportError::kDeadline, "deadline exceeded", t_end);
    } else if (abort == AbortReason::kCanceled) {
      handler.OnFailure(TransportError::kCanceled, "canceled", t_end);
    } else if (handler_aborted) {
      handler.OnFailure(TransportError::kAborted, "aborted by handler", t_end);
    } else if (ok) {
      handler.OnComplete(t_end);
    } else {
      Fail(handler, err, t_end);
    }
  }

  void Fail(StreamHandler& handler, httplib::Error err, MonoNanos t) {
    switch (err) {
      case httplib::Error::Connection: {
        TransportError e = ClassifyConnectFailure(endpoint_.url);
        handler.OnFailure(e, TransportErrorName(e), t);
        return;
      }
      case httplib::Error::ConnectionTimeout:
        handler.OnFailure(TransportError::kConnectTimeout, "connect timed out", t);
        return;
      case httplib::Error::SSLConnection:
      case httplib::Error::SSLLoadingCerts:
      case httplib::Error::SSLServerVerification:
        handler.OnFailure(TransportError::kTls, httplib::to_string(err), t);
        return;
      case httplib::Error::Write:
        handler.OnFailure(TransportError::kWrite, "write failed", t);
        return;
      default:
        handler.OnFailure(TransportError::kRead, httplib::to_string(err), t);
        return;
    }
  }

  void WatchdogLoop() {
    std::unique_lock<std::mutex> lock(watchdog_mu_);
    while (!watchdog_stop_) {
      watchdog_cv_.wait_for(lock, std::chrono::nanoseconds(options_.watchdog_period_ns));
      if (watchdog_stop_) break;
      const MonoNanos now = clock_.Now();
      std::lock_guard<std::mutex> l(mu_);
      for (auto& w : workers_) {
        std::lock_guard<std::mutex> wl(w->mu);
        if (!w->current) continue;
        if (w->abort == AbortReason::kNone && now >= w->current->DeadlineNanos()) {
          w->abort = AbortReason::kDeadline;
        }
        // stop() shuts the socket down; repeated each period while the request runs, in case
        // it had not opened its socket yet when first called.
        if (w->abort != AbortReason::kNone && w->client) w->client->stop();
      }
    }
  }

  const Endpoint endpoint_;
  const Clock& clock_;
  const HttplibTransportOptions options_;

  std::mutex mu_;  // guards queue_, idle_, workers_ (the vector), shutting_down_
  std::condition_variable cv_;
  std::deque<Job> queue_;
  int idle_ = 0;
  bool shutting_down_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;

  std::mutex watchdog_mu_;
  std::condition_variable watchdog_cv_;
  bool watchdog_stop_ = false;
  std::thread watchdog_;
};

}  // namespace

std::unique_ptr<Transport> MakeHttplibTransport(const Endpoint& endpoint, const Clock& clock,
                                                HttplibTransportOptions options) {
  return std::make_unique<HttplibTransport>(endpoint, clock, options);
}

}  // namespace llmprobe
