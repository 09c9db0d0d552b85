#include "net/Resolver.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "net/EventLoop.h"

namespace llmprobe::net {
namespace {

void SetPort(SocketAddress* a, int port) {
  if (a->storage.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&a->storage)->sin_port = htons(static_cast<uint16_t>(port));
  } else if (a->storage.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&a->storage)->sin6_port = htons(static_cast<uint16_t>(port));
  }
}

std::vector<SocketAddress> WithPort(std::vector<SocketAddress> addresses, int port) {
  for (SocketAddress& a : addresses) SetPort(&a, port);
  return addresses;
}

}  // namespace

std::string SocketAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (storage.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (storage.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "?";
}

bool ParseNumericAddress(const std::string& host, int port, SocketAddress* out) {
  *out = SocketAddress{};
  auto* in = reinterpret_cast<sockaddr_in*>(&out->storage);
  if (inet_pton(AF_INET, host.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    out->length = sizeof(sockaddr_in);
    SetPort(out, port);
    return true;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&out->storage);
  if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    out->length = sizeof(sockaddr_in6);
    SetPort(out, port);
    return true;
  }
  return false;
}

struct Resolver::State {
  struct Entry {
    std::vector<SocketAddress> addresses;  // port 0
    std::string error;
    int64_t expires_ns = 0;
  };
  struct Waiter {
    int port;
    Callback done;
  };

  explicit State(ResolverOptions o) : options(o) {}

  const ResolverOptions options;
  std::mutex mu;  // guards everything below except callback_mu
  std::condition_variable cv;
  bool stopping = false;
  std::deque<std::string> queue;                                  // hosts to look up
  std::unordered_map<std::string, std::vector<Waiter>> inflight;  // host -> waiters
  std::unordered_map<std::string, Entry> cache;

  // Held while callbacks run, so that ~Resolver can wait for them and stop further ones.
  std::mutex callback_mu;
  bool callbacks_stopped = false;  // guarded by callback_mu

  static Entry Lookup(const std::string& host) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* res = nullptr;
    Entry e;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0) {
      e.error = std::string("cannot resolve ") + host + ": " + gai_strerror(rc);
      return e;
    }
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
      SocketAddress a;
      std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
      a.length = static_cast<socklen_t>(ai->ai_addrlen);
      e.addresses.push_back(a);
    }
    freeaddrinfo(res);
    if (e.addresses.empty()) e.error = "no IPv4/IPv6 address for " + host;
    return e;
  }

  void Work() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      cv.wait(lock, [this] { return stopping || !queue.empty(); });
      if (stopping) return;
      std::string host = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      Entry e = Lookup(host);
      e.expires_ns = EventLoop::NowNanos() +
                     (e.error.empty() ? options.cache_ttl_ns : options.negative_ttl_ns);
      lock.lock();
      std::vector<Waiter> waiters = std::move(inflight[host]);
      inflight.erase(host);
      cache[host] = e;
      lock.unlock();
      {
        std::lock_guard<std::mutex> cb(callback_mu);
        if (!callbacks_stopped) {
          for (Waiter& w : waiters) w.done(WithPort(e.addresses, w.port), e.error);
        }
      }
      lock.lock();
    }
  }
};

Resolver::Resolver(ResolverOptions options) : state_(std::make_shared<State>(options)) {
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    std::thread([s = state_] { s->Work(); }).detach();
  }
}

Resolver::~Resolver() {
  {
    std::lock_guard<std::mutex> cb(state_->callback_mu);
    state_->callbacks_stopped = true;
  }
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stopping = true;
  }
  state_->cv.notify_all();
}

bool Resolver::TryResolveNow(const std::string& host, int port,
                             std::vector<SocketAddress>* addresses, std::string* error) {
  error->clear();
  addresses->clear();
  SocketAddress numeric;
  if (ParseNumericAddress(host, port, &numeric)) {
    addresses->push_back(numeric);
    return true;
  }
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->cache.find(host);
  if (it == state_->cache.end() || it->second.expires_ns <= EventLoop::NowNanos()) return false;
  *addresses = WithPort(it->second.addresses, port);
  *error = it->second.error;
  return true;
}

void Resolver::Resolve(const std::string& host, int port, Callback done) {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto [it, inserted] = state_->inflight.try_emplace(host);
  it->second.push_back(State::Waiter{port, std::move(done)});
  if (inserted) {
    state_->queue.push_back(host);
    state_->cv.notify_one();
  }
}

}  // namespace llmprobe::net
