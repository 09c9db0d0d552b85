#include "net/Acceptor.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/HostPort.h"

namespace llmprobe::net {
namespace {

constexpr int kMinBacklog = 128;
constexpr int64_t kRetryNs = 20'000'000;  // after running out of descriptors

}  // namespace

Result<std::unique_ptr<Acceptor>> Acceptor::Open(const std::string& host, int port, int backlog) {
  const auto fail = [&](const std::string& reason) {
    return Status::Error("cannot listen on " + HostPort{host, port}.ToString() + ": " + reason);
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* result = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc =
          getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &result);
      rc != 0) {
    return fail(std::string("cannot resolve host: ") + gai_strerror(rc));
  }
  int err = 0;
  int fd = -1;
  for (const addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
        listen(fd, std::max(kMinBacklog, backlog)) == 0) {
      break;
    }
    err = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(result);
  if (fd < 0) return fail(err != 0 ? std::strerror(err) : "no address to bind");
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  const int bound_port = bound.ss_family == AF_INET6
                             ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                             : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return std::unique_ptr<Acceptor>(new Acceptor(fd, bound_port));
}

Acceptor::~Acceptor() {
  Stop();
  if (fd_ >= 0) close(fd_);
}

Status Acceptor::Start(EventLoop& loop, OnAccept on_accept) {
  loop_ = &loop;
  on_accept_ = std::move(on_accept);
  int err = 0;
  loop.RunAndWait([this, &err] {
    retry_ = std::make_unique<Timer>(*loop_, [this] { AcceptAll(); });
    err = loop_->Register(fd_, EPOLLIN | EPOLLET, this);
    if (err != 0) retry_.reset();
  });
  if (err != 0) {
    loop_ = nullptr;
    return Status::Error("cannot watch the listening socket on port " + std::to_string(port_) +
                         ": " + std::strerror(err));
  }
  return Status::Ok();
}

void Acceptor::Stop() {
  if (loop_ == nullptr) return;
  loop_->RunAndWait([this] {
    loop_->Unregister(fd_, this);
    retry_.reset();
  });
  loop_ = nullptr;
}

void Acceptor::OnIoEvent(uint32_t) { AcceptAll(); }

void Acceptor::AcceptAll() {
  // Edge-triggered: accept until the queue is empty.
  for (;;) {
    SocketAddress peer;
    peer.length = sizeof peer.storage;
    const int fd = accept4(fd_, reinterpret_cast<sockaddr*>(&peer.storage), &peer.length,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      on_accept_(fd, peer);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      // The queued connections raise no new edge: retry when descriptors may have been freed.
      retry_->ArmAfter(kRetryNs);
    }
    return;  // EAGAIN: drained
  }
}

}  // namespace llmprobe::net
