// Failing targets are counted by outcome while the healthy target keeps being probed; /metrics
// passes `promtool check metrics`.
#include <doctest/doctest.h>

#include <chrono>
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

std::string Target(const std::string& name, int port) {
  return "  - name: " + name +
         "\n"
         "    api: openai-chat\n"
         "    url: http://127.0.0.1:" +
         std::to_string(port) +
         "/v1/chat/completions\n"
         "    model: mock-model\n"
         "    workload: {prompt_tokens: 8, max_tokens: 4}\n"
         "    load: {concurrency: [2], stage_duration: 1m, warmup: 0s}\n";
}

}  // namespace

TEST_CASE("refused and HTTP 500 targets are counted by outcome, the healthy one keeps probing") {
  MockOptions mo;
  mo.ttft_ns = 20 * kNanosPerMilli;
  mo.tpot_ns = 5 * kNanosPerMilli;
  MockServer mock(mo);
  REQUIRE(mock.Start("127.0.0.1", 0).ok());

  httplib::Server failing;
  failing.Post("/v1/chat/completions", [](const httplib::Request&, httplib::Response& res) {
    res.status = 500;
    res.set_content("{\"error\":{\"message\":\"internal\"}}", "application/json");
  });
  const int failing_port = failing.bind_to_any_port("127.0.0.1");
  std::thread failing_thread([&] { failing.listen_after_bind(); });
  const int refused_port = rawhttp::FreePort();  // nothing listens there

  auto cfg = LoadConfigString("targets:\n" + Target("healthy", mock.port()) +
                                  Target("refused", refused_port) + Target("broken", failing_port),
                              "faults.yaml");
  REQUIRE_MESSAGE(cfg.ok(), cfg.status().message());
  RecordingSink sink;
  DaemonOptions opts;
  opts.listen_address = "127.0.0.1:0";
  opts.extra_sink = &sink;
  Daemon daemon(cfg.value(), opts);
  REQUIRE(daemon.Start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));

  std::string metrics;
  REQUIRE(HttpGet(daemon.web_port(), "/metrics", &metrics) == 200);
  auto series = [&](const std::string& target, const std::string& outcome) {
    return ScrapeValue(metrics,
                       "llmprobe_requests_total{concurrency=\"2\",model=\"mock-model\","
                       "outcome=\"" +
                           outcome + "\",target=\"" + target + "\"}");
  };
  CHECK(series("healthy", "success") >= 20);  // 2 slots, ~35 ms per request
  CHECK(series("refused", "connect_refused") >= 2);
  CHECK(series("broken", "http_server_error") >= 2);
  CHECK(series("refused", "success") == 0);  // pre-created at zero
  // Failing targets back off (100 ms doubling), so they do not spin.
  CHECK(series("refused", "connect_refused") < 30);

  // The landing page and the health endpoints answer.
  std::string body;
  CHECK(HttpGet(daemon.web_port(), "/-/healthy", &body) == 200);
  CHECK(HttpGet(daemon.web_port(), "/-/ready", &body) == 200);
  CHECK(HttpGet(daemon.web_port(), "/", &body) == 200);
  CHECK(body.find("healthy") != std::string::npos);
  CHECK(body.find("refused") != std::string::npos);

  // The exposition is valid for promtool.
  TempDir dir;
  const std::string file = dir.WriteFile("metrics.txt", metrics);
  std::string out;
  const int rc = RunShell("promtool check metrics < " + file, &out);
  CHECK_MESSAGE(rc == 0, out);
  CHECK(metrics.find("llmprobe_build_info{") != std::string::npos);
  CHECK(metrics.find("process_resident_memory_bytes ") != std::string::npos);
  CHECK(metrics.find("llmprobe_stage_concurrency{target=\"healthy\"} 2") != std::string::npos);

  daemon.Stop();
  for (const auto& e : sink.Take()) {
    if (e.target == "healthy") {
      CHECK_MESSAGE(
          (e.result.outcome == Outcome::kSuccess || e.result.outcome == Outcome::kCanceled),
          OutcomeName(e.result.outcome));
    }
  }
  failing.stop();
  failing_thread.join();
  mock.Stop();
}
