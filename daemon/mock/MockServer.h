// A simulated LLM server with a deterministic, absolute send schedule and an optional batching
// model (MockOptions.h): with the default options token k (0-based) of a streamed response is
// written at t0 + ttft + k * tpot, where t0 is the moment the request was fully received (steady
// clock; each write waits for its absolute time, so there is no drift). Speaks every dialect the
// probe does, one route each, all on the same schedule:
//   POST /v1/chat/completions   openai-chat          (stream true or false)
//   POST /v1/completions        openai-completions   (stream true or false)
//   POST /v1/responses          openai-responses     (stream true or false)
//   POST /v1/messages           anthropic-messages   (stream true or false)
//   POST /generate_stream       tgi                  (always streamed)
//   POST /api/chat              ollama               (stream true, the default, or false)
//   GET  /v1/models, GET /health
//   GET  /mock/config    the timing options as JSON (MockAdmin.h)
//   POST /mock/config    changes any of them for requests arriving afterwards (requests already
//                        received keep theirs; a new max_batch applies to admissions from then
//                        on); answers the full config, or 400 on a bad body
//   GET  /mock/stats     how late the mock's own token writes were (MockSendStats.h)
//   POST /mock/stats/reset   starts those figures afresh
// and answers anything else with 404 and an OpenAI-style error object. A bad request to a
// completion route gets 400 with the error in that route's dialect (MockReplies.h). No route
// checks credentials (Authorization, x-api-key, api-key are ignored). /mock/config is an
// unauthenticated admin endpoint: the mock is a test tool, do not expose it. The response format
// is described in MockStream.h and MockEncoder.h, request parsing and the prompt-token rule (the
// number of whitespace-separated words of the prompt) in MockRequest.h.
//
// Serving: event-driven, options.threads event loops (net/EventLoop.h), each with its share of
// the connections; one loop accepts and deals new connections round-robin. Each write is timed
// by a timer on the connection's loop, so thousands of streams cost no threads. HTTP/1.1 with
// keep-alive (30 s idle timeout) and pipelining, Content-Length request bodies up to 1 MiB
// (413 past it), "Expect: 100-continue" answered; plain TCP or, with options.tls_cert_file and
// tls_key_file, TLS.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/Clock.h"
#include "common/Status.h"
#include "mock/BatchScheduler.h"
#include "mock/MockOptions.h"
#include "mock/MockRequest.h"  // MockCountPromptTokens
#include "mock/MockSendStats.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace llmprobe {

namespace net {
class Acceptor;
class EventLoop;
struct HttpRequest;
struct SocketAddress;
}  // namespace net

class MockSession;
struct MockReply;

// Start/Stop from one thread (not from a loop thread); everything else is thread-safe.
class MockServer {
 public:
  explicit MockServer(MockOptions options);
  ~MockServer();  // stops the server
  MockServer(const MockServer&) = delete;
  MockServer& operator=(const MockServer&) = delete;

  // Binds host:port (port 0 = a free port), loads the TLS certificate if configured, and starts
  // the event loops. Returns once the server accepts connections, or an error naming host:port
  // (or the certificate file) and the reason.
  Status Start(const std::string& host, int port);
  // The bound port (valid after a successful Start).
  int port() const { return port_; }
  // Stops accepting, ends streams in progress (their connections are closed without the rest
  // of the stream), closes idle keep-alive connections, joins the threads. Idempotent.
  void Stop();

  // Requests answered so far (any endpoint, errors included), counted when the last byte of the
  // response is handed to the socket (a stream: with `[DONE]`). Thread-safe.
  int64_t requests_served() const { return requests_served_.load(); }

  // The current options: those given to the constructor with the changes made through
  // POST /mock/config. Thread-safe.
  MockOptions options() const;
  // Requests admitted by the batching model and not finished, and requests waiting for
  // admission. Thread-safe.
  int active_requests() const;
  int queued_requests() const;
  // Connections open now. Thread-safe.
  int open_connections() const { return open_connections_.load(); }

 private:
  friend class MockSession;

  // The reply to one complete request that arrived at t0 (MockSession plays it).
  MockReply Route(const net::HttpRequest& request, MonoNanos t0);
  MockReply Completion(MockEndpoint endpoint, const net::HttpRequest& request, MonoNanos t0);
  MockReply SetConfig(const net::HttpRequest& request);
  // An OpenAI-style error object ({"error": {...}}) with `status`; its type follows the status.
  static MockReply ErrorReply(int status, const std::string& message, const char* code = nullptr);
  // Takes an accepted socket on loop `index` (that loop's thread).
  void AddSession(size_t index, int fd, const net::SocketAddress& peer);
  // A session ended (its loop's thread): forgets it.
  void RemoveSession(size_t index, MockSession* session);

  mutable std::mutex config_mu_;
  MockOptions options_;   // guarded by config_mu_
  BatchScheduler batch_;  // shut down by Stop, reopened by Start
  MockSendStats send_stats_;
  std::shared_ptr<ssl_ctx_st> tls_;  // null = plain TCP
  std::vector<std::unique_ptr<net::EventLoop>> loops_;
  // Per loop, touched only on that loop's thread: the sessions it serves.
  std::vector<std::unordered_map<MockSession*, std::shared_ptr<MockSession>>> sessions_;
  std::unique_ptr<net::Acceptor> acceptor_;
  size_t next_loop_ = 0;  // acceptor's loop thread only
  int port_ = 0;
  std::atomic<int64_t> requests_served_{0};
  std::atomic<int64_t> next_id_{0};
  std::atomic<int> open_connections_{0};
  int max_connections_ = 0;  // fixed at Start
};

}  // namespace llmprobe
