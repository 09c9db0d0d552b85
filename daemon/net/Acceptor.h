// A listening TCP socket on an EventLoop: binds host:port (port 0 = a free port), listens, and
// hands every accepted socket (non-blocking, close-on-exec) to a callback on the loop thread.
//
// Thread-safety: Open() and port() from any thread; Start() and Stop() from any thread except the
// loop's own (they run their part on the loop and wait for it); the callback runs on the loop.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/Status.h"
#include "net/EventLoop.h"
#include "net/Resolver.h"
#include "net/Timer.h"

namespace llmprobe::net {

class Acceptor final : public EventLoop::IoHandler {
 public:
  // Owns `fd` (the accepted socket); the callback closes or adopts it.
  using OnAccept = std::function<void(int fd, const SocketAddress& peer)>;

  // Binds and listens with `backlog` (raised to at least 128; the kernel caps it at somaxconn).
  // `host` may be a name, an IPv4 or IPv6 address, or empty for every address. Errors name
  // host:port and the reason ("cannot listen on 127.0.0.1:8000: Address already in use").
  static Result<std::unique_ptr<Acceptor>> Open(const std::string& host, int port, int backlog);
  ~Acceptor();  // closes the socket; Stop() first if started
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  int port() const { return port_; }
  // Registers with `loop` (which must outlive Stop()) and calls `on_accept` for each connection.
  // Out of descriptors (EMFILE, ENFILE) or memory, the connections stay queued in the kernel and
  // accepting is retried every 20 ms, not only when the next connection arrives.
  Status Start(EventLoop& loop, OnAccept on_accept);
  // Unregisters; no callback runs after it returns. Idempotent.
  void Stop();

  void OnIoEvent(uint32_t events) override;

 private:
  Acceptor(int fd, int port) : fd_(fd), port_(port) {}

  void AcceptAll();

  int fd_;
  int port_;
  EventLoop* loop_ = nullptr;
  OnAccept on_accept_;
  std::unique_ptr<Timer> retry_;  // loop thread only
};

}  // namespace llmprobe::net
