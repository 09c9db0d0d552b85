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
  std::string listen_address;   // empty = config global.web_listen_address or the default
  std::string web_config_file;  // --web.config.file: TLS and basic auth; empty = none
  LogFlags log;
  std::string shutdown_grace = "5s";
  std::string shard;  // "INDEX/COUNT"; empty = all targets
};

// `llmprobe run`: the daemon, until SIGINT/SIGTERM.
int RunDaemonCommand(const RunFlags& flags);

// `llmprobe check-config`: 0 if the file (and the web config file, if named) is valid, else 1
// with one line per error on stderr.
int CheckConfigCommand(const std::string& config_file, const std::string& web_config_file = "");

struct DemoFlags {
  std::string listen_address = kDemoListenAddress;
  std::string web_config_file;  // --web.config.file: TLS and basic auth; empty = none
  std::string mock_listen_address = "127.0.0.1:0";
  LogFlags log;
  MockOptions mock;
};

// `llmprobe demo`: the built-in mock plus the daemon probing it (config/demo.yaml).
int DemoCommand(const DemoFlags& flags);

struct BenchFlags {
  std::string config_file;
  std::string target;
  std::string url;  // instead of a config file
  std::string model;
  std::string api = "openai-chat";
  std::string bearer_token_env;
  std::string bearer_token_file;
  std::string concurrency;  // "1,2,4,8"; empty = the target's levels
  std::string duration = "60s";
  int64_t requests = 0;
  std::string warmup = "10s";
  std::string latency_budget;
  std::string slo;  // "ttft=500ms,tpot=50ms"
  int max_tokens = 0;
  int prompt_tokens = 0;
  std::string json, csv, plot, html;
  std::string log_level = "warn";
};

// `llmprobe bench`: exit 0 ok, 3 when a budget/SLO is given and no level meets it, 2 on
// unusable input.
int BenchCommand(const BenchFlags& flags);

// config/demo.yaml, embedded at build time.
std::string_view DemoConfigYaml();

}  // namespace llmprobe
