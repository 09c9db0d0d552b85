// The event-driven network engine shared by every EpollTransport of a process: one EventLoop
// per core (each on its own thread) and the DNS resolver pool. Transports spread their requests
// over the loops; a request stays on its loop from start to end.
//
// Thread-safe. Transports hold the engine by shared_ptr, so it lives until the last one is
// gone; tests create their own engines, the daemon one for its lifetime, and Shared() is a
// process-wide engine created on first use.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "net/EventLoop.h"
#include "net/Resolver.h"

namespace llmprobe::net {

struct EpollEngineOptions {
  int loops = 0;             // event loop threads; 0 = one per online CPU
  bool pin_to_cpus = false;  // pin loop i to CPU i (mod CPU count)
  ResolverOptions resolver;
};

// Counters over the engine's lifetime, for tests and the benchmark. Monotonic, relaxed.
struct EpollEngineStats {
  int64_t connects = 0;        // TCP connects started
  int64_t tls_handshakes = 0;  // TLS handshakes completed
  int64_t tls_resumed = 0;     // ... of which resumed a session
  int64_t requests = 0;        // requests written
  int64_t reused = 0;          // ... of which on a kept-alive connection
  int64_t retries = 0;         // requests retried once on a fresh connection (stale keep-alive)
};

class EpollEngine {
 public:
  explicit EpollEngine(EpollEngineOptions options = {});
  // Stops the resolver callbacks, then the loops. Every transport must be gone (they keep the
  // engine alive, so this only runs after the last one).
  ~EpollEngine();
  EpollEngine(const EpollEngine&) = delete;
  EpollEngine& operator=(const EpollEngine&) = delete;

  // The process-wide engine with default options, created on first use.
  static std::shared_ptr<EpollEngine> Shared();

  size_t loop_count() const { return loops_.size(); }
  EventLoop& loop(size_t i) { return *loops_[i]; }
  // The index of the loop for a new request: the caller's own loop when called from one of
  // this engine's loop threads (keeps a request chain on one thread with its connections),
  // else round-robin.
  size_t PickLoop();
  // The index of the calling thread's loop, or loop_count() if it is not one of this engine's.
  size_t CurrentLoop() const;
  Resolver& resolver() { return *resolver_; }

  EpollEngineStats stats() const;
  // Counting hooks for transports.
  void CountConnect() { connects_.fetch_add(1, std::memory_order_relaxed); }
  void CountTlsHandshake(bool resumed);
  void CountRequest(bool reused);
  void CountRetry() { retries_.fetch_add(1, std::memory_order_relaxed); }

 private:
  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::unique_ptr<Resolver> resolver_;
  std::atomic<uint64_t> next_loop_{0};
  std::atomic<int64_t> connects_{0}, tls_handshakes_{0}, tls_resumed_{0}, requests_{0}, reused_{0},
      retries_{0};
};

}  // namespace llmprobe::net
