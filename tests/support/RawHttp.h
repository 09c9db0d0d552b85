// A minimal HTTP/1.1 client over a blocking POSIX socket for timing tests: the request is written
// by hand, every recv() is timestamped (steady clock) right after it returns, and chunked bodies
// are de-chunked with each chunk stamped with the time of the recv that completed it. No TLS, no
// redirects, no compression. Not thread-safe; use one client per thread.
// Everything lives in llmprobe::rawhttp so names cannot clash with other test helpers.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/Clock.h"
#include "common/Status.h"

namespace llmprobe::rawhttp {

// A TCP port on 127.0.0.1 that was free when this returned (bound, then released).
int FreePort();

struct Response {
  int status = 0;
  std::string head;         // status line and headers, without the blank line
  std::string body;         // de-chunked
  MonoNanos t_sent = 0;     // right after the request was written
  MonoNanos t_headers = 0;  // recv that completed the headers
  // (end offset in body, time): body bytes before `end` had arrived by `time`.
  std::vector<std::pair<size_t, MonoNanos>> arrivals;

  // Value of a header (case-insensitive name), "" if absent.
  std::string Header(const std::string& name) const;
  // Arrival time of the body byte at `offset`.
  MonoNanos ArrivalOf(size_t offset) const;
};

// One `data:` event of a text/event-stream body, stamped with the arrival of its last byte.
struct SseEvent {
  MonoNanos at = 0;
  std::string data;  // payload of the data line(s), joined with '\n'
};
std::vector<SseEvent> ParseSse(const Response& response);

class Client {
 public:
  Client() = default;
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects to 127.0.0.1:port with TCP_NODELAY and a receive timeout.
  Status Connect(int port, int timeout_ms = 10000);
  // Writes one request (Host, Content-Length and, if body is set, a JSON Content-Type added;
  // extra_headers are full "Name: value" lines) and reads the complete response. The connection
  // stays open unless the server closes it.
  Result<Response> Send(const std::string& method, const std::string& path,
                        const std::string& body = "",
                        const std::vector<std::string>& extra_headers = {});
  void Close();
  bool connected() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
  std::string pending_;  // bytes read past the end of the previous response
};

// Connect + Send + Close in one call.
Result<Response> Request(int port, const std::string& method, const std::string& path,
                         const std::string& body = "",
                         const std::vector<std::string>& extra_headers = {});

}  // namespace llmprobe::rawhttp
