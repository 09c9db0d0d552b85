// A simulated OpenAI-compatible LLM server with a deterministic, absolute send schedule:
// token k (0-based) of a streamed response is written at t0 + ttft + k * tpot, where t0 is the
// moment the request was fully received. Serves
//   POST /v1/chat/completions, POST /v1/completions   (stream true or false)
//   GET  /v1/models
// Prompt tokens are counted by one documented rule (see MockServer.cpp / README): the number of
// whitespace-separated words in the prompt text (chat: all message contents).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/Status.h"
#include "mock/MockOptions.h"

namespace httplib {
class Server;
}

namespace llmprobe {

// Start/Stop from one thread; the request handlers run on the server's own threads.
class MockServer {
 public:
  explicit MockServer(MockOptions options);
  ~MockServer();  // stops the server
  MockServer(const MockServer&) = delete;
  MockServer& operator=(const MockServer&) = delete;

  // Binds host:port (port 0 = a free port) and starts serving on a background thread.
  Status Start(const std::string& host, int port);
  // The bound port (valid after a successful Start).
  int port() const { return port_; }
  // Stops accepting, ends streams in progress, joins the thread. Idempotent.
  void Stop();

  // Requests answered so far (any endpoint). Thread-safe.
  int64_t requests_served() const { return requests_served_.load(); }

 private:
  MockOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> requests_served_{0};
};

// Prompt token count under the mock's rule: whitespace-separated words.
int64_t MockCountPromptTokens(std::string_view text);

}  // namespace llmprobe
