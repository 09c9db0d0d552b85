#include "support/FaultServer.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace llmprobe::testing {

// --- FaultScript ---

FaultScript& FaultScript::Send(std::string bytes) {
  steps_.push_back(Step{Step::Kind::kSend, std::move(bytes), 0});
  return *this;
}
FaultScript& FaultScript::Sleep(int64_t nanos) {
  steps_.push_back(Step{Step::Kind::kSleep, "", nanos});
  return *this;
}
FaultScript& FaultScript::Trickle(std::string bytes, int64_t gap_nanos) {
  steps_.push_back(Step{Step::Kind::kTrickle, std::move(bytes), gap_nanos});
  return *this;
}
FaultScript& FaultScript::Stall() {
  steps_.push_back(Step{Step::Kind::kStall, "", 0});
  return *this;
}
FaultScript& FaultScript::Reset() {
  steps_.push_back(Step{Step::Kind::kReset, "", 0});
  return *this;
}
FaultScript& FaultScript::Close() {
  steps_.push_back(Step{Step::Kind::kClose, "", 0});
  return *this;
}

std::string FaultScript::Head(int status, const std::vector<std::string>& headers) {
  const char* reason = status == 200   ? "OK"
                       : status == 401 ? "Unauthorized"
                       : status == 404 ? "Not Found"
                       : status == 429 ? "Too Many Requests"
                       : status == 500 ? "Internal Server Error"
                       : status == 503 ? "Service Unavailable"
                                       : "Status";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  for (const std::string& h : headers) out += h + "\r\n";
  return out + "\r\n";
}

std::string FaultScript::SseHead() {
  return Head(200, {"Content-Type: text/event-stream", "Cache-Control: no-cache",
                    "Transfer-Encoding: chunked"});
}

std::string FaultScript::Chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + std::string(data) + "\r\n";
}

std::string FaultScript::Event(std::string_view data) {
  return "data: " + std::string(data) + "\n\n";
}

std::string FaultScript::TokenEvent(std::string_view text) {
  return Event(
      "{\"id\":\"f\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
      "{\"content\":\"" +
      std::string(text) + "\"},\"finish_reason\":null}]}");
}

std::string FaultScript::EndEvents() {
  return Event(
             "{\"id\":\"f\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
             "\"delta\":{},\"finish_reason\":\"stop\"}]}") +
         Event("[DONE]");
}

std::string FaultScript::Response(int status, std::string_view body,
                                  const std::vector<std::string>& headers) {
  std::vector<std::string> all = headers;
  all.push_back("Content-Type: application/json");
  all.push_back("Content-Length: " + std::to_string(body.size()));
  return Head(status, all) + std::string(body);
}

// --- One connection: blocking I/O with short socket timeouts, so that every wait notices
// Stop() within ~50 ms. ---

namespace {
constexpr int kIoSliceMs = 50;
constexpr size_t kMaxRequestBytes = 8 << 20;
}  // namespace

