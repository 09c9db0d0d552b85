// Host name resolution off the event loops: getaddrinfo blocks, so it runs on a small pool of
// resolver threads; answers are cached for a while and concurrent lookups of one name share
// one getaddrinfo call. Numeric addresses never leave the caller's thread.
//
// Thread-safe. Callbacks run on a resolver thread (never under the caller's locks); once the
// destructor has started, no further callback runs. A getaddrinfo call in progress cannot be
// interrupted: the destructor does not wait for it (the thread exits when it returns).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace llmprobe::net {

// One resolved TCP address (IPv4 or IPv6) with its port.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  std::string ToString() const;  // "1.2.3.4:443", "[::1]:8000"
};

// Parses a numeric IPv4/IPv6 host (no brackets) into `out`. False for names.
bool ParseNumericAddress(const std::string& host, int port, SocketAddress* out);

struct ResolverOptions {
  int threads = 2;                                // concurrent getaddrinfo calls
  int64_t cache_ttl_ns = 30LL * 1'000'000'000;    // successful answers are reused this long
  int64_t negative_ttl_ns = 1LL * 1'000'000'000;  // failures too (spares a failing DNS)
};

class Resolver {
 public:
  // `error` is empty on success (then `addresses` is non-empty), else a short reason.
  using Callback =
      std::function<void(const std::vector<SocketAddress>& addresses, const std::string& error)>;

  explicit Resolver(ResolverOptions options = {});
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Answers numeric hosts and fresh cache entries at once: returns true and fills `addresses`
  // and `error` (a cached failure has an empty `addresses`). False = call Resolve().
  bool TryResolveNow(const std::string& host, int port, std::vector<SocketAddress>* addresses,
                     std::string* error);
  // Resolves `host` for TCP and calls `done` exactly once on a resolver thread, unless the
  // resolver is destroyed first.
  void Resolve(const std::string& host, int port, Callback done);

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the resolver threads, which may outlive *this
};

}  // namespace llmprobe::net
