// The real llmprobe binary: help, version, check-config exit codes, `run` with JSON logs and a
// graceful SIGTERM, and `demo`.
#include <doctest/doctest.h>

#include <signal.h>

#include "common/BuildInfo.h"
#include "mock/MockServer.h"
#include "support/RawHttp.h"
#include "support/TestSupport.h"

using namespace llmprobe;
using namespace llmprobe::testing;

TEST_CASE("cli: --version and --help describe the commands and flags") {
  std::string out;
  CHECK(RunShell(LlmprobeBinary() + " --version", &out) == 0);
  CHECK(out.find(std::string(Version())) != std::string::npos);
  CHECK(out.find(std::string(GitRevision())) != std::string::npos);

  CHECK(RunShell(LlmprobeBinary() + " --help", &out) == 0);
  for (const char* cmd : {"run", "check-config", "mock", "demo"}) {
    CHECK_MESSAGE(out.find(cmd) != std::string::npos, cmd);
  }
  CHECK(RunShell(LlmprobeBinary() + " run --help", &out) == 0);
  for (const char* flag : {"--config.file", "--web.listen-address", "--log.level", "--log.format",
                           "--shutdown.grace"}) {
    CHECK_MESSAGE(out.find(flag) != std::string::npos, flag);
  }
  CHECK(RunShell(LlmprobeBinary() + " mock --help", &out) == 0);
  for (const char* flag : {"--listen", "--ttft", "--tpot", "--role-chunk", "--reasoning-tokens"}) {
    CHECK_MESSAGE(out.find(flag) != std::string::npos, flag);
  }
  CHECK(RunShell(LlmprobeBinary() + " no-such-command", &out) != 0);
  CHECK(RunShell(LlmprobeBinary() + " mock --ttft 5parsecs --help-not", &out) != 0);
}

TEST_CASE("cli: check-config exits 0 on a valid file and 1 with file:line:col on errors") {
  std::string out;
  CHECK(RunShell(LlmprobeBinary() + " check-config --config.file " LLMPROBE_SOURCE_DIR
                                    "/config/demo.yaml",
                 &out) == 0);
  const std::string bad = LLMPROBE_TESTDATA_DIR "/bad_unknown_key.yaml";
  CHECK(RunShell(LlmprobeBinary() + " check-config --config.file " + bad, &out) == 1);
  CHECK(out.rfind(bad + ":", 0) == 0);
  CHECK(out.find("unknown key") != std::string::npos);
  CHECK(RunShell(LlmprobeBinary() + " check-config --config.file /nonexistent.yaml", &out) == 1);
}

TEST_CASE("cli: run serves /metrics, logs JSON, and exits 0 on SIGTERM within the grace bound") {
  MockOptions mo;
  mo.ttft_ns = 50 * kNanosPerMilli;
  mo.tpot_ns = 10 * kNanosPerMilli;
  MockServer mock(mo);
  REQUIRE(mock.Start("127.0.0.1", 0).ok());
  TempDir dir;
  const std::string config = dir.WriteFile(
      "c.yaml", "targets:\n  - name: m\n    api: openai-completions\n    url: http://127.0.0.1:" +
                    std::to_string(mock.port()) +
                    "/v1\n    model: mock-model\n    workload: {max_tokens: 400}\n"
                    "    load: {concurrency: [3], stage_duration: 1m, warmup: 0s}\n");
  const int port = rawhttp::FreePort();
  ChildProcess proc(
      {LlmprobeBinary(), "run", "--config.file", config, "--web.listen-address",
       "127.0.0.1:" + std::to_string(port), "--log.format", "json", "--shutdown.grace", "500ms"},
      dir.path() + "/log.txt");
  REQUIRE(WaitForHttp(port, "/-/ready", 10000));
  std::string metrics;
  for (int i = 0; i < 100; ++i) {  // the first requests take ~50 ms + 399 * 10 ms
    REQUIRE(HttpGet(port, "/metrics", &metrics) == 200);
    if (metrics.find("llmprobe_inflight_requests{target=\"m\"} 3") != std::string::npos) break;
    usleep(20000);
  }
  CHECK(metrics.find("llmprobe_inflight_requests{target=\"m\"} 3") != std::string::npos);
  // Requests of 4 s are in flight; the grace period is 500 ms, then they are canceled.
  proc.Signal(SIGTERM);
  CHECK(proc.Wait(3000) == 0);
  const std::string log = ReadFile(dir.path() + "/log.txt");
  CHECK(log.find("{\"ts\":\"") == 0);
  CHECK(log.find("\"level\":\"info\",\"msg\":\"llmprobe started\"") != std::string::npos);
  CHECK(log.find("\"msg\":\"stopped\"") != std::string::npos);
  mock.Stop();
}

TEST_CASE("cli: demo runs the mock and the daemon, /metrics shows the demo targets") {
  TempDir dir;
  const int port = rawhttp::FreePort();
  ChildProcess proc(
      {LlmprobeBinary(), "demo", "--web.listen-address", "127.0.0.1:" + std::to_string(port),
       "--mock.ttft", "20ms", "--mock.tpot", "2ms"},
      dir.path() + "/log.txt");
  REQUIRE(WaitForHttp(port, "/-/ready", 10000));
  std::string metrics;
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    REQUIRE(HttpGet(port, "/metrics", &metrics) == 200);
    seen = metrics.find("llmprobe_time_to_first_token_seconds_count{concurrency=\"1\"") !=
               std::string::npos &&
           metrics.find("outcome=\"success\"") != std::string::npos;
    usleep(20000);
  }
  CHECK(seen);
  proc.Signal(SIGINT);
  CHECK(proc.Wait(10000) == 0);
  const std::string log = ReadFile(dir.path() + "/log.txt");
  CHECK(log.find("/metrics") != std::string::npos);  // says where /metrics is
}
