#include "mock/MockHttpServer.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
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

class MockHttpServer final : public httplib::Server {
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

}  // namespace

std::unique_ptr<httplib::Server> NewMockHttpServer() { return std::make_unique<MockHttpServer>(); }

bool SetListenBacklog(httplib::Server& server, int backlog) {
  return static_cast<MockHttpServer&>(server).SetBacklog(backlog);
}

void CloseMockHttpConnections(httplib::Server& server) {
  static_cast<MockHttpServer&>(server).CloseConnections();
}

}  // namespace llmprobe
