// Hot reload: SIGHUP and POST /-/reload re-read the config and the secret files; a bad file
// keeps the old config; only changed targets restart; /config hides secrets.
#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include <httplib.h>

#include "app/Daemon.h"
#include "config/ConfigLoader.h"
#include "mock/MockServer.h"
#include "support/RawHttp.h"
#include "support/TestSupport.h"

using namespace llmprobe;
using namespace llmprobe::testing;

namespace {

std::string Target(const std::string& name, int port, int max_tokens,
                   const std::string& extra = "") {
  return "  - name: " + name +
         "\n    api: openai-chat\n    url: http://127.0.0.1:" + std::to_string(port) +
         "/v1/chat/completions\n    model: mock-model\n" +
         "    workload: {prompt_tokens: 8, max_tokens: " + std::to_string(max_tokens) + "}\n" +
         "    load: {concurrency: [1], stage_duration: 1m, warmup: 0s}\n" + extra;
}

double Successes(const std::string& metrics, const std::string& target) {
  return ScrapeValue(metrics,
                     "llmprobe_requests_total{concurrency=\"1\",model=\"mock-model\","
                     "outcome=\"success\",target=\"" +
                         target + "\"}");
}

std::string Metrics(int port) {
  std::string body;
  REQUIRE(HttpGet(port, "/metrics", &body) == 200);
  return body;
}

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace

TEST_CASE("reload: unchanged targets keep counting, changed restart, bad files are refused") {
  MockOptions mo;
  mo.ttft_ns = 10 * kNanosPerMilli;
  mo.tpot_ns = 2 * kNanosPerMilli;
  MockServer mock(mo);
  REQUIRE(mock.Start("127.0.0.1", 0).ok());
  TempDir dir;
  const std::string path = dir.WriteFile(
      "c.yaml",
      "targets:\n" + Target("keep", mock.port(), 4) + Target("change", mock.port(), 4) +
          Target("drop", mock.port(), 4, "    headers: {X-Api-Token: hunter2, X-Team: search}\n"));
  auto cfg = LoadConfigFile(path);
  REQUIRE_MESSAGE(cfg.ok(), cfg.status().message());
  DaemonOptions opts;
  opts.listen_address = "127.0.0.1:0";
  opts.config_file = path;
  Daemon daemon(cfg.value(), opts);
  REQUIRE(daemon.Start().ok());
  const int port = daemon.web_port();
  Sleep(600);

  // /config redacts credential-like header values; /-/reload wants POST.
  std::string body;
  REQUIRE(HttpGet(port, "/config", &body) == 200);
  CHECK(body.find("hunter2") == std::string::npos);
  CHECK(body.find("X-Api-Token: <secret>") != std::string::npos);
  CHECK(body.find("X-Team: search") != std::string::npos);
  CHECK(HttpGet(port, "/-/reload", &body) == 405);

  const double keep_before = Successes(Metrics(port), "keep");
  const double change_before = Successes(Metrics(port), "change");
  REQUIRE(keep_before >= 5);
  REQUIRE(change_before >= 5);

  // A broken file: the old config keeps running and the gauge says so.
  dir.WriteFile("c.yaml", "targets:\n  - name: [oops\n");
  httplib::Client cli("127.0.0.1", port);
  auto res = cli.Post("/-/reload");
  REQUIRE(res);
  CHECK(res->status == 500);
  CHECK(res->body.find("c.yaml:3:1: (yaml)") != std::string::npos);
  std::string m = Metrics(port);
  CHECK(ScrapeValue(m, "llmprobe_config_last_reload_successful") == 0);
  Sleep(200);
  CHECK(Successes(Metrics(port), "keep") > keep_before);

  // A good file: "keep" unchanged, "change" changed, "drop" removed, "add" added.
  dir.WriteFile("c.yaml", "targets:\n" + Target("keep", mock.port(), 4) +
                              Target("change", mock.port(), 6) + Target("add", mock.port(), 4));
  res = cli.Post("/-/reload");
  REQUIRE(res);
  CHECK(res->status == 200);
  m = Metrics(port);
  CHECK(ScrapeValue(m, "llmprobe_config_last_reload_successful") == 1);
  CHECK(Successes(m, "keep") >= keep_before);             // kept its counter
  CHECK(Successes(m, "change") < change_before);          // restarted: series begin again
  CHECK(m.find("target=\"drop\"") == std::string::npos);  // removed series are gone
  Sleep(300);
  m = Metrics(port);
  CHECK(Successes(m, "add") >= 1);
  REQUIRE(HttpGet(port, "/config", &body) == 200);
  CHECK(body.find("max_tokens: 6") != std::string::npos);
  daemon.Stop();
  mock.Stop();
}

TEST_CASE("reload: a rotated token file is picked up by SIGHUP in the real binary") {
  // A server that records the Authorization headers it sees.
  std::mutex mu;
  std::set<std::string> seen;
  httplib::Server server;
  server.Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> lock(mu);
      seen.insert(req.get_header_value("Authorization"));
    }
    res.status = 401;
    res.set_content("{\"error\":{\"message\":\"bad key\"}}", "application/json");
  });
  const int server_port = server.bind_to_any_port("127.0.0.1");
  std::thread server_thread([&] { server.listen_after_bind(); });

  TempDir dir;
  const std::string token = dir.WriteFile("token", "first-secret\n");
  const std::string config = dir.WriteFile(
      "c.yaml",
      "targets:\n" + Target("t", server_port, 4, "    auth: {bearer_token_file: " + token + "}\n"));
  const int port = rawhttp::FreePort();
  ChildProcess proc({LlmprobeBinary(), "run", "--config.file", config, "--web.listen-address",
                     "127.0.0.1:" + std::to_string(port), "--log.level", "debug"},
                    dir.path() + "/log.txt");
  REQUIRE(WaitForHttp(port, "/-/ready", 10000));
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (seen.count("Bearer first-secret")) break;
    }
    Sleep(20);
  }
  // The first token is refused (401s are counted); a rotation keeps the target's series.
  const std::string refused_series =
      "llmprobe_requests_total{concurrency=\"1\",model=\"mock-model\",outcome=\"http_auth_error\","
      "target=\"t\"}";
  std::string before;
  REQUIRE(HttpGet(port, "/metrics", &before) == 200);
  const double refused_before = ScrapeValue(before, refused_series);
  dir.WriteFile("token", "second-secret\n");
  proc.Signal(SIGHUP);
  bool rotated = false;
  for (int i = 0; i < 300 && !rotated; ++i) {  // the 401s back off: up to ~1.6 s between tries
    {
      std::lock_guard<std::mutex> lock(mu);
      rotated = seen.count("Bearer second-secret") > 0;
    }
    Sleep(20);
  }
  CHECK(rotated);
  std::string after;
  REQUIRE(HttpGet(port, "/metrics", &after) == 200);
  CHECK(refused_before >= 1);
  CHECK(ScrapeValue(after, refused_series) >= refused_before);  // not reset by a restart
  proc.Signal(SIGTERM);
  CHECK(proc.Wait(10000) == 0);
  // No secret in any log line, at debug level.
  const std::string log = ReadFile(dir.path() + "/log.txt");
  CHECK(log.find("configuration reloaded") != std::string::npos);
  CHECK(log.find("secret_rotated=1") != std::string::npos);
  CHECK(log.find("first-secret") == std::string::npos);
  CHECK(log.find("second-secret") == std::string::npos);
  server.stop();
  server_thread.join();
}

