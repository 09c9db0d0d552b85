#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

#include "common/BuildInfo.h"
#include "report/BenchReport.h"
#include "unit/report_schedule.h"

using namespace llmprobe;
using llmprobe::testing::SweepConfig;
using llmprobe::testing::SweepReports;

namespace {

// 2026-11-29T17:36:04Z
std::chrono::system_clock::time_point StartTime() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1795973764));
}

BenchReport Sweep(const Budget& budget) {
  return MakeBenchReport(SweepConfig(budget), SweepReports(), StartTime());
}

int ConcurrencyAt(const BenchReport& r, std::optional<size_t> i) {
  REQUIRE(i.has_value());
  return r.levels[*i].level.concurrency;
}

}  // namespace

TEST_CASE("report bench: the sweep's throughput rises with concurrency as predicted") {
  const BenchReport r = Sweep({});
  REQUIRE(r.levels.size() == 5);
  // c * 64 / latency(c); latency 1.45125, 1.5425, 1.725, 2.09, 2.82 s.
  const double expected[] = {64 / 1.45125, 128 / 1.5425, 256 / 1.725, 512 / 2.09, 1024 / 2.82};
  for (size_t i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK(r.levels[i].output_tokens_per_second == doctest::Approx(expected[i]).epsilon(0.01));
  }
  CHECK(r.version == Version());
  CHECK(r.revision == GitRevision());
  CHECK(r.start_time_utc == "2026-11-29T17:36:04Z");
  CHECK_FALSE(r.recommendation.budget_given);
  CHECK(r.recommendation.verdicts.empty());
  CHECK(ConcurrencyAt(r, r.recommendation.peak) == 16);
  CHECK_FALSE(r.recommendation.recommended.has_value());
  CHECK(BenchExitStatus(r) == kBenchExitOk);
  CHECK(r.recommendation.summary.find("Peak throughput: concurrency 16") != std::string::npos);
}

TEST_CASE("report bench: recommendation under a p99 latency budget of 2 s") {
  const BenchReport r = Sweep(Budget::FromLatencyBudget(2 * kNanosPerSecond));
  const Recommendation& rec = r.recommendation;
  CHECK(rec.budget_given);
  REQUIRE(rec.verdicts.size() == 5);
  CHECK(rec.verdicts[2].meets);
  CHECK_FALSE(rec.verdicts[3].meets);
  CHECK(ConcurrencyAt(r, rec.recommended) == 4);
  CHECK(ConcurrencyAt(r, rec.compared) == 8);
  REQUIRE(rec.miss.has_value());
  CHECK(rec.miss->metric == "latency_p99");
  CHECK(rec.miss->value.value() == doctest::Approx(2.09));
  CHECK(rec.miss->limit == doctest::Approx(2.0));
  CHECK(rec.miss->ratio.value() == doctest::Approx(1.045));
  CHECK_FALSE(rec.miss->met);
  CHECK(BenchExitStatus(r) == kBenchExitOk);
  CHECK(rec.summary.find("Recommended: concurrency 4") != std::string::npos);
  CHECK(rec.summary.find("concurrency 8, misses it: latency p99 2.09 s > 2.00 s") !=
        std::string::npos);
}

TEST_CASE("report bench: recommendation under a TTFT p99 budget, and a looser one") {
  Budget ttft;
  ttft.ttft_p99_ns = 250 * kNanosPerMilli;  // TTFT 112.5, 125, 150, 200, 300 ms
  BenchReport r = Sweep(ttft);
  CHECK(ConcurrencyAt(r, r.recommendation.recommended) == 8);
  CHECK(ConcurrencyAt(r, r.recommendation.compared) == 16);
  REQUIRE(r.recommendation.miss.has_value());
  CHECK(r.recommendation.miss->metric == "ttft_p99");
  CHECK(r.recommendation.miss->ratio.value() == doctest::Approx(1.2));

  // Everything fits under 3 s: the highest level, with nothing above it to compare.
  r = Sweep(Budget::FromLatencyBudget(3 * kNanosPerSecond));
  CHECK(ConcurrencyAt(r, r.recommendation.recommended) == 16);
  CHECK_FALSE(r.recommendation.compared.has_value());
  CHECK_FALSE(r.recommendation.miss.has_value());
  CHECK(r.recommendation.summary.find("highest level run") != std::string::npos);
  CHECK(BenchExitStatus(r) == kBenchExitOk);
}

TEST_CASE("report bench: no level meets the budget -> exit status 3 and the lowest level's miss") {
  Budget b;
  b.latency_p50_ns = kNanosPerSecond;
  b.tpot_p50_ns = 20 * kNanosPerMilli;  // TPOT 21.25 ms at c=1: ratio 1.0625 < 1.45 latency
  const BenchReport r = Sweep(b);
  CHECK_FALSE(r.recommendation.recommended.has_value());
  CHECK(ConcurrencyAt(r, r.recommendation.compared) == 1);
  REQUIRE(r.recommendation.miss.has_value());
  CHECK(r.recommendation.miss->metric == "latency_p50");  // the worst of the two
  CHECK(r.recommendation.miss->ratio.value() == doctest::Approx(1.45125));
  CHECK(r.recommendation.verdicts[0].checks.size() == 2);
  CHECK(BenchExitStatus(r) == kBenchExitBudgetMissed);
  CHECK(r.recommendation.summary.find("No level meets the budget") != std::string::npos);
}

