#include "common/HttplibServer.h"

#include "common/HostPort.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netdb.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <system_error>
#include <unordered_set>
#include <vector>

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

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// httplib's own SocketStream is not part of its public API; this one behaves the same (buffered
// reads, reads and writes bounded by the server's timeouts, a write to a peer that has gone
// away fails) and lives as long as the connection, so bytes of a pipelined next request that
// were read with the current one are not lost. Over TLS (`ssl` set, socket non-blocking) it
// reads and writes through OpenSSL, waiting in poll() for what OpenSSL asks for.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int sock, SSL* ssl, int read_timeout_ms, int write_timeout_ms)
      : sock_(sock),
        ssl_(ssl),
        read_timeout_ms_(read_timeout_ms),
        write_timeout_ms_(write_timeout_ms) {}

  // Starts a new request: at most `max_head_bytes` (0 = no limit) of request line and headers
  // (up to and including the empty line) and then at most `max_body_bytes` are handed to
  // httplib for it, and none after `deadline_ms` (steady clock; 0 = none).
  void BeginRequest(size_t max_head_bytes, size_t max_body_bytes, int64_t deadline_ms) {
    constexpr size_t kUnlimited = std::numeric_limits<size_t>::max();
    head_left_ = max_head_bytes == 0 ? kUnlimited : max_head_bytes;
    body_left_ = max_head_bytes == 0 ? kUnlimited : max_body_bytes;
    in_head_ = true;
    line_chars_ = 0;
    deadline_ms_ = deadline_ms;
  }

  // Bytes already received and not yet handed out (OpenSSL may hold some too).
  bool buffered() const { return off_ < len_ || (ssl_ != nullptr && SSL_has_pending(ssl_) == 1); }
  // A TLS error ended the connection: no close_notify may be sent.
  bool tls_failed() const { return tls_failed_; }

  bool is_readable() const override {
    return buffered() || PollOne(sock_, POLLIN, ReadWaitMs()) > 0;
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
    if ((in_head_ ? head_left_ : body_left_) == 0) return -1;  // over the request's budget
    if (off_ == len_) {
      const ssize_t n = Fill();
      if (n <= 0) return n;
      off_ = 0;
      len_ = static_cast<size_t>(n);
    }
    size_t take = std::min(size, len_ - off_);
    if (in_head_) {
      take = std::min(take, head_left_);
      // The head ends at the first empty line ("\r\n" or "\n" alone).
      for (size_t i = 0; i < take; ++i) {
        const char c = buf_[off_ + i];
        if (c == '\n') {
          if (line_chars_ == 0) {
            in_head_ = false;
            take = i + 1;
            break;
          }
          line_chars_ = 0;
        } else if (c != '\r') {
          ++line_chars_;
        }
      }
      head_left_ -= take;
    } else {
      take = std::min(take, body_left_);
      body_left_ -= take;
    }
    std::memcpy(ptr, buf_.data() + off_, take);
    off_ += take;
    return static_cast<ssize_t>(take);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    if (ssl_ == nullptr) {
      ssize_t n;
      do {
        n = send(sock_, ptr, size, MSG_NOSIGNAL);
      } while (n < 0 && errno == EINTR);
      return n;
    }
    // SSL_MODE_ENABLE_PARTIAL_WRITE: returns what one record took; httplib writes the rest.
    for (;;) {
      ERR_clear_error();
      const int n = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
      if (n > 0) return n;
      if (!WaitForTls(SSL_get_error(ssl_, n), write_timeout_ms_)) return -1;
    }
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
  // How long the next wait for request bytes may last: the read timeout, cut short by the
  // request's deadline (0 once it has passed, so the read fails).
  int ReadWaitMs() const {
    if (deadline_ms_ == 0) return read_timeout_ms_;
    const int64_t left = deadline_ms_ - NowMs();
    return static_cast<int>(std::clamp<int64_t>(left, 0, read_timeout_ms_));
  }

  bool DeadlinePassed() const { return deadline_ms_ != 0 && NowMs() >= deadline_ms_; }

  // Receives into buf_: > 0 bytes, 0 at the end of the stream, -1 on error or timeout.
  ssize_t Fill() {
    if (DeadlinePassed()) return -1;
    if (ssl_ == nullptr) {
      if (!is_readable()) return -1;
      ssize_t n;
      do {
        n = recv(sock_, buf_.data(), buf_.size(), 0);
      } while (n < 0 && errno == EINTR);
      return n;
    }
    for (;;) {
      ERR_clear_error();
      const int n = SSL_read(ssl_, buf_.data(), static_cast<int>(buf_.size()));
      if (n > 0) return n;
      const int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_ZERO_RETURN) return 0;  // close_notify
      if (!WaitForTls(err, ReadWaitMs())) return -1;
    }
  }

  // After an SSL_read/SSL_write that did not complete: waits for the socket state OpenSSL
  // wants. False on a TLS or socket error (then marks the connection failed) or a timeout.
  bool WaitForTls(int err, int timeout_ms) {
    short events = 0;
    if (err == SSL_ERROR_WANT_READ) events = POLLIN;
    if (err == SSL_ERROR_WANT_WRITE) events = POLLOUT;
    if (events == 0) {
      tls_failed_ = true;
      return false;
    }
    return PollOne(sock_, events, timeout_ms) > 0;
  }

  const int sock_;
  SSL* const ssl_;  // null: plain TCP
  const int read_timeout_ms_;
  const int write_timeout_ms_;
  std::array<char, 4096> buf_{};
  size_t off_ = 0;  // next unread byte in buf_
  size_t len_ = 0;  // bytes in buf_
  // Bytes the current request may still read, in its head and then in its body.
  size_t head_left_ = std::numeric_limits<size_t>::max();
  size_t body_left_ = std::numeric_limits<size_t>::max();
  bool in_head_ = true;      // the empty line ending the head is not read yet
  size_t line_chars_ = 0;    // characters other than CR in the current head line
  int64_t deadline_ms_ = 0;  // of the current request; 0 = none
  bool tls_failed_ = false;
};

