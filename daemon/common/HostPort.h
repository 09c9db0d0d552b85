// "host:port" listen/connect addresses: "127.0.0.1:9470", "[::1]:9470", ":9470" (all IPv4
// interfaces, written 0.0.0.0), "localhost:0" (0 = pick a free port).
#pragma once

#include <string>
#include <string_view>

#include "common/Status.h"

namespace llmprobe {

struct HostPort {
  std::string host;  // without IPv6 brackets
  int port = 0;
  std::string ToString() const;  // brackets IPv6 hosts again
};

Result<HostPort> ParseHostPort(std::string_view text);

}  // namespace llmprobe
