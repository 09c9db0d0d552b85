// A simulated OpenAI-compatible LLM server with a deterministic, absolute send schedule:
// token k (0-based) of a streamed response is written at t0 + ttft + k * tpot, where t0 is the
// moment the request was fully received (steady clock; each write waits for its absolute time,
// so there is no drift). Serves
//   POST /v1/chat/completions, POST /v1/completions   (stream true or false)
//   GET  /v1/models, GET /health
// and answers anything else with 404 and an OpenAI-style error object. The response format and
// schedule are described in MockStream.h, request parsing and the prompt-token rule (the number
// of whitespace-separated words of the prompt; chat: of all message contents) in MockRequest.h.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/HttplibServer.h"
#include "common/Status.h"
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

 private:
  using TimePoint = std::chrono::steady_clock::time_point;

  void HandleCompletion(MockEndpoint endpoint, const httplib::Request& req, httplib::Response& res);
  // Writes the events of a streamed response, each at t0 + its due time. Returns false if the
  // stream was cut short (Stop() or a write error).
  bool WriteStream(MockStream& stream, TimePoint t0, httplib::DataSink& sink);
  // Sleeps until `when`; returns false early if Stop() was called.
  bool WaitUntil(TimePoint when);

  MockOptions options_;
  std::unique_ptr<HttpServerRunner> runner_;
  int port_ = 0;
  std::atomic<int64_t> requests_served_{0};
  std::atomic<int64_t> next_id_{0};

  std::mutex stop_mu_;  // guards stopping_ transitions for stop_cv_
  std::condition_variable stop_cv_;
  std::atomic<bool> stopping_{false};
};

}  // namespace llmprobe