class FaultServer::Conn {
 public:
  Conn(FaultServer& server, int fd) : server_(server), fd_(fd) {
    timeval tv{0, kIoSliceMs * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (server_.ssl_ctx_ != nullptr) {
      ssl_ = SSL_new(static_cast<SSL_CTX*>(server_.ssl_ctx_));
      SSL_set_fd(ssl_, fd_);
      SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
  }
  ~Conn() {
    if (ssl_ != nullptr) SSL_free(ssl_);
  }

  // TLS: the server side of the handshake; false when it failed (e.g. the client rejected
  // the certificate) or the server stops.
  bool Handshake() {
    if (ssl_ == nullptr) return true;
    for (;;) {
      const int rc = SSL_accept(ssl_);
      if (rc == 1) return true;
      const int err = SSL_get_error(ssl_, rc);
      ERR_clear_error();
      if ((err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) || Stopping()) return false;
    }
  }

  // Reads one request (head and Content-Length body); false when the client closed, on an
  // error, or when the server stops.
  bool ReadRequest() {
    for (;;) {
      const size_t head_end = in_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const size_t need = head_end + 4 + ContentLength(in_.substr(0, head_end));
        if (in_.size() >= need) {
          in_.erase(0, need);
          return true;
        }
      }
      if (in_.size() > kMaxRequestBytes) return false;
      char buf[16384];
      const long n = ReadSome(buf, sizeof buf);
      if (n == 0 || n == kError) return false;
      if (n == kAgain) {
        if (Stopping()) return false;
        continue;
      }
      in_.append(buf, static_cast<size_t>(n));
    }
  }

  // Writes all of `bytes`; false when the client is gone or the server stops.
  bool Write(std::string_view bytes) {
    while (!bytes.empty()) {
      if (Stopping()) return false;
      const size_t piece = std::min<size_t>(bytes.size(), 16384);
      long n;
      if (ssl_ != nullptr) {
        const int rc = SSL_write(ssl_, bytes.data(), static_cast<int>(piece));
        if (rc > 0) {
          n = rc;
        } else {
          const int err = SSL_get_error(ssl_, rc);
          ERR_clear_error();
          if (err != SSL_ERROR_WANT_WRITE && err != SSL_ERROR_WANT_READ) return false;
          continue;
        }
      } else {
        n = send(fd_, bytes.data(), piece, MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
          return false;
        }
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Sends nothing; returns when the client closed the connection or the server stops.
  void WaitForClose() {
    char buf[4096];
    while (!Stopping()) {
      const long n = ReadSome(buf, sizeof buf);
      if (n == 0 || n == kError) return;
    }
  }

  void Reset() {
    const linger l{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }

  void Close() {
    if (ssl_ != nullptr) SSL_shutdown(ssl_);
    shutdown(fd_, SHUT_WR);
  }

 private:
  static constexpr long kAgain = -1;
  static constexpr long kError = -2;

  bool Stopping() const { return server_.stopping_.load(); }

  // > 0 bytes read, 0 the peer closed, kAgain nothing within the slice, kError otherwise.
  long ReadSome(char* buf, size_t size) {
    if (ssl_ != nullptr) {
      const int rc = SSL_read(ssl_, buf, static_cast<int>(size));
      if (rc > 0) return rc;
      const int err = SSL_get_error(ssl_, rc);
      ERR_clear_error();
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return kAgain;
      return err == SSL_ERROR_ZERO_RETURN ? 0 : kError;
    }
    const ssize_t n = recv(fd_, buf, size, 0);
    if (n >= 0) return n;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? kAgain : kError;
  }

  static size_t ContentLength(std::string head) {
    std::transform(head.begin(), head.end(), head.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const size_t at = head.find("\r\ncontent-length:");
    if (at == std::string::npos) return 0;
    return std::strtoul(head.c_str() + at + 17, nullptr, 10);
  }

  FaultServer& server_;
  const int fd_;
  SSL* ssl_ = nullptr;
  std::string in_;
};

// --- FaultServer ---

FaultServer::FaultServer(FaultScript script, FaultServerOptions options)
    : script_(std::move(script)), options_(std::move(options)) {}

FaultServer::~FaultServer() {
  Stop();
  if (ssl_ctx_ != nullptr) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

Status FaultServer::Start() {
  if (!options_.cert_file.empty()) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr ||
        SSL_CTX_use_certificate_chain_file(ctx, options_.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, options_.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      if (ctx != nullptr) SSL_CTX_free(ctx);
      ERR_clear_error();
      return Status::Error("fault server: cannot load " + options_.cert_file);
    }
    ssl_ctx_ = ctx;
  }
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(listen_fd_, 128) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Status::Error(std::string("fault server: ") + std::strerror(errno));
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return Status::Ok();
}

void FaultServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);  // accept() returns
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (std::thread& t : threads) t.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
}

int64_t FaultServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(request_times_.size());
}

std::vector<MonoNanos> FaultServer::request_times() const {
  std::lock_guard<std::mutex> lock(mu_);
  return request_times_;
}

void FaultServer::AcceptLoop() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down by Stop()
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    ++connections_;
    open_fds_.insert(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

bool FaultServer::Pause(int64_t nanos) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, std::chrono::nanoseconds(nanos), [this] { return stopping_.load(); });
}

void FaultServer::Serve(int fd) {
  // A write to a connection the client closed raises SIGPIPE in the writing thread (OpenSSL
  // writes with write(2)); blocked here it becomes an EPIPE error.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  {
    Conn conn(*this, fd);
    bool open = conn.Handshake();
    while (open && conn.ReadRequest()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        request_times_.push_back(SteadyClock().Now());
      }
      bool keep_alive = true;
      for (const FaultScript::Step& step : script_.steps()) {
        using Kind = FaultScript::Step::Kind;
        bool ok = true;
        switch (step.kind) {
          case Kind::kSend:
            ok = conn.Write(step.bytes);
            break;
          case Kind::kSleep:
            ok = Pause(step.nanos);
            break;
          case Kind::kTrickle:
            for (size_t i = 0; ok && i < step.bytes.size(); ++i) {
              ok = conn.Write(std::string_view(step.bytes).substr(i, 1)) && Pause(step.nanos);
            }
            break;
          case Kind::kStall:
            conn.WaitForClose();
            ok = false;
            break;
          case Kind::kReset:
            conn.Reset();
            ok = false;
            break;
          case Kind::kClose:
            conn.Close();
            ok = false;
            break;
        }
        if (!ok) {
          keep_alive = false;
          break;
        }
      }
      open = keep_alive;
    }
  }  // SSL_free before the descriptor is closed
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(fd);
  close(fd);
}

}  // namespace llmprobe::testing
