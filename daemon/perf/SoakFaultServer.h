// The soak's misbehaving OpenAI-compatible server (openai-chat, streamed): raw sockets on
// 127.0.0.1, one thread per connection, keep-alive. Each fully read request gets the next
// answer of a fixed rotation that alternates a normal stream with one fault at a time:
//   ok, reset, ok, http_500, ok, http_429, ok, malformed_json, ok, stall, ok, no_done
// (ok between faults keeps the probe's circuit breaker from backing off for minutes). Each
// kind maps to the one outcome the probe must record for it (ExpectedOutcome), and the server
// tallies the kinds it handed out when the request has been read, before answering, so a
// finished request is always tallied before the probe can count it.
// Tests have a scriptable FaultServer in tests/support; this one is for the soak program
// (daemon/ must not depend on tests/) and only knows this rotation.
// Start/Stop from one thread; the tallies may be read from any thread.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/Status.h"
#include "stats/Outcome.h"

namespace llmprobe::perf {

enum class FaultKind {
  kOk,             // a normal stream: role chunk, tokens, finish_reason "stop", usage, [DONE]
  kReset,          // two tokens, then a TCP RST (SO_LINGER 0)
  kHttp500,        // HTTP 500 with a JSON error body
  kHttp429,        // HTTP 429 with Retry-After: 1
  kMalformedJson,  // one token, then an event whose JSON is cut short
  kStall,          // headers and the role chunk, then nothing until the client gives up
  kNoDone,         // two tokens, then the end of the body: no finish_reason, no [DONE]
};
inline constexpr size_t kFaultKinds = 7;
inline constexpr std::array<FaultKind, kFaultKinds> kAllFaultKinds = {
    FaultKind::kOk,      FaultKind::kReset,         FaultKind::kHttp500,
    FaultKind::kHttp429, FaultKind::kMalformedJson, FaultKind::kStall,
    FaultKind::kNoDone};

// "ok", "reset", "http_500", "http_429", "malformed_json", "stall", "no_done".
std::string_view FaultKindName(FaultKind kind);
// The outcome the probe must record: success, read_error, http_server_error,
// http_rate_limited, protocol_error, timeout_first_token (the probe's first_token timeout must
// be shorter than stall_cap_ns), stream_incomplete.
Outcome ExpectedOutcome(FaultKind kind);

struct SoakFaultServerOptions {
  int tokens = 8;                         // tokens of an ok stream
  int64_t token_gap_ns = 10'000'000;      // between tokens
  int64_t stall_cap_ns = 60'000'000'000;  // a stall ends after this even if nobody left
};

class SoakFaultServer {
 public:
  explicit SoakFaultServer(SoakFaultServerOptions options = {});
  ~SoakFaultServer();  // Stop()
  SoakFaultServer(const SoakFaultServer&) = delete;
  SoakFaultServer& operator=(const SoakFaultServer&) = delete;

  // Binds 127.0.0.1 on a free port and starts accepting.
  Status Start();
  // Stops accepting, interrupts every connection and joins the threads. Idempotent.
  void Stop();
  int port() const { return port_; }

  // Requests handed each kind so far, indexed like kAllFaultKinds. Thread-safe.
  std::array<int64_t, kFaultKinds> Served() const;
  int64_t connections() const { return connections_.load(); }

 private:
  void AcceptLoop();
  void Serve(int fd, uint64_t id);
  // Answers one request with `kind`; false when the connection is over.
  bool Play(int fd, FaultKind kind);
  // Sends all of `bytes`; false if the peer is gone.
  bool SendAll(int fd, std::string_view bytes);
  // Waits up to `nanos`; false if the server is stopping.
  bool Pause(int64_t nanos);
  // Joins the threads of connections that have ended.
  void ReapFinished();

  const SoakFaultServerOptions options_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> connections_{0};
  std::atomic<uint64_t> next_request_{0};  // position in the rotation
  std::array<std::atomic<int64_t>, kFaultKinds> served_{};
  std::thread acceptor_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::map<uint64_t, std::thread> threads_;  // by connection id
  std::vector<uint64_t> finished_;           // connections whose thread has returned
  std::set<int> open_fds_;                   // shut down by Stop
};

}  // namespace llmprobe::perf
