#include "net/EpollEngine.h"

#include <unistd.h>

#include <mutex>
#include <string>
#include <thread>

namespace llmprobe::net {

EpollEngine::EpollEngine(EpollEngineOptions options) {
  const long online = sysconf(_SC_NPROCESSORS_ONLN);  // NOLINT(google-runtime-int)
  const int cpus = online > 0 ? static_cast<int>(online) : 1;
  const int n = options.loops > 0 ? options.loops : cpus;
  for (int i = 0; i < n; ++i) {
    EventLoop::Options lo;
    lo.name = "llmprobe-net" + std::to_string(i);
    lo.cpu = options.pin_to_cpus ? i % cpus : -1;
    loops_.push_back(std::make_unique<EventLoop>(lo));
  }
  resolver_ = std::make_unique<Resolver>(options.resolver);
}

EpollEngine::~EpollEngine() {
  resolver_.reset();  // no resolver callback posts to a loop after this
  loops_.clear();
}

std::shared_ptr<EpollEngine> EpollEngine::Shared() {
  static std::mutex mu;
  static std::weak_ptr<EpollEngine> shared;
  std::lock_guard<std::mutex> lock(mu);
  std::shared_ptr<EpollEngine> engine = shared.lock();
  if (!engine) {
    engine = std::make_shared<EpollEngine>();
    shared = engine;
  }
  return engine;
}

size_t EpollEngine::CurrentLoop() const {
  if (EventLoop* current = EventLoop::Current()) {
    for (size_t i = 0; i < loops_.size(); ++i) {
      if (loops_[i].get() == current) return i;
    }
  }
  return loops_.size();
}

size_t EpollEngine::PickLoop() {
  const size_t current = CurrentLoop();
  if (current < loops_.size()) return current;
  return next_loop_.fetch_add(1, std::memory_order_relaxed) % loops_.size();
}

void EpollEngine::CountTlsHandshake(bool resumed) {
  tls_handshakes_.fetch_add(1, std::memory_order_relaxed);
  if (resumed) tls_resumed_.fetch_add(1, std::memory_order_relaxed);
}

void EpollEngine::CountRequest(bool reused) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  if (reused) reused_.fetch_add(1, std::memory_order_relaxed);
}

EpollEngineStats EpollEngine::stats() const {
  EpollEngineStats s;
  s.connects = connects_.load(std::memory_order_relaxed);
  s.tls_handshakes = tls_handshakes_.load(std::memory_order_relaxed);
  s.tls_resumed = tls_resumed_.load(std::memory_order_relaxed);
  s.requests = requests_.load(std::memory_order_relaxed);
  s.reused = reused_.load(std::memory_order_relaxed);
  s.retries = retries_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace llmprobe::net
