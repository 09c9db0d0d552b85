// How a request ended: `success` or one bounded error class. Each value is one `outcome` label
// value of llmprobe_requests_total, so the set is closed; add to it deliberately.
#pragma once

#include <array>
#include <string_view>

namespace llmprobe {

enum class Outcome {
  kSuccess,               // stream ended normally with at least one token
  kDnsError,              // host name did not resolve
  kConnectRefused,        // TCP connection refused
  kConnectError,          // other connect failure
  kConnectTimeout,        // connect / TLS handshake exceeded timeouts.connect
  kTlsError,              // TLS handshake or certificate verification failed
  kWriteError,            // sending the request failed
  kReadError,             // connection reset or read error mid-response
  kHttpAuthError,         // HTTP 401 / 403
  kHttpNotFound,          // HTTP 404
  kHttpRateLimited,       // HTTP 429
  kHttpClientError,       // other HTTP 4xx (and unexpected 1xx/3xx)
  kHttpServerError,       // HTTP 5xx
  kTimeoutFirstToken,     // no token within timeouts.first_token
  kTimeoutBetweenTokens,  // gap between tokens exceeded timeouts.between_tokens
  kTimeoutTotal,          // whole request exceeded timeouts.total
  kProtocolError,         // malformed stream: bad JSON, overlong line, unexpected shape
  kServerErrorEvent,      // the server sent an error object inside the stream
  kStreamIncomplete,      // body ended without an end marker or finish reason
  kEmptyResponse,         // stream ended normally but carried no token
  kCanceled,              // canceled by shutdown
};

inline constexpr std::array<Outcome, 21> kAllOutcomes = {
    Outcome::kSuccess,          Outcome::kDnsError,          Outcome::kConnectRefused,
    Outcome::kConnectError,     Outcome::kConnectTimeout,    Outcome::kTlsError,
    Outcome::kWriteError,       Outcome::kReadError,         Outcome::kHttpAuthError,
    Outcome::kHttpNotFound,     Outcome::kHttpRateLimited,   Outcome::kHttpClientError,
    Outcome::kHttpServerError,  Outcome::kTimeoutFirstToken, Outcome::kTimeoutBetweenTokens,
    Outcome::kTimeoutTotal,     Outcome::kProtocolError,     Outcome::kServerErrorEvent,
    Outcome::kStreamIncomplete, Outcome::kEmptyResponse,     Outcome::kCanceled,
};

// The label value, e.g. "success", "connect_refused", "http_server_error".
std::string_view OutcomeName(Outcome o);

// Outcome for a non-2xx HTTP status.
Outcome OutcomeForHttpStatus(int status);

}  // namespace llmprobe
