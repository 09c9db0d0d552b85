// The event-driven Transport (the daemon's default): requests run on the event loops of an
// EpollEngine (one per core, shared by every target), over non-blocking sockets with
// non-blocking OpenSSL for https, an incremental HTTP/1.1 parser, and a keep-alive connection
// pool per endpoint and loop. One request stays on one loop from OnStart to its final callback,
// so its callbacks never overlap; they run on that loop's thread.
//
// Timing: OnStart is stamped when the request begins on its loop (before connection setup, if
// any); every read is stamped with the Clock right after read()/SSL_read() returned, and each
// de-chunked body piece of that read is handed to OnBody with that time.
// Timeouts: connection setup (DNS + TCP + TLS) is bounded by Endpoint::connect_timeout_ns; the
// handler's DeadlineNanos() is watched by a per-request timer (re-armed when the deadline moves
// earlier after a callback, re-read when it fires), with ~1 ms granularity.
// A request that fails on a reused keep-alive connection before any response byte arrived
// (the server closed it meanwhile) is retried once on a new connection.
//
// Thread-safe: Submit and CancelAll from any thread, including from inside callbacks. The
// destructor cancels what is in flight and waits for the final callbacks; do not destroy a
// transport on one of its engine's loop threads.
#pragma once

#include <cstddef>
#include <memory>

#include "common/Clock.h"
#include "net/ConnectionPool.h"
#include "net/EpollEngine.h"
#include "transport/Transport.h"

namespace llmprobe {

struct EpollTransportOptions {
  std::shared_ptr<net::EpollEngine> engine;  // null = net::EpollEngine::Shared()
  net::ConnectionPoolOptions pool;           // per loop
  size_t max_response_head_bytes = 64 * 1024;
};

// Creates the transport for one endpoint. `clock` must outlive the transport. A TLS
// configuration that cannot be loaded (missing CA file, ...) fails every request with kTls.
std::unique_ptr<Transport> MakeEpollTransport(const Endpoint& endpoint, const Clock& clock,
                                              EpollTransportOptions options = {});
// The same with default options on `engine`.
std::unique_ptr<Transport> MakeEpollTransport(const Endpoint& endpoint, const Clock& clock,
                                              std::shared_ptr<net::EpollEngine> engine);

}  // namespace llmprobe
