// A scriptable misbehaving HTTP server on 127.0.0.1 for fault tests: raw sockets, one thread
// per connection. Each connection reads a request (head plus Content-Length body), then plays
// a FaultScript: bytes to send, pauses, bytes trickled one at a time, a stall, a reset (RST via
// SO_LINGER 0) or a close. With a certificate it speaks TLS (blocking OpenSSL on the accepted
// socket), for the certificate faults.
// Everything lives in llmprobe::testing; thread-safe unless stated otherwise.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/Clock.h"
#include "common/Status.h"

namespace llmprobe::testing {

// What the server does with each request, step by step. When the steps run out without
// Close, Reset or Stall, the connection waits for the next request and plays the script again
// (keep-alive). Building a script is not thread-safe; a started server only reads it.
class FaultScript {
 public:
  struct Step {
    enum class Kind { kSend, kSleep, kTrickle, kStall, kReset, kClose };
    Kind kind;
    std::string bytes;  // kSend, kTrickle
    int64_t nanos = 0;  // kSleep: pause; kTrickle: pause after each byte
  };

  FaultScript& Send(std::string bytes);
  FaultScript& Sleep(int64_t nanos);
  // Sends `bytes` one byte at a time, pausing `gap_nanos` after each.
  FaultScript& Trickle(std::string bytes, int64_t gap_nanos);
  // Sends nothing more; the connection stays open until the client closes it (or Stop).
  FaultScript& Stall();
  // Aborts the connection with a TCP RST (SO_LINGER 0), no TLS close_notify.
  FaultScript& Reset();
  // Closes the connection (FIN; TLS: after close_notify).
  FaultScript& Close();

  const std::vector<Step>& steps() const { return steps_; }

  // Response pieces.
  // "HTTP/1.1 <status> <reason>\r\n" + each header line + "\r\n".
  static std::string Head(int status, const std::vector<std::string>& headers = {});
  // A chunked text/event-stream head with status 200.
  static std::string SseHead();
  // One HTTP chunk carrying `data`, and the last chunk ending the body.
  static std::string Chunk(std::string_view data);
  static std::string LastChunk() { return "0\r\n\r\n"; }
  // An SSE event `data: <data>\n\n`.
  static std::string Event(std::string_view data);
  // An OpenAI chat chunk with delta content `text` (inserted as is: no JSON escaping).
  static std::string TokenEvent(std::string_view text);
  // A chat chunk with finish_reason "stop", then `data: [DONE]`.
  static std::string EndEvents();
  // A complete non-streamed response with a Content-Length body.
  static std::string Response(int status, std::string_view body,
                              const std::vector<std::string>& headers = {});

 private:
  std::vector<Step> steps_;
};

struct FaultServerOptions {
  std::string cert_file;  // PEM certificate chain; with key_file the server speaks TLS
  std::string key_file;
};

class FaultServer {
 public:
  explicit FaultServer(FaultScript script, FaultServerOptions options = {});
  ~FaultServer();  // Stop()
  FaultServer(const FaultServer&) = delete;
  FaultServer& operator=(const FaultServer&) = delete;

  // Binds 127.0.0.1 on a free port and starts accepting.
  Status Start();
  // Stops accepting, interrupts every connection (pauses, stalls, blocked writes) and joins
  // the threads. Idempotent.
  void Stop();
  int port() const { return port_; }

  // Requests read completely so far, and the steady-clock time at which each was.
  int64_t requests() const;
  std::vector<MonoNanos> request_times() const;
  int64_t connections() const { return connections_.load(); }

 private:
  class Conn;
  void AcceptLoop();
  void Serve(int fd);
  // Waits up to `nanos`; false if the server is stopping.
  bool Pause(int64_t nanos);

  const FaultScript script_;
  const FaultServerOptions options_;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*, when TLS
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> connections_{0};
  std::thread acceptor_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::vector<std::thread> threads_;
  std::set<int> open_fds_;  // connections in progress, shut down by Stop
  std::vector<MonoNanos> request_times_;
};

}  // namespace llmprobe::testing
