#include "common/HttplibServer.h"

#include "common/HostPort.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netdb.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <system_error>
#include <vector>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_set>

namespace llmprobe {
namespace {

int PollOne(int sock, short events, int timeout_ms) {
  pollfd p{sock, events, 0};
  for (;;) {
    const int n = poll(&p, 1, timeout_ms);
    if (n >= 0 || errno != EINTR) return n;
  }
}

int TimeoutMs(time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); }

void AddressOf(const sockaddr_storage& addr, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    port = ntohs(in6->sin6_port);
  }
  ip = text;
}

// httplib's own SocketStream is not part of its public API; this one behaves the same (buffered
// reads, reads and writes bounded by the server's timeouts, a write to a peer that has gone
// away fails) and lives as long as the connection, so bytes of a pipelined next request that
// were read with the current one are not lost.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int sock, int read_timeout_ms, int write_timeout_ms)
      : sock_(sock), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms) {}

  bool buffered() const { return off_ < len_; }

  bool is_readable() const override {
    return buffered() || PollOne(sock_, POLLIN, read_timeout_ms_) > 0;
  }

  bool is_writable() const override {
    if (PollOne(sock_, POLLOUT, write_timeout_ms_) <= 0) return false;
    // Alive unless the peer has closed its side (readable with nothing to read).
    if (PollOne(sock_, POLLIN, 0) == 0) return true;
    char byte;
    const ssize_t n = recv(sock_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }

  ssize_t read(char* ptr, size_t size) override {
    if (!buffered()) {
      if (!is_readable()) return -1;
      ssize_t n;
      do {
        n = recv(sock_, buf_.data(), buf_.size(), 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      off_ = 0;
      len_ = static_cast<size_t>(n);
    }
    const size_t take = std::min(size, len_ - off_);
    std::memcpy(ptr, buf_.data() + off_, take);
    off_ += take;
    return static_cast<ssize_t>(take);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getpeername(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      AddressOf(addr, ip, port);
    }
  }

  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      AddressOf(addr, ip, port);
    }
  }

  socket_t socket() const override { return sock_; }

 private:
  const int sock_;
  const int read_timeout_ms_;
  const int write_timeout_ms_;
  std::array<char, 4096> buf_{};
  size_t off_ = 0;  // next unread byte in buf_
  size_t len_ = 0;  // bytes in buf_
};

class HardenedServer final : public httplib::Server {
 public:
  bool SetBacklog(int backlog) { return ::listen(svr_sock_.load(), backlog) == 0; }

  void CloseConnections() {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    for (int sock : sockets_) shutdown(sock, SHUT_RDWR);
  }

 private:
  // Called by httplib on a worker thread for each accepted socket; owns and closes it.
  bool process_and_close_socket(socket_t sock) override {
    bool ok = false;
    if (Register(sock)) {
      ok = Serve(sock);
      std::lock_guard<std::mutex> lock(mu_);
      sockets_.erase(sock);
    }
    shutdown(sock, SHUT_RDWR);
    close(sock);
    return ok;
  }

  bool Register(int sock) {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return false;
    sockets_.insert(sock);
    return true;
  }

  bool Closing() {
    std::lock_guard<std::mutex> lock(mu_);
    return closing_;
  }

  // httplib's keep-alive loop, except that the wait for the next request ends as soon as the
  // socket is shut down.
  bool Serve(int sock) {
    ConnectionStream stream(sock, TimeoutMs(read_timeout_sec_, read_timeout_usec_),
                            TimeoutMs(write_timeout_sec_, write_timeout_usec_));
    const int idle_ms = static_cast<int>(keep_alive_timeout_sec_ * 1000);
    bool ok = false;
    for (size_t left = std::max<size_t>(1, keep_alive_max_count_); left > 0; --left) {
      if (!stream.buffered() && PollOne(sock, POLLIN, idle_ms) <= 0) break;  // idle timeout
      if (Closing()) break;
      bool connection_closed = false;
      ok = process_request(stream, /*close_connection=*/left == 1, connection_closed, nullptr);
      if (!ok || connection_closed) break;
    }
    return ok;
  }

  std::mutex mu_;
  std::unordered_set<int> sockets_;  // open accepted sockets; guarded by mu_
  bool closing_ = false;             // guarded by mu_
};

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

}  // namespace

std::unique_ptr<httplib::Server> NewHttplibServer() { return std::make_unique<HardenedServer>(); }

bool SetListenBacklog(httplib::Server& server, int backlog) {
  return static_cast<HardenedServer&>(server).SetBacklog(backlog);
}

void CloseHttplibConnections(httplib::Server& server) {
  static_cast<HardenedServer&>(server).CloseConnections();
}

}  // namespace llmprobe

namespace llmprobe {

HttpServerRunner::HttpServerRunner(int max_threads) : server_(NewHttplibServer()) {
  const size_t n = static_cast<size_t>(std::max(1, max_threads));
  server_->new_task_queue = [n] { return new OnDemandThreadPool(n); };
  server_->set_tcp_nodelay(true);
  // httplib's default sets SO_REUSEPORT on Linux, so a second server on a port in use would
  // silently share it instead of failing. SO_REUSEADDR alone still allows quick restarts.
  server_->set_socket_options([](int sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
}

HttpServerRunner::~HttpServerRunner() { Stop(); }

Status HttpServerRunner::Start(const std::string& host, int port, int backlog) {
  if (thread_.joinable()) {
    return Status::Error("server already started on " + HostPort{host, port_}.ToString());
  }
  errno = 0;
  const int bound =
      port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return Status::Error("cannot listen on " + HostPort{host, port}.ToString() + ": " +
                         BindFailureReason(host, errno));
  }
  if (!SetListenBacklog(*server_, backlog)) {
    return Status::Error("cannot listen on " + HostPort{host, bound}.ToString() + ": " +
                         std::generic_category().message(errno));
  }
  port_ = bound;
  listen_returned_ = false;
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server_->is_running()) {
    if (listen_returned_ || std::chrono::steady_clock::now() > deadline) {
      server_->stop();
      thread_.join();
      return Status::Error("server on " + HostPort{host, port_}.ToString() + " did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return Status::Ok();
}

void HttpServerRunner::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  CloseHttplibConnections(*server_);
  thread_.join();
}

}  // namespace llmprobe
