// Idle keep-alive connections to one endpoint on one event loop, most recently used first.
// An idle connection the server closes (or sends anything on) is dropped at once; one idle
// longer than the idle timeout, or that fails the reuse check, is closed instead of reused.
//
// Loop thread only. Owns the idle connections (closed on destruction).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "net/Connection.h"

namespace llmprobe::net {

struct ConnectionPoolOptions {
  size_t max_idle = 4096;                          // more are closed on release
  int64_t idle_timeout_ns = 30LL * 1'000'000'000;  // below typical server keep-alive timeouts
};

class ConnectionPool final : private Connection::Listener {
 public:
  explicit ConnectionPool(ConnectionPoolOptions options = {}) : options_(options) {}
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // The most recently released usable connection, or nullptr. The caller becomes its owner and
  // must set its listener.
  std::shared_ptr<Connection> Acquire(int64_t now_ns);
  // Keeps an open, quiet connection for reuse (closes it if the pool is full).
  void Release(std::shared_ptr<Connection> connection, int64_t now_ns);
  // Closes every idle connection.
  void CloseAll();
  size_t idle() const { return idle_.size(); }

 private:
  struct Idle {
    std::shared_ptr<Connection> connection;
    int64_t since_ns;
  };

  void Drop(Connection& c);
  void OnConnected(Connection&) override {}
  void OnData(Connection& c, std::string_view, MonoNanos) override { Drop(c); }
  void OnClosed(Connection& c, MonoNanos) override { Drop(c); }
  void OnError(Connection& c, NetError, const std::string&, MonoNanos) override { Drop(c); }

  const ConnectionPoolOptions options_;
  std::vector<Idle> idle_;  // oldest first
};

}  // namespace llmprobe::net