// A POST /-/reload that restarts a target while the daemon stops (a config reloader posting
// during a rolling update) crashed: Stop() took the prober the reload had already moved out
// (null). Now a reload in progress finishes first and a later one is refused.
TEST_CASE("reload: a web reload racing with Stop neither crashes nor hangs") {
  MockOptions mo;
  mo.ttft_ns = 50 * kNanosPerMilli;
  mo.tpot_ns = 10 * kNanosPerMilli;
  MockServer mock(mo);
  REQUIRE(mock.Start("127.0.0.1", 0).ok());
  TempDir dir;
  for (int round = 0; round < 6; ++round) {
    CAPTURE(round);
    const std::string path =
        dir.WriteFile("c.yaml", "targets:\n" + Target("t", mock.port(), 8 + round % 2));
    auto cfg = LoadConfigFile(path);
    REQUIRE(cfg.ok());
    DaemonOptions opts;
    opts.listen_address = "127.0.0.1:0";
    opts.config_file = path;
    opts.shutdown_grace_ns = 200 * kNanosPerMilli;
    Daemon daemon(cfg.value(), opts);
    REQUIRE(daemon.Start().ok());
    const int port = daemon.web_port();
    Sleep(100);
    dir.WriteFile("c.yaml", "targets:\n" + Target("t", mock.port(), 9 + round % 2));  // changed
    std::thread poster([port] { rawhttp::Request(port, "POST", "/-/reload", ""); });
    Sleep(5 * round);  // from before the reload starts to the middle of its stop
    const auto t0 = std::chrono::steady_clock::now();
    daemon.Stop();
    poster.join();
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  }
  mock.Stop();
}
