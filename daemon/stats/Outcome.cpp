#include "stats/Outcome.h"

namespace llmprobe {

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kSuccess:
      return "success";
    case Outcome::kDnsError:
      return "dns_error";
    case Outcome::kConnectRefused:
      return "connect_refused";
    case Outcome::kConnectError:
      return "connect_error";
    case Outcome::kConnectTimeout:
      return "connect_timeout";
    case Outcome::kTlsError:
      return "tls_error";
    case Outcome::kWriteError:
      return "write_error";
    case Outcome::kReadError:
      return "read_error";
    case Outcome::kHttpAuthError:
      return "http_auth_error";
    case Outcome::kHttpNotFound:
      return "http_not_found";
    case Outcome::kHttpRateLimited:
      return "http_rate_limited";
    case Outcome::kHttpClientError:
      return "http_client_error";
    case Outcome::kHttpServerError:
      return "http_server_error";
    case Outcome::kTimeoutFirstToken:
      return "timeout_first_token";
    case Outcome::kTimeoutBetweenTokens:
      return "timeout_between_tokens";
    case Outcome::kTimeoutTotal:
      return "timeout_total";
    case Outcome::kProtocolError:
      return "protocol_error";
    case Outcome::kServerErrorEvent:
      return "server_error_event";
    case Outcome::kStreamIncomplete:
      return "stream_incomplete";
    case Outcome::kEmptyResponse:
      return "empty_response";
    case Outcome::kCanceled:
      return "canceled";
  }
  return "unknown";
}

Outcome OutcomeForHttpStatus(int status) {
  if (status == 401 || status == 403) return Outcome::kHttpAuthError;
  if (status == 404) return Outcome::kHttpNotFound;
  if (status == 429) return Outcome::kHttpRateLimited;
  if (status >= 500) return Outcome::kHttpServerError;
  return Outcome::kHttpClientError;
}

}  // namespace llmprobe