// The first byte of a TLS connection is a handshake record (22); anything else on a TLS port is
// most likely a plain HTTP request (a scrape config saying http instead of https).
constexpr unsigned char kTlsHandshakeRecord = 0x16;

// Answers a plain HTTP request on the TLS port with a readable error instead of a reset.
void RefusePlainHttp(int sock, int write_timeout_ms) {
  static constexpr char kResponse[] =
      "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Connection: close\r\nContent-Length: 48\r\n\r\n"
      "Client sent an HTTP request to an HTTPS server.\n";
  if (PollOne(sock, POLLOUT, write_timeout_ms) > 0) {
    [[maybe_unused]] const ssize_t n = send(sock, kResponse, sizeof(kResponse) - 1, MSG_NOSIGNAL);
  }
}

// The server side of the TLS handshake on non-blocking `sock`, within `timeout_ms`.
bool AcceptTls(int sock, SSL* ssl, int timeout_ms, int write_timeout_ms) {
  const int64_t deadline = NowMs() + timeout_ms;
  auto wait_ms = [deadline] { return static_cast<int>(std::max<int64_t>(0, deadline - NowMs())); };
  if (PollOne(sock, POLLIN, wait_ms()) <= 0) return false;
  unsigned char first = 0;
  if (recv(sock, &first, 1, MSG_PEEK) != 1) return false;
  if (first != kTlsHandshakeRecord) {
    RefusePlainHttp(sock, write_timeout_ms);
    return false;
  }
  for (;;) {
    ERR_clear_error();
    const int rc = SSL_accept(ssl);
    if (rc == 1) return true;
    const int err = SSL_get_error(ssl, rc);
    short events = 0;
    if (err == SSL_ERROR_WANT_READ) events = POLLIN;
    if (err == SSL_ERROR_WANT_WRITE) events = POLLOUT;
    // A failed handshake (no or a bad client certificate, an unknown CA at the client) ends
    // here; the client learns why from the alert OpenSSL sent.
    if (events == 0 || PollOne(sock, events, wait_ms()) <= 0) return false;
  }
}

struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

class HardenedServer final : public httplib::Server {
 public:
  bool SetBacklog(int backlog) { return ::listen(svr_sock_.load(), backlog) == 0; }

  // Before listening.
  void SetTls(TlsContextSource tls) { tls_ = std::move(tls); }
  void SetLimits(const RequestLimits& limits) { limits_ = limits; }

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
      ok = tls_ ? ServeTls(sock) : Serve(sock, nullptr);
      std::lock_guard<std::mutex> lock(mu_);
      sockets_.erase(sock);
    }
    shutdown(sock, SHUT_RDWR);
    close(sock);
    return ok;
  }

  bool ServeTls(int sock) {
    // Holds the context for as long as the connection lives.
    const std::shared_ptr<ssl_ctx_st> ctx = tls_();
    if (!ctx) return false;
    std::unique_ptr<SSL, SslDeleter> ssl(SSL_new(ctx.get()));
    const int flags = fcntl(sock, F_GETFL, 0);
    if (!ssl || flags < 0 || fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0 ||
        SSL_set_fd(ssl.get(), sock) != 1) {
      return false;
    }
    const int read_ms = TimeoutMs(read_timeout_sec_, read_timeout_usec_);
    const int write_ms = TimeoutMs(write_timeout_sec_, write_timeout_usec_);
    if (!AcceptTls(sock, ssl.get(), read_ms, write_ms)) return false;
    bool tls_failed = false;
    const bool ok = Serve(sock, ssl.get(), &tls_failed);
    if (!tls_failed) SSL_shutdown(ssl.get());  // close_notify, best effort, without waiting
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
  bool Serve(int sock, SSL* ssl, bool* tls_failed = nullptr) {
    ConnectionStream stream(sock, ssl, TimeoutMs(read_timeout_sec_, read_timeout_usec_),
                            TimeoutMs(write_timeout_sec_, write_timeout_usec_));
    const int idle_ms = static_cast<int>(keep_alive_timeout_sec_ * 1000);
    // The body limit is httplib's payload limit (which it enforces itself, but only per body,
    // answering 413); a body over it gets one more byte, so that httplib sees it is too long.
    const size_t body_bytes =
        std::min(payload_max_length_, std::numeric_limits<size_t>::max() - 1) + 1;
    std::function<void(httplib::Request&)> setup;
    if (ssl != nullptr) setup = [ssl](httplib::Request& req) { req.ssl = ssl; };
    bool ok = false;
    for (size_t left = std::max<size_t>(1, keep_alive_max_count_); left > 0; --left) {
      if (!stream.buffered() && PollOne(sock, POLLIN, idle_ms) <= 0) break;  // idle timeout
      if (Closing()) break;
      stream.BeginRequest(limits_.max_head_bytes, body_bytes,
                          limits_.read_timeout_ms == 0 ? 0 : NowMs() + limits_.read_timeout_ms);
      bool connection_closed = false;
      ok = process_request(stream, /*close_connection=*/left == 1, connection_closed, setup);
      if (!ok || connection_closed) break;
    }
    if (tls_failed != nullptr) *tls_failed = stream.tls_failed();
    return ok;
  }

  TlsContextSource tls_;  // null: plain TCP
  RequestLimits limits_;
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
    // OpenSSL writes with write(2): a peer that has gone away raises SIGPIPE in the writing
    // thread, which would end the process; blocked, it becomes an EPIPE error.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
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

HttpServerRunner::HttpServerRunner(int max_threads, TlsContextSource tls)
    : server_(NewHttplibServer()), tls_(tls != nullptr) {
  static_cast<HardenedServer&>(*server_).SetTls(std::move(tls));
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

void HttpServerRunner::SetRequestLimits(const RequestLimits& limits) {
  static_cast<HardenedServer&>(*server_).SetLimits(limits);
}

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
