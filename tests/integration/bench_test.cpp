// `llmprobe bench` (the real binary) against the mock's batching model: the table's numbers
// per level within 5% of the analytic prediction, the recommended level for two budgets, the
// report files, and the exit codes.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "mock/MockModel.h"
#include "mock/MockServer.h"
#include "support/TestSupport.h"
#include "support/Timing.h"

using namespace llmprobe;
using namespace llmprobe::testing;

namespace {

constexpr int kOutputTokens = 16;
// The bench's prompt has --prompt-tokens words, the mock's token rule.
constexpr int kPromptTokens = 20;

MockOptions BatchingMock() {
  MockOptions mo;
  mo.ttft_ns = 50 * kNanosPerMilli;
  mo.tpot_ns = 10 * kNanosPerMilli;
  mo.tpot_per_stream_ns = 1 * kNanosPerMilli;
  mo.prefill_per_token_ns = kNanosPerMilli / 10;
  mo.max_batch = 16;
  return mo;
}

std::string Bench(int port, const std::string& args) {
  return LlmprobeBinary() + " bench --url http://127.0.0.1:" + std::to_string(port) +
         "/v1/chat/completions --model mock-model --max-tokens " + std::to_string(kOutputTokens) +
         " --prompt-tokens " + std::to_string(kPromptTokens) + " " + args;
}

void CheckWithin(const char* what, int level, double measured, double predicted) {
  const double err = std::abs(measured - predicted) / predicted;
  std::printf("  c=%-3d %-16s measured %9.4f predicted %9.4f error %5.2f%%\n", level, what,
              measured, predicted, err * 100);
  CHECK_MESSAGE(err <= 0.05, what, " at concurrency ", level, ": ", measured, " vs ", predicted);
}

}  // namespace

// Timing precision only: skipped in sanitizer builds (support/Timing.h).
TEST_CASE("bench: levels match the batching model, the recommendation follows the budget" *
          doctest::skip(kSanitizedBuild)) {
  const MockOptions mo = BatchingMock();
  MockServer mock(mo);
  REQUIRE(mock.Start("127.0.0.1", 0).ok());
  TempDir dir;
  const std::string json = dir.path() + "/r.json", csv = dir.path() + "/r.csv",
                    svg = dir.path() + "/r.svg", html = dir.path() + "/r.html";
  std::string out;
  // Budget 300 ms p99: concurrency 4 (e2e 247 ms) fits, 16 (427 ms) does not.
  const int rc = RunShell(Bench(mock.port(),
                                "--concurrency 1,4,16,64 --duration 3s --warmup 2s "
                                "--latency-budget 300ms --json " +
                                    json + " --csv " + csv + " --plot " + svg + " --html " + html),
                          &out);
  std::printf("%s\n", out.c_str());
  CHECK(rc == 0);
  CHECK(out.find("Recommended: concurrency 4 ") != std::string::npos);

  const auto report = nlohmann::json::parse(ReadFile(json));
  REQUIRE(report["levels"].size() == 4);
  std::printf("bench vs the mock's analytic model (max_batch 16):\n");
  for (const auto& level : report["levels"]) {
    const int c = level["level"]["concurrency"].get<int>();
    const MockPrediction p = PredictClosedLoop(mo, c, kOutputTokens, kPromptTokens);
    CHECK(level["errors"].get<int>() == 0);
    CheckWithin("output tokens/s", c, level["output_tokens_per_second"].get<double>(),
                p.throughput_tokens_per_second);
    CheckWithin("TTFT p50 (s)", c, level["ttft_seconds"]["p50"].get<double>(), p.ttft_seconds);
    CheckWithin("TPOT p50 (s)", c, level["tpot_seconds"]["p50"].get<double>(), p.tpot_seconds);
    CheckWithin("latency p50 (s)", c, level["latency_seconds"]["p50"].get<double>(), p.e2e_seconds);
  }
  CHECK(report["recommendation"]["recommended_level"]["concurrency"].get<int>() == 4);
  CHECK(report["recommendation"]["compared_level"]["concurrency"].get<int>() == 16);

  // The report files: JSON against its schema, CSV rows, well-formed SVG and HTML.
  CHECK(RunShell("/usr/bin/python3 -m jsonschema -i " + json +
                     " " LLMPROBE_SOURCE_DIR "/docs/bench-report.schema.json",
                 &out) == 0);
  CHECK(RunShell("xmllint --noout " + svg, &out) == 0);
  CHECK(RunShell("test $(wc -l < " + csv + ") -eq 5", &out) == 0);
  CHECK(ReadFile(html).find("<svg") != std::string::npos);

  // Budget 500 ms p99 on a shorter run: concurrency 16 (427 ms) now fits, 64 does not.
  CHECK(RunShell(Bench(mock.port(),
                       "--concurrency 4,16,64 --requests 48 --warmup 2s "
                       "--latency-budget 500ms"),
                 &out) == 0);
  CHECK_MESSAGE(out.find("Recommended: concurrency 16 ") != std::string::npos, out);
  mock.Stop();
}

TEST_CASE("bench: exit codes (3 when no level meets the budget, 2 for unusable input)") {
  MockOptions mo;
  mo.ttft_ns = 50 * kNanosPerMilli;
  mo.tpot_ns = 5 * kNanosPerMilli;
  MockServer mock(mo);
  REQUIRE(mock.Start("127.0.0.1", 0).ok());
  std::string out;
  CHECK(RunShell(Bench(mock.port(),
                       "--concurrency 1 --requests 3 --warmup 0s "
                       "--latency-budget 20ms"),
                 &out) == 3);
  CHECK(RunShell(Bench(mock.port(),
                       "--concurrency 1 --requests 3 --warmup 0s "
                       "--slo ttft=1s,tpot=1s"),
                 &out) == 0);
  CHECK(RunShell(Bench(mock.port(), "--concurrency 0"), &out) == 2);
  CHECK(RunShell(Bench(mock.port(), "--slo speed=fast"), &out) == 2);
  CHECK(RunShell(LlmprobeBinary() + " bench --model m", &out) == 2);
  CHECK(RunShell(LlmprobeBinary() + " bench --config.file /nonexistent.yaml", &out) == 2);
  mock.Stop();
}
