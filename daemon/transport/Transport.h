// The asynchronous transport boundary. The load scheduler submits a request with a handler and
// receives callbacks: start, headers, body bytes with their arrival time, then exactly one of
// complete / failure. The transport knows bytes and time, never dialects or JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/Clock.h"
#include "config/Config.h"
#include "protocol/Dialect.h"

namespace llmprobe {

// Why a request failed below HTTP. Bounded: each maps to one `outcome` label value.
enum class TransportError {
  kDns,             // host name did not resolve
  kConnectRefused,  // TCP RST on connect
  kConnect,         // other connect failure (unreachable, ...)
  kConnectTimeout,  // connect + TLS handshake exceeded timeouts.connect
  kTls,             // handshake or verification failed
  kWrite,           // sending the request failed
  kRead,            // connection reset / read error mid-response
  kDeadline,        // handler's DeadlineNanos() passed (first token / between tokens / total)
  kAborted,         // handler returned false from OnBody
  kCanceled,        // Transport::CancelAll (shutdown)
};

const char* TransportErrorName(TransportError e);

// Where requests go: one per target. Built from the target's config.
struct Endpoint {
  UrlParts url;
  TlsConfig tls;
  int64_t connect_timeout_ns = 10 * kNanosPerSecond;
};

// Callbacks for one request. Calls for one request never overlap and come from transport-owned
// threads; handlers must not block. Timestamps are taken right after the read that delivered the
// bytes, before any parsing.
class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  // Just before the request is written (connection setup, if any, comes after).
  virtual void OnStart(MonoNanos t_start) = 0;
  // Status line and headers received. Header names are lower-cased.
  virtual void OnHeaders(int status,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         MonoNanos t) = 0;
  // Body bytes (de-chunked) as they arrive. Return false to abort the request (kAborted).
  virtual bool OnBody(std::string_view bytes, MonoNanos t) = 0;
  // The response body ended normally.
  virtual void OnComplete(MonoNanos t) = 0;
  // The request failed; `detail` is a short human text without secrets.
  virtual void OnFailure(TransportError error, std::string_view detail, MonoNanos t) = 0;
  // Absolute monotonic deadline; when it passes the transport fails the request with kDeadline.
  // Called from any transport thread at any time: implementations must be thread-safe.
  virtual MonoNanos DeadlineNanos() const = 0;
};

// Thread-safe. Destroying a Transport cancels what is in flight and waits for the callbacks.
class Transport {
 public:
  virtual ~Transport() = default;
  // Starts a request. The handler is kept alive until its final callback returned.
  virtual void Submit(HttpRequestSpec request, std::shared_ptr<StreamHandler> handler) = 0;
  // Fails every in-flight and queued request with kCanceled; new submissions still work.
  virtual void CancelAll() = 0;
};

}  // namespace llmprobe