TEST_CASE("report bench: a saturated server: the next level meets the budget but is slower") {
  std::vector<LevelReport> levels = SweepReports();
  levels[3].output_tokens_per_second = levels[2].output_tokens_per_second / 2;  // c=8 collapses
  const BenchReport r = MakeBenchReport(
      SweepConfig(Budget::FromLatencyBudget(2500 * kNanosPerMilli)), levels, StartTime());
  CHECK(ConcurrencyAt(r, r.recommendation.recommended) == 4);
  CHECK(ConcurrencyAt(r, r.recommendation.compared) == 8);
  CHECK_FALSE(r.recommendation.miss.has_value());
  CHECK(r.recommendation.summary.find("meets it too but delivers less") != std::string::npos);
}

TEST_CASE("report bench: levels are sorted, a level without successes never meets a budget") {
  std::vector<LevelReport> levels = SweepReports();
  std::reverse(levels.begin(), levels.end());
  LevelReport dead;
  dead.level = LevelId::Concurrency(32);
  dead.requests = 10;
  dead.errors = 10;
  dead.output_tokens_per_second = 1e9;  // would win if it were allowed to
  levels.push_back(dead);
  Budget b = Budget::FromLatencyBudget(100 * kNanosPerSecond);
  b.max_error_ratio = 0.5;
  const BenchReport r = MakeBenchReport(SweepConfig(b), levels, StartTime());
  for (size_t i = 1; i < r.levels.size(); ++i) CHECK(r.levels[i - 1].level < r.levels[i].level);
  CHECK(ConcurrencyAt(r, r.recommendation.recommended) == 16);
  REQUIRE(r.recommendation.miss.has_value());
  CHECK(r.recommendation.miss->metric == "latency_p99");  // a missing value is the worst miss
  CHECK_FALSE(r.recommendation.miss->value.has_value());
  CHECK_FALSE(r.recommendation.verdicts.back().meets);
  CHECK(r.recommendation.verdicts.back().checks[1].metric == "error_ratio");
  CHECK(r.recommendation.verdicts.back().checks[1].value.value() == 1.0);
}

TEST_CASE("report bench: budgets from SLOs state their percentile") {
  SloConfig slo;
  slo.time_to_first_token_ns = 500 * kNanosPerMilli;
  slo.time_per_output_token_ns = 50 * kNanosPerMilli;
  Budget b = Budget::FromSlo(slo);
  CHECK(b.ttft_p99_ns == 500 * kNanosPerMilli);
  CHECK(b.tpot_p99_ns == 50 * kNanosPerMilli);
  CHECK_FALSE(b.latency_p99_ns.has_value());
  CHECK_FALSE(b.max_error_ratio.has_value());
  CHECK(DescribeBudget(b) == "ttft p99 <= 500ms, tpot p99 <= 50ms");
  CHECK(DescribeSlo(slo) == "ttft <= 500ms, tpot <= 50ms");
  CHECK_FALSE(Budget{}.any());
  CHECK(DescribeBudget(Budget{}) == "none");
  slo.error_ratio = 0.01;
  CHECK(Budget::FromSlo(slo).max_error_ratio == 0.01);
  CHECK(DescribeBudget(Budget::FromSlo(slo)).find("error ratio <= 1%") != std::string::npos);
}

TEST_CASE("report bench: config from a target, without secrets") {
  TargetConfig t;
  t.name = "vllm";
  t.model = "llama";
  t.api = ApiKind::kOpenAiCompletions;
  t.url = "http://user:pw@10.0.0.1:8000/v1/completions";
  t.headers["X-Api-Key"] = "secret";
  t.load.concurrency = {1, 4, 16};
  t.load.stage_duration_ns = 30 * kNanosPerSecond;
  t.load.warmup_ns = 2 * kNanosPerSecond;
  const BenchConfig c = BenchConfigFromTarget(t);
  CHECK(c.target == "vllm");
  CHECK(c.api == "openai-completions");
  CHECK(c.url == "http://10.0.0.1:8000/v1/completions");
  CHECK(c.levels.size() == 3);
  CHECK(c.levels[2] == LevelId::Concurrency(16));
  CHECK(DescribeRun(c) ==
        "concurrency levels 1, 4, 16; 30s per level after 2s warm-up; ~128 prompt tokens, max 64 "
        "output tokens");
  CHECK(RedactUrlUserinfo("https://a.example/x@y") == "https://a.example/x@y");
  CHECK(RedactUrlUserinfo("https://u@a.example/") == "https://a.example/");

  t.load.mode = LoadMode::kRate;
  t.load.rate = {0.5, 2};
  const BenchConfig rate = BenchConfigFromTarget(t);
  CHECK(rate.levels[0] == LevelId::Rate(0.5));
  CHECK(DescribeRun(rate).rfind("rate levels (req/s) 0.5, 2;", 0) == 0);
}

TEST_CASE("report bench: UTC ISO 8601 start time") {
  CHECK(FormatUtcIso8601(std::chrono::system_clock::time_point{}) == "1970-01-01T00:00:00Z");
  CHECK(FormatUtcIso8601(StartTime() + std::chrono::milliseconds(999)) == "2026-11-29T17:36:04Z");
}
