// The daemon against the built-in mock, whose send schedule is known: every timing the daemon
// reports must match the injected one (issue 2 tolerances), at concurrency 1 and 8.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "app/Daemon.h"
#include "config/ConfigLoader.h"
#include "mock/MockServer.h"
#include "support/TestSupport.h"
#include "support/Timing.h"

using namespace llmprobe;
using namespace llmprobe::testing;

namespace {

constexpr double kMs = 1e6;

Config MockConfig(int mock_port, const std::string& levels, const std::string& stage,
                  const std::string& warmup) {
  const std::string yaml =
      "targets:\n"
      "  - name: mock\n"
      "    api: openai-chat\n"
      "    url: http://127.0.0.1:" +
      std::to_string(mock_port) +
      "/v1/chat/completions\n"
      "    model: mock-model\n"
      "    workload: {prompt_tokens: 24, max_tokens: 32}\n"
      "    load: {concurrency: " +
      levels + ", stage_duration: " + stage + ", warmup: " + warmup + "}\n";
  auto cfg = LoadConfigString(yaml, "test.yaml");
  REQUIRE_MESSAGE(cfg.ok(), cfg.status().message());
  return cfg.value();
}

struct Run {
  std::vector<RecordingSink::Entry> results;
  std::string metrics;
};

// Runs the daemon against a mock with `mock_options` for `run_for`, then stops it.
Run RunAgainstMock(MockOptions mock_options, const std::string& levels, const std::string& stage,
                   std::chrono::milliseconds run_for) {
  MockServer mock(mock_options);
  REQUIRE(mock.Start("127.0.0.1", 0).ok());
  RecordingSink sink;
  DaemonOptions opts;
  opts.listen_address = "127.0.0.1:0";
  opts.extra_sink = &sink;
  Daemon daemon(MockConfig(mock.port(), levels, stage, "300ms"), opts);
  REQUIRE(daemon.Start().ok());
  std::this_thread::sleep_for(run_for);
  daemon.Stop();
  Run run{sink.Take(), daemon.RenderMetrics()};
  mock.Stop();
  return run;
}

struct Measured {
  std::vector<double> ttft, ttfc, tpot, e2e;
  int n = 0;
};

std::map<int, Measured> ByLevel(const std::vector<RecordingSink::Entry>& results) {
  std::map<int, Measured> out;
  for (const auto& e : results) {
    const RequestResult& r = e.result;
    if (r.outcome != Outcome::kSuccess || r.warmup) continue;
    Measured& m = out[r.level.concurrency];
    ++m.n;
    m.ttft.push_back(static_cast<double>(*r.timing.TimeToFirstTokenNs()) / kMs);
    m.ttfc.push_back(static_cast<double>(*r.timing.TimeToFirstContentNs()) / kMs);
    m.tpot.push_back(*r.timing.TimePerOutputTokenNs(r.output_tokens) / kMs);
    m.e2e.push_back(static_cast<double>(*r.timing.RequestDurationNs()) / kMs);
  }
  return out;
}

}  // namespace

TEST_CASE("daemon timing against the mock at concurrency 1 and 8 (ttft 200ms, tpot 20ms)") {
  MockOptions mo;
  mo.ttft_ns = 200 * kNanosPerMilli;
  mo.tpot_ns = 20 * kNanosPerMilli;
  mo.role_chunk = true;  // must not move TTFT (vLLM #3759)
  const Run run = RunAgainstMock(mo, "[1, 8]", "3s", std::chrono::milliseconds(6500));

  // Every request accounted for, token counts exact.
  int uncalibrated = 0;
  for (const auto& e : run.results) {
    const RequestResult& r = e.result;
    CHECK_MESSAGE(r.outcome == Outcome::kSuccess, OutcomeName(r.outcome), " ", r.error_detail);
    if (r.outcome != Outcome::kSuccess) continue;
    CHECK(r.output_tokens == 32);
    CHECK(r.token_chunks == 32);
    CHECK(r.output_source == TokenSource::kFinalUsage);
    // The prompt is sized from 4 characters per token, then calibrated from the mock's count
    // (words): the first request is short, the second within a token, the rest exact.
    if (r.input_tokens != 24) ++uncalibrated;
    CHECK(r.input_tokens_from_server);
  }
  CHECK(uncalibrated <= 2);
  auto levels = ByLevel(run.results);
  for (int level : {1, 8}) {
    CAPTURE(level);
    Measured& m = levels[level];
    REQUIRE(m.n >= (level == 1 ? 2 : 16));
    const double ttft50 = Quantile(m.ttft, 0.5), tpot50 = Quantile(m.tpot, 0.5);
    const double e2e50 = Quantile(m.e2e, 0.5), ttfc50 = Quantile(m.ttfc, 0.5);
    std::printf(
        "concurrency %d: n=%d ttft p50 %.3f ms (max %.3f), tpot p50 %.4f ms (max %.4f), "
        "e2e p50 %.3f ms (max %.3f)\n",
        level, m.n, ttft50, m.ttft.back(), tpot50, m.tpot.back(), e2e50, m.e2e.back());
    TIMING_CHECK(std::abs(ttft50 - 200.0) <= 3.0);
    TIMING_CHECK(std::abs(tpot50 - 20.0) <= 0.5);
    TIMING_CHECK(std::abs(e2e50 - (200.0 + 31 * 20.0)) <= 5.0);
    CHECK(std::abs(ttfc50 - ttft50) < 1e-9);  // no reasoning: first token is content
    for (double v : m.tpot) TIMING_CHECK(std::abs(v - 20.0) <= 0.5);
    // The cumulative histogram agrees with the per-request measurements.
    const std::string labels =
        "{concurrency=\"" + std::to_string(level) + "\",model=\"mock-model\",target=\"mock\"}";
    const double count =
        ScrapeValue(run.metrics, "llmprobe_time_to_first_token_seconds_count" + labels);
    const double sum =
        ScrapeValue(run.metrics, "llmprobe_time_to_first_token_seconds_sum" + labels);
    CHECK(count == m.n);
    double expected_sum = 0;
    for (double v : m.ttft) expected_sum += v / 1e3;
    CHECK(sum == doctest::Approx(expected_sum).epsilon(1e-9));
    const double ok =
        ScrapeValue(run.metrics, "llmprobe_requests_total{concurrency=\"" + std::to_string(level) +
                                     "\",model=\"mock-model\",outcome=\"success\","
                                     "target=\"mock\"}");
    CHECK(ok >= m.n);
  }
}

TEST_CASE("reasoning deltas move TTFT but not time to first content") {
  MockOptions mo;
  mo.ttft_ns = 100 * kNanosPerMilli;
  mo.tpot_ns = 10 * kNanosPerMilli;
  mo.reasoning_tokens = 5;
  const Run run = RunAgainstMock(mo, "[2]", "2s", std::chrono::milliseconds(1500));
  auto levels = ByLevel(run.results);
  Measured& m = levels[2];
  REQUIRE(m.n >= 4);
  TIMING_CHECK(std::abs(Quantile(m.ttft, 0.5) - 100.0) <= 3.0);
  TIMING_CHECK(std::abs(Quantile(m.ttfc, 0.5) - 150.0) <= 3.0);
  CHECK(
      Quantile(m.ttfc, 0.5) >
      Quantile(m.ttft, 0.5));  // in any build: reasoning came first  // 5 reasoning tokens at 10 ms
}
