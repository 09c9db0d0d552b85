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
// and answers anything else with 404 and an OpenAI-style error object. A bad request to a
// completion route gets 400 with the error in that route's dialect (MockReplies.h). No route
// checks credentials (Authorization, x-api-key, api-key are ignored). /mock/config is an
// unauthenticated admin endpoint: the mock is a test tool, do not expose it. The response format
// is described in MockStream.h and MockEncoder.h, request parsing and the prompt-token rule (the
// number of whitespace-separated words of the prompt) in MockRequest.h.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/Clock.h"
#include "common/HttplibServer.h"
#include "common/Status.h"
#include "mock/BatchScheduler.h"
#include "mock/MockOptions.h"
#include "mock/MockRequest.h"  // MockCountPromptTokens

namespace httplib {
class DataSink;
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace llmprobe {

class MockStream;
struct MockStreamEvent;

// Start/Stop from one thread; the request handlers run on the server's own threads (up to
// options.max_connections connections are served at once, one thread each, created on demand).
class MockServer {
 public:
  explicit MockServer(MockOptions options);
  ~MockServer();  // stops the server
  MockServer(const MockServer&) = delete;
  MockServer& operator=(const MockServer&) = delete;

  // Binds host:port (port 0 = a free port) and starts serving on a background thread. Returns
  // once the server accepts connections, or an error naming host:port and the reason.
  Status Start(const std::string& host, int port);
  // The bound port (valid after a successful Start).
  int port() const { return port_; }
  // Stops accepting, ends streams in progress (their connections are closed without the rest
  // of the stream), closes idle keep-alive connections, joins the threads. Idempotent.
  void Stop();

  // Requests answered so far (any endpoint, errors included), counted once the response has
  // been written completely (a stream: after `[DONE]`). Thread-safe.
  int64_t requests_served() const { return requests_served_.load(); }

  // The current options: those given to the constructor with the changes made through
  // POST /mock/config. Thread-safe.
  MockOptions options() const;
  // Requests admitted by the batching model and not finished, and requests waiting for
  // admission. Thread-safe.
  int active_requests() const;
  int queued_requests() const;

 private:
  // Called with each event at its due time; returns false to end the response (client gone).
  // The one place where every send passes: a send-time recorder would hook in here.
  using EventWriter = std::function<bool(const MockStreamEvent&)>;

  void HandleCompletion(MockEndpoint endpoint, const httplib::Request& req, httplib::Response& res);
  void HandleSetConfig(const httplib::Request& req, httplib::Response& res);
  // Plays one request through the timing model (MockOptions.h): waits for admission before the
  // first token chunk, hands each event to `write` at its due time and leaves the batch right
  // after the last token chunk. `options` is the request's snapshot, t0 its arrival. Returns
  // false if the response was cut short (Stop() or `write` failed).
  bool Play(MockStream& stream, const MockOptions& options, MonoNanos t0, const EventWriter& write);
  // Sleeps until `when` (steady clock); returns false early if Stop() was called.
  bool WaitUntil(MonoNanos when);

  mutable std::mutex config_mu_;
  MockOptions options_;   // guarded by config_mu_
  BatchScheduler batch_;  // shut down by Stop, reopened by Start
  std::unique_ptr<HttpServerRunner> runner_;
  int port_ = 0;
  std::atomic<int64_t> requests_served_{0};
  std::atomic<int64_t> next_id_{0};

  std::mutex stop_mu_;  // guards stopping_ transitions for stop_cv_
  std::condition_variable stop_cv_;
  std::atomic<bool> stopping_{false};
};

}  // namespace llmprobe
