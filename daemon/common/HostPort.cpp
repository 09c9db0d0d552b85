#include "common/HostPort.h"

#include <charconv>

namespace llmprobe {

std::string HostPort::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<HostPort> ParseHostPort(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::Error("address " + quoted + " lacks a port (want HOST:PORT)");
  }
  HostPort hp;
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return Status::Error("address " + quoted + ": IPv6 hosts need brackets, e.g. [::1]:9470");
  }
  hp.host = host.empty() ? "0.0.0.0" : std::string(host);
  const std::string_view port = text.substr(colon + 1);
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), hp.port);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size() || hp.port < 0 ||
      hp.port > 65535) {
    return Status::Error("address " + quoted + ": port must be a number from 0 to 65535");
  }
  return hp;
}

}  // namespace llmprobe
