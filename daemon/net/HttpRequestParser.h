// An incremental HTTP/1.x request parser for a server: request line, headers (names
// lower-cased), then a body framed by Content-Length. Bytes are buffered until a request is
// complete; bytes after it (a pipelined next request) stay buffered for the next one. Chunked
// request bodies are refused (501): the clients this serves (the probe, httplib, curl) send
// Content-Length.
//
// Not thread-safe; one parser per connection.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "net/HttpResponseParser.h"  // HttpHeaders

namespace llmprobe::net {

struct HttpRequest {
  std::string method;   // as sent ("GET", "POST")
  std::string target;   // the request target as sent ("/v1/models?x=1")
  std::string path;     // the target up to '?'
  HttpHeaders headers;  // names lower-cased, values trimmed, in order
  std::string body;
  bool http10 = false;     // an HTTP/1.0 request (its response must not be chunked)
  bool keep_alive = true;  // HTTP/1.1 without "Connection: close", or HTTP/1.0 with keep-alive
                           // (and without close: close wins)

  // The first header named `name` (lower case), or nullptr.
  const std::string* Header(std::string_view name) const;
};

struct HttpRequestLimits {
  size_t max_head_bytes = 16 * 1024;  // request line + headers, through the empty line
  size_t max_body_bytes = 1024 * 1024;
};

class HttpRequestParser {
 public:
  enum class State {
    kIncomplete,  // more bytes needed
    kComplete,    // request() holds a request; Next() moves on
    kError,       // malformed or over a limit: answer error_status() and close
  };

  explicit HttpRequestParser(HttpRequestLimits limits = {}) : limits_(limits) {}

  // Adds received bytes and parses as far as they go. While a request is complete, bytes after
  // it are kept for the next one up to max_head_bytes + max_body_bytes; past that Next() fails
  // with 400.
  State Feed(std::string_view bytes);
  State state() const { return state_; }
  // After the head of a request with "Expect: 100-continue" whose body has not arrived: true
  // once, so that the server sends "100 Continue".
  bool TakeExpectContinue();

  // kComplete only.
  const HttpRequest& request() const { return request_; }
  // Drops the complete request and parses the buffered bytes after it (a pipelined request).
  State Next();

  // kError only: 400, 413, 431, 501 or 505, and a short reason.
  int error_status() const { return error_status_; }
  const std::string& error() const { return error_; }

 private:
  State Parse();
  State Fail(int status, std::string reason);
  bool ParseHead(std::string_view head);

  const HttpRequestLimits limits_;
  std::string buffer_;
  size_t head_end_ = 0;  // bytes of the parsed head (0 = head not parsed yet)
  size_t body_length_ = 0;
  bool expect_continue_ = false;
  bool overflow_ = false;  // more pipelined bytes than one request may have
  HttpRequest request_;
  State state_ = State::kIncomplete;
  int error_status_ = 0;
  std::string error_;
};

}  // namespace llmprobe::net
