#include "app/Cli.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "app/Commands.h"
#include "common/BuildInfo.h"
#include "common/Duration.h"
#include "common/Signals.h"
#include "mock/MockCommand.h"

namespace llmprobe {
namespace {

constexpr int kUsageError = 2;

void AddLogFlags(CLI::App* cmd, LogFlags* log) {
  cmd->add_option("--log.level", log->level,
                  "Log level: debug, info, warn or error (default: config global.log_level, "
                  "else info)");
  cmd->add_option("--log.format", log->format,
                  "Log format: logfmt or json (default: config global.log_format, else logfmt)");
}

// Mock behaviour flags, shared by `mock` (plain names) and `demo` (prefixed "mock.").
struct MockFlagText {
  std::string ttft = "200ms";
  std::string tpot = "20ms";
};

void AddMockFlags(CLI::App* cmd, const std::string& prefix, MockOptions* o, MockFlagText* text) {
  cmd->add_option("--" + prefix + "ttft", text->ttft,
                  "Time from receiving a request to its first token (duration)")
      ->capture_default_str();
  cmd->add_option("--" + prefix + "tpot", text->tpot, "Time between output tokens (duration)")
      ->capture_default_str();
  cmd->add_option("--" + prefix + "max-tokens", o->default_max_tokens,
                  "Output tokens when a request names no max_tokens")
      ->capture_default_str();
  cmd->add_flag("--" + prefix + "role-chunk", o->role_chunk,
                "Send a role-only first chunk right after the headers (as vLLM does)");
  cmd->add_option("--" + prefix + "reasoning-tokens", o->reasoning_tokens,
                  "The first N tokens of each chat response are reasoning_content deltas")
      ->capture_default_str();
  cmd->add_option("--" + prefix + "tokens-per-chunk", o->tokens_per_chunk,
                  "Coalesce this many tokens into one chunk")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--" + prefix + "model", o->model, "Model name the mock reports")
      ->capture_default_str();
  cmd->add_option("--" + prefix + "max-connections", o->max_connections,
                  "Concurrent connections served (one thread each)")
      ->capture_default_str()
      ->check(CLI::Range(1, 65536));
}

// Parses the duration texts into `o`; prints an error and returns false when one is invalid.
bool ResolveMockDurations(const MockFlagText& text, const std::string& prefix, MockOptions* o) {
  auto ttft = ParseDuration(text.ttft);
  auto tpot = ParseDuration(text.tpot);
  if (!ttft.ok() || !tpot.ok()) {
    const bool bad_ttft = !ttft.ok();
    std::fprintf(stderr, "llmprobe: --%s%s: %s\n", prefix.c_str(), bad_ttft ? "ttft" : "tpot",
                 (bad_ttft ? ttft.status() : tpot.status()).message().c_str());
    return false;
  }
  o->ttft_ns = ttft.value();
  o->tpot_ns = tpot.value();
  return true;
}

}  // namespace

int RunCli(int argc, char** argv) {
  BlockProcessSignals();  // before any thread starts; signals are taken with sigwait

  CLI::App app{
      "llmprobe: continuously probes LLM serving endpoints (OpenAI-compatible streaming APIs)\n"
      "and exports time to first token, time per output token, inter-token latency, request\n"
      "duration and throughput per target and concurrency level as Prometheus metrics.",
      "llmprobe"};
  app.set_version_flag("--version", "llmprobe version " + std::string(Version()) + " (revision " +
                                        std::string(GitRevision()) + ")");
  app.require_subcommand(1);

  RunFlags run;
  CLI::App* run_cmd = app.add_subcommand("run", "Run the daemon: probe the configured targets "
                                                "and serve /metrics");
  run_cmd->add_option("--config.file", run.config_file, "Path to the YAML configuration file")
      ->required();
  run_cmd->add_option("--web.listen-address", run.listen_address,
                      std::string("HOST:PORT to serve /metrics and pages on (default: config "
                                  "global.web_listen_address, else ") +
                          kDefaultListenAddress + ")");
  run_cmd->add_option("--shutdown.grace", run.shutdown_grace,
                      "On SIGTERM/SIGINT, how long in-flight requests may finish before they are "
                      "canceled")
      ->capture_default_str();
  AddLogFlags(run_cmd, &run.log);

  std::string check_file;
  CLI::App* check_cmd = app.add_subcommand(
      "check-config", "Validate a configuration file; exit 0 if valid, else print "
                      "file:line:col: key.path: message for each error and exit 1");
  check_cmd->add_option("--config.file", check_file, "Path to the YAML configuration file")
      ->required();

  MockOptions mock;
  MockFlagText mock_text;
  std::string mock_listen = "127.0.0.1:8000";
  CLI::App* mock_cmd = app.add_subcommand(
      "mock", "Run the built-in OpenAI-compatible mock server with a deterministic schedule");
  mock_cmd->add_option("--listen", mock_listen, "HOST:PORT to listen on")->capture_default_str();
  AddMockFlags(mock_cmd, "", &mock, &mock_text);

  DemoFlags demo;
  MockFlagText demo_mock_text;
  CLI::App* demo_cmd = app.add_subcommand(
      "demo", "Run the mock and the daemon probing it (config/demo.yaml), /metrics on localhost");
  demo_cmd->add_option("--web.listen-address", demo.listen_address,
                       "HOST:PORT to serve /metrics and pages on")
      ->capture_default_str();
  demo_cmd->add_option("--mock.listen", demo.mock_listen_address,
                       "HOST:PORT of the built-in mock (port 0 = any free port)")
      ->capture_default_str();
  AddMockFlags(demo_cmd, "mock.", &demo.mock, &demo_mock_text);
  AddLogFlags(demo_cmd, &demo.log);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (run_cmd->parsed()) return RunDaemonCommand(run);
  if (check_cmd->parsed()) return CheckConfigCommand(check_file);
  if (mock_cmd->parsed()) {
    if (!ResolveMockDurations(mock_text, "", &mock)) return kUsageError;
    return RunMockCommand(mock, mock_listen);
  }
  if (demo_cmd->parsed()) {
    if (!ResolveMockDurations(demo_mock_text, "mock.", &demo.mock)) return kUsageError;
    return DemoCommand(demo);
  }
  return kUsageError;
}

}  // namespace llmprobe
