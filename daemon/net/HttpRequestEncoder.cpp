#include "net/HttpRequestEncoder.h"

#include <strings.h>

namespace llmprobe::net {
namespace {

bool HasControl(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 32 || u >= 127 || c == ':' || c == '(' || c == ')' || c == ',' || c == '/' ||
        c == ';' || c == '<' || c == '=' || c == '>' || c == '?' || c == '@' || c == '[' ||
        c == '\\' || c == ']' || c == '{' || c == '}' || c == '"') {
      return false;
    }
  }
  return true;
}

bool NameIs(const std::string& name, const char* expected) {
  return strcasecmp(name.c_str(), expected) == 0;
}

}  // namespace

Result<std::string> EncodeHttpRequest(const HttpRequestParts& p) {
  if (!IsToken(p.method)) return Status::Error("invalid request method");
  if (p.target.empty() || HasControl(p.target) || p.target.find(' ') != std::string_view::npos) {
    return Status::Error("invalid request target");
  }
  if (HasControl(p.host)) return Status::Error("invalid host");
  bool has_length = false, has_agent = false, has_host = false;
  size_t size = p.method.size() + p.target.size() + p.host.size() + p.body.size() + 96;
  if (p.headers != nullptr) {
    for (const auto& [name, value] : *p.headers) {
      if (!IsToken(name) || HasControl(value)) {
        return Status::Error("invalid request header \"" + name.substr(0, 64) + "\"");
      }
      has_length |= NameIs(name, "content-length");
      has_agent |= NameIs(name, "user-agent");
      has_host |= NameIs(name, "host");
      size += name.size() + value.size() + 4;
    }
  }
  std::string out;
  out.reserve(size);
  out.append(p.method).append(" ").append(p.target).append(" HTTP/1.1\r\n");
  if (!has_host) out.append("Host: ").append(p.host).append("\r\n");
  if (p.headers != nullptr) {
    for (const auto& [name, value] : *p.headers) {
      out.append(name).append(": ").append(value).append("\r\n");
    }
  }
  if (!has_agent && !p.user_agent.empty()) {
    out.append("User-Agent: ").append(p.user_agent).append("\r\n");
  }
  if (!has_length && (!p.body.empty() || p.method == "POST" || p.method == "PUT")) {
    out.append("Content-Length: ").append(std::to_string(p.body.size())).append("\r\n");
  }
  out.append("\r\n").append(p.body);
  return out;
}

std::string HostHeaderValue(const std::string& host, int port, bool https) {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (https ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

}  // namespace llmprobe::net
