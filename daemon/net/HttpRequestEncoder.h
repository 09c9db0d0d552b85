// Serializes one HTTP/1.1 request: request line, Host, the caller's headers, Content-Length
// (unless given), a User-Agent (unless given), the body. Keep-alive is HTTP/1.1's default, so
// no Connection header is added.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/Status.h"

namespace llmprobe::net {

struct HttpRequestParts {
  std::string_view method;  // "POST"
  std::string_view target;  // path and query, "/v1/chat/completions"
  std::string_view host;    // Host header value, e.g. "api.example.com" or "[::1]:8000"
  const std::vector<std::pair<std::string, std::string>>* headers = nullptr;  // may be null
  std::string_view body;
  std::string_view user_agent;  // sent unless the headers carry one; empty = none
};

// The request bytes, or an error when a method, target or header would break the framing
// (CR, LF or NUL in it, or a header name that is not a token).
Result<std::string> EncodeHttpRequest(const HttpRequestParts& parts);

// The Host header value for a URL host and port: brackets for IPv6, the port unless it is the
// scheme's default.
std::string HostHeaderValue(const std::string& host, int port, bool https);

}  // namespace llmprobe::net
