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
  std::string tpot_per_stream = "0";
  std::string prefill_per_token = "0";
};

void AddMockFlags(CLI::App* cmd, const std::string& prefix, MockOptions* o, MockFlagText* text) {
  cmd->add_option("--" + prefix + "ttft", text->ttft,
                  "Time from receiving a request to its first token (duration)")
      ->capture_default_str();
  cmd->add_option("--" + prefix + "tpot", text->tpot, "Time between output tokens (duration)")
      ->capture_default_str();
  cmd->add_option("--" + prefix + "max-batch", o->max_batch,
                  "Batching model: requests generating at once; more wait in a FIFO queue and "
                  "their TTFT includes the wait (0 = no limit)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--" + prefix + "tpot-per-stream", text->tpot_per_stream,
                  "Batching model: time added to each step between tokens per additional "
                  "active request (duration)")
      ->capture_default_str();
  cmd->add_option("--" + prefix + "prefill-per-token", text->prefill_per_token,
                  "Batching model: time added to the first token per prompt token (prompt "
                  "tokens = whitespace-separated words) (duration)")
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
                  "Connections open at once; more are accepted and closed at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--" + prefix + "threads", o->threads,
                  "Event loop threads (0 = one per online CPU, at most 4)")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
}

// Parses the duration texts into `o`; prints an error and returns false when one is invalid.
bool ResolveMockDurations(const MockFlagText& text, const std::string& prefix, MockOptions* o) {
  const struct {
    const char* flag;
    const std::string& text;
    int64_t* ns;
  } durations[] = {{"ttft", text.ttft, &o->ttft_ns},
                   {"tpot", text.tpot, &o->tpot_ns},
                   {"tpot-per-stream", text.tpot_per_stream, &o->tpot_per_stream_ns},
                   {"prefill-per-token", text.prefill_per_token, &o->prefill_per_token_ns}};
  for (const auto& d : durations) {
    Result<int64_t> ns = ParseDuration(d.text);
    if (!ns.ok()) {
      std::fprintf(stderr, "llmprobe: --%s%s: %s\n", prefix.c_str(), d.flag,
                   ns.status().message().c_str());
      return false;
    }
    *d.ns = ns.value();
  }
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
  CLI::App* run_cmd = app.add_subcommand("run",
                                         "Run the daemon: probe the configured targets "
                                         "and serve /metrics");
  run_cmd->add_option("--config.file", run.config_file, "Path to the YAML configuration file")
      ->required();
  run_cmd->add_option("--web.listen-address", run.listen_address,
                      std::string("HOST:PORT to serve /metrics and pages on (default: config "
                                  "global.web_listen_address, else ") +
                          kDefaultListenAddress + ")");
  run_cmd->add_option("--web.config.file", run.web_config_file,
                      "Path to the web config file (exporter-toolkit format): "
                      "tls_server_config for HTTPS (optional client certificates) and "
                      "basic_auth_users with bcrypt hashes; re-read on reload");
  run_cmd
      ->add_option("--shutdown.grace", run.shutdown_grace,
                   "On SIGTERM/SIGINT, how long in-flight requests may finish before they are "
                   "canceled")
      ->capture_default_str();
  run_cmd->add_option("--shard", run.shard,
                      "INDEX/COUNT: probe only the targets whose name hashes to this shard, so "
                      "COUNT replicas split one target list (e.g. 0/3, 1/3, 2/3)");
  AddLogFlags(run_cmd, &run.log);

  std::string check_file;
  std::string check_web_file;
  CLI::App* check_cmd =
      app.add_subcommand("check-config",
                         "Validate a configuration file; exit 0 if valid, else print "
                         "file:line:col: key.path: message for each error and exit 1");
  check_cmd->add_option("--config.file", check_file, "Path to the YAML configuration file")
      ->required();
  check_cmd->add_option("--web.config.file", check_web_file,
                        "Also validate this web config file (and load its certificates)");

  MockOptions mock;
  MockFlagText mock_text;
  std::string mock_listen = "127.0.0.1:8000";
  CLI::App* mock_cmd = app.add_subcommand(
      "mock", "Run the built-in OpenAI-compatible mock server with a deterministic schedule");
  mock_cmd->add_option("--listen", mock_listen, "HOST:PORT to listen on")->capture_default_str();
  AddMockFlags(mock_cmd, "", &mock, &mock_text);
  mock_cmd
      ->add_option("--tls-cert-file", mock.tls_cert_file,
                   "Serve HTTPS with this PEM certificate chain (with --tls-key-file)")
      ->check(CLI::ExistingFile);
  mock_cmd->add_option("--tls-key-file", mock.tls_key_file, "PEM private key of --tls-cert-file")
      ->check(CLI::ExistingFile);

  DemoFlags demo;
  MockFlagText demo_mock_text;
  CLI::App* demo_cmd = app.add_subcommand(
      "demo", "Run the mock and the daemon probing it (config/demo.yaml), /metrics on localhost");
  demo_cmd
      ->add_option("--web.listen-address", demo.listen_address,
                   "HOST:PORT to serve /metrics and pages on")
      ->capture_default_str();
  demo_cmd->add_option("--web.config.file", demo.web_config_file,
                       "Path to the web config file (exporter-toolkit format): TLS and basic "
                       "auth for /metrics and the pages");
  demo_cmd
      ->add_option("--mock.listen", demo.mock_listen_address,
                   "HOST:PORT of the built-in mock (port 0 = any free port)")
      ->capture_default_str();
  AddMockFlags(demo_cmd, "mock.", &demo.mock, &demo_mock_text);
  AddLogFlags(demo_cmd, &demo.log);

  BenchFlags bench;
  CLI::App* bench_cmd = app.add_subcommand(
      "bench",
      "One-shot sweep over concurrency levels: a table of TTFT/TPOT/ITL/latency/"
      "throughput per level, the recommended operating point within a latency budget, "
      "and optional JSON/CSV/SVG/HTML reports. Exit 0 ok, 3 budget missed at every "
      "level, 2 unusable input");
  bench_cmd->add_option("--config.file", bench.config_file, "YAML configuration with the target");
  bench_cmd->add_option("--target", bench.target, "Name of the target in --config.file");
  bench_cmd->add_option("--url", bench.url, "Endpoint URL, instead of a config file");
  bench_cmd->add_option("--model", bench.model, "Model name (with --url)");
  bench_cmd->add_option("--api", bench.api, "API dialect (with --url)")->capture_default_str();
  bench_cmd->add_option("--auth.bearer-token-env", bench.bearer_token_env,
                        "Environment variable holding the bearer token (with --url)");
  bench_cmd->add_option("--auth.bearer-token-file", bench.bearer_token_file,
                        "File holding the bearer token (with --url)");
  bench_cmd->add_option("--concurrency", bench.concurrency,
                        "Comma-separated levels, e.g. 1,2,4,8,16,32 (default: the target's)");
  auto* duration =
      bench_cmd
          ->add_option("--duration", bench.duration, "Measured time per level (after the warm-up)")
          ->capture_default_str();
  bench_cmd
      ->add_option("--requests", bench.requests,
                   "Measured requests per level instead of a duration")
      ->excludes(duration)
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  bench_cmd->add_option("--warmup", bench.warmup, "Warm-up before each level, excluded")
      ->capture_default_str();
  bench_cmd->add_option("--latency-budget", bench.latency_budget,
                        "Recommend the level with the most throughput whose p99 latency is "
                        "within this duration");
  bench_cmd->add_option("--slo", bench.slo,
                        "Per-request SLO, e.g. ttft=500ms,tpot=50ms,latency=2s,error_ratio=0.01 "
                        "(p99 limits for the recommendation; defines goodput)");
  bench_cmd->add_option("--max-tokens", bench.max_tokens, "Output tokens per request");
  bench_cmd->add_option("--prompt-tokens", bench.prompt_tokens, "Prompt length in tokens");
  bench_cmd->add_option("--json", bench.json, "Write the full report as JSON");
  bench_cmd->add_option("--csv", bench.csv, "Write one CSV row per level");
  bench_cmd->add_option("--plot", bench.plot, "Write the throughput-latency plot as SVG");
  bench_cmd->add_option("--html", bench.html, "Write a self-contained HTML report");
  bench_cmd->add_option("--log.level", bench.log_level, "Log level")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (run_cmd->parsed()) return RunDaemonCommand(run);
  if (check_cmd->parsed()) return CheckConfigCommand(check_file, check_web_file);
  if (mock_cmd->parsed()) {
    if (!ResolveMockDurations(mock_text, "", &mock)) return kUsageError;
    return RunMockCommand(mock, mock_listen);
  }
  if (bench_cmd->parsed()) return BenchCommand(bench);
  if (demo_cmd->parsed()) {
    if (!ResolveMockDurations(demo_mock_text, "mock.", &demo.mock)) return kUsageError;
    return DemoCommand(demo);
  }
  return kUsageError;
}

}  // namespace llmprobe
