// The live throughput-latency curve: the daemon's rolling windows against the mock's batching
// model, whose steady state is known analytically (mock/MockModel.h). Issue 3: throughput and
// TTFT/TPOT p50 within 5% of the prediction at concurrency 1, 4, 16 and 64.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "app/Daemon.h"
#include "config/ConfigLoader.h"
#include "mock/MockModel.h"
#include "mock/MockServer.h"
#include "support/TestSupport.h"
#include "support/Timing.h"

using namespace llmprobe;
using namespace llmprobe::testing;

namespace {

constexpr int kPromptTokens = 20;  // words: the mock's token rule
constexpr int kOutputTokens = 16;

MockOptions BatchingMock() {
  MockOptions mo;
  mo.ttft_ns = 50 * kNanosPerMilli;
  mo.tpot_ns = 10 * kNanosPerMilli;
  mo.tpot_per_stream_ns = 1 * kNanosPerMilli;
  mo.prefill_per_token_ns = kNanosPerMilli / 10;
  mo.max_batch = 16;
  return mo;
}

void CheckWithin(const char* what, int level, double measured, double predicted, double tol) {
  const double err = std::abs(measured - predicted) / predicted;
  std::printf("  c=%-3d %-22s measured %10.4f predicted %10.4f error %5.2f%%\n", level, what,
              measured, predicted, err * 100);
  CHECK_MESSAGE(err <= tol, what, " at concurrency ", level, ": ", measured, " vs ", predicted);
}

}  // namespace

// Timing precision only: skipped in sanitizer builds (support/Timing.h).
TEST_CASE("rolling curve matches the mock's batching model at concurrency 1, 4, 16, 64" *
          doctest::skip(kSanitizedBuild)) {
  const MockOptions mo = BatchingMock();
  MockServer mock(mo);
  REQUIRE(mock.Start("127.0.0.1", 0).ok());
  const std::string yaml =
      "targets:\n  - name: curve\n    api: openai-chat\n    url: http://127.0.0.1:" +
      std::to_string(mock.port()) +
      "/v1/chat/completions\n    model: mock-model\n"
      "    workload: {prompt_tokens: " +
      std::to_string(kPromptTokens) + ", max_tokens: " + std::to_string(kOutputTokens) +
      "}\n"
      // The warm-up covers the first queueing cycle at 64 (e2e there is ~1.7 s).
      "    load: {concurrency: [1, 4, 16, 64], stage_duration: 6s, warmup: 2s}\n";
  auto cfg = LoadConfigString(yaml, "curve.yaml");
  REQUIRE_MESSAGE(cfg.ok(), cfg.status().message());
  DaemonOptions opts;
  opts.listen_address = "127.0.0.1:0";
  Daemon daemon(cfg.value(), opts);
  REQUIRE(daemon.Start().ok());
  // Four stages of 6 s plus their drains (at most one request each, 1.7 s at 64).
  std::vector<RollingTargetSnapshot> snap;
  for (int i = 0; i < 400; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    snap = daemon.rolling().Snapshot();
    if (!snap.empty() && snap[0].levels.size() == 4 && !snap[0].levels[3].measuring &&
        snap[0].levels[3].requests > 0) {
      break;
    }
  }
  const std::string metrics = daemon.RenderMetrics();
  daemon.Stop();
  mock.Stop();
  REQUIRE(snap.size() == 1);
  REQUIRE(snap[0].levels.size() == 4);
  std::printf("rolling curve vs the mock's analytic model (max_batch 16):\n");
  for (const RollingLevelSnapshot& l : snap[0].levels) {
    const int c = l.level.concurrency;
    const MockPrediction p = PredictClosedLoop(mo, c, kOutputTokens, kPromptTokens);
    CAPTURE(c);
    CHECK(l.errors == 0);
    REQUIRE(l.requests >= 3);
    CheckWithin("output tokens/s", c, l.output_tokens_per_second, p.throughput_tokens_per_second,
                0.05);
    CheckWithin("TTFT p50 (s)", c, l.time_to_first_token.p50, p.ttft_seconds, 0.05);
    CheckWithin("TPOT p50 (s)", c, l.time_per_output_token.p50, p.tpot_seconds, 0.05);
    CheckWithin("request duration p50 (s)", c, l.request_duration.p50, p.e2e_seconds, 0.05);
    // The same numbers are on /metrics.
    const std::string labels =
        "{concurrency=\"" + std::to_string(c) + "\",model=\"mock-model\",target=\"curve\"";
    CHECK(ScrapeValue(metrics, "llmprobe_rolling_output_tokens_per_second" + labels + "}") > 0);
    CHECK(ScrapeValue(metrics, "llmprobe_rolling_time_to_first_token_seconds" + labels +
                                   ",quantile=\"0.5\"}") > 0);
  }
}
