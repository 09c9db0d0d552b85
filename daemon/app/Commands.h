// The subcommands behind the CLI. Each returns the process exit status.
#pragma once

#include <string>
#include <string_view>

#include "mock/MockOptions.h"

namespace llmprobe {

inline constexpr const char* kDefaultListenAddress = "0.0.0.0:9470";
inline constexpr const char* kDemoListenAddress = "127.0.0.1:9470";

struct LogFlags {
  std::string level;   // empty = config or "info"
  std::string format;  // empty = config or "logfmt"
};

struct RunFlags {
  std::string config_file;
  std::string listen_address;  // empty = config global.web_listen_address or the default
  LogFlags log;
  std::string shutdown_grace = "5s";
};

// `llmprobe run`: the daemon, until SIGINT/SIGTERM.
int RunDaemonCommand(const RunFlags& flags);

// `llmprobe check-config`: 0 if the file is valid, else 1 with one line per error on stderr.
int CheckConfigCommand(const std::string& config_file);

struct DemoFlags {
  std::string listen_address = kDemoListenAddress;
  std::string mock_listen_address = "127.0.0.1:0";
  LogFlags log;
  MockOptions mock;
};

// `llmprobe demo`: the built-in mock plus the daemon probing it (config/demo.yaml).
int DemoCommand(const DemoFlags& flags);

// config/demo.yaml, embedded at build time.
std::string_view DemoConfigYaml();

}  // namespace llmprobe
