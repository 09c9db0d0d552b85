// ParseTargetUrl (declared in ConfigLoader.h): a deliberately small URL splitter for the one
// shape a target URL may have. Anything outside it is refused with a reason rather than guessed.
#include <charconv>
#include <string>
#include <string_view>

#include "config/ConfigLoader.h"

namespace llmprobe {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

// Registered names: letters, digits, '-', '.', '_' (the last for docker-compose style hosts).
bool IsHostName(std::string_view host) {
  for (char c : host) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '-' && c != '.' && c != '_') return false;
  }
  return true;
}

bool IsIpv6Literal(std::string_view host) {
  if (host.find(':') == std::string_view::npos) return false;
  for (char c : host) {
    if (!IsHex(c) && c != ':' && c != '.') return false;
  }
  return true;
}

// The endpoint a base URL ending in /v1 is completed with; nullptr for the dialects whose
// servers have no /v1 base.
const char* DialectPath(ApiKind api) {
  switch (api) {
    case ApiKind::kOpenAiChat:
      return "/chat/completions";
    case ApiKind::kOpenAiCompletions:
      return "/completions";
    case ApiKind::kOpenAiResponses:
      return "/responses";
    case ApiKind::kAnthropicMessages:
      return "/messages";
    case ApiKind::kTgi:
    case ApiKind::kOllama:
      break;
  }
  return nullptr;
}

// An example of the full endpoint URL of the dialects that need one.
const char* FullUrlExample(ApiKind api) {
  return api == ApiKind::kTgi ? "http://host:8080/generate_stream" : "http://host:11434/api/chat";
}

}  // namespace

Result<UrlParts> ParseTargetUrl(std::string_view url, ApiKind api) {
  if (url.empty()) return Status::Error("URL is empty");
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return Status::Error("URL must not contain spaces or control characters");
    }
  }

  UrlParts parts;
  const size_t scheme_end = url.find("://");
  // Until the credentials check below has passed, messages must not quote the URL: it could
  // hold a password.
  const std::string_view scheme = url.substr(0, scheme_end);
  bool scheme_ok = scheme_end != std::string_view::npos && !scheme.empty();
  for (char c : scheme) scheme_ok = scheme_ok && IsAlpha(c);
  if (!scheme_ok) return Status::Error("URL must start with http:// or https://");
  parts.scheme = LowerCopy(scheme);
  if (parts.scheme != "http" && parts.scheme != "https") {
    return Status::Error("URL scheme \"" + std::string(scheme) +
                         "\" is not supported (use http or https)");
  }
  std::string_view rest = url.substr(scheme_end + 3);

  const size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  std::string_view path =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);

  // The URL is as written in the config and may be shown in logs and pages: credentials in it
  // would leak, so they are refused, and the message does not repeat them.
  if (authority.find('@') != std::string_view::npos) {
    return Status::Error(
        "URL must not contain credentials (user:password@); use auth.bearer_token_file or "
        "auth.bearer_token_env");
  }
  if (path.find('#') != std::string_view::npos) {
    return Status::Error("URL \"" + std::string(url) + "\" must not contain a fragment (#...)");
  }

  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Status::Error("URL \"" + std::string(url) + "\" has an unterminated IPv6 address");
    }
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return Status::Error("URL \"" + std::string(url) + "\" has junk after the IPv6 address");
      }
      has_port = true;
      port_text = after.substr(1);
    }
    if (!host.empty() && !IsIpv6Literal(host)) {
      return Status::Error("URL \"" + std::string(url) + "\" has an invalid IPv6 address");
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
      if (port_text.find(':') != std::string_view::npos) {
        return Status::Error("URL \"" + std::string(url) +
                             "\" has an IPv6 address without brackets (write http://[::1]:8000)");
      }
    }
    if (!IsHostName(host)) {
      return Status::Error("URL \"" + std::string(url) + "\" has an invalid host");
    }
  }
  if (host.empty()) return Status::Error("URL \"" + std::string(url) + "\" has no host");
  parts.host = std::string(host);

  if (has_port) {
    int port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
        port < 1 || port > 65535) {
      return Status::Error("URL \"" + std::string(url) + "\" has an invalid port \"" +
                           std::string(port_text) + "\"");
    }
    parts.port = port;
  } else {
    parts.port = parts.scheme == "https" ? 443 : 80;
  }

  // Path and query. A base URL (".../v1" or ".../v1/") gets the dialect's endpoint appended
  // before the query, which is kept as written.
  const size_t query_start = path.find('?');
  std::string path_only(path.substr(0, query_start));
  const std::string_view query =
      query_start == std::string_view::npos ? std::string_view() : path.substr(query_start);
  if (path_only.empty()) path_only = "/";
  const bool base = path_only == "/" || path_only.ends_with("/v1") || path_only.ends_with("/v1/");
  if (DialectPath(api) == nullptr && base) {
    return Status::Error("URL \"" + std::string(url) + "\" " +
                         (path_only == "/" ? "has no endpoint path" : "is a base URL") + "; api " +
                         ApiKindName(api) + " needs the full endpoint URL, e.g. " +
                         FullUrlExample(api));
  }
  if (path_only.ends_with("/v1/")) path_only.pop_back();
  if (path_only.ends_with("/v1")) path_only += DialectPath(api);
  parts.path = path_only + std::string(query);
  return parts;
}

}  // namespace llmprobe
