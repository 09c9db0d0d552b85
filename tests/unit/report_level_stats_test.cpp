#include <doctest/doctest.h>

#include <cmath>
#include <thread>

#include "report/LevelStats.h"
#include "unit/report_schedule.h"

using namespace llmprobe;
using llmprobe::testing::Schedule;
using llmprobe::testing::ScheduledLevel;
using llmprobe::testing::ScheduledReport;

namespace {

constexpr double kS = 1e-9;  // seconds per ns

// A successful request with the given start and latency, one token per 1 ms gap.
RequestResult Request(MonoNanos start, int64_t ttft_ns, int64_t latency_ns) {
  RequestResult r;
  r.level = LevelId::Concurrency(1);
  r.timing.t_start = start;
  r.timing.t_first_token = start + ttft_ns;
  r.timing.t_last_token = start + latency_ns;
  r.timing.t_end = r.timing.t_last_token;
  r.output_tokens = 2;
  r.itl = {ItlGap{latency_ns - ttft_ns, 1}};
  return r;
}

}  // namespace

TEST_CASE("report level stats: a known closed-loop schedule gives the injected values") {
  for (int c : {1, 4, 8}) {
    CAPTURE(c);
    Schedule s;
    s.concurrency = c;
    const LevelReport r = ScheduledReport(s);
    const double d = static_cast<double>(s.DurationNs()) * kS;  // 1.36 s
    CHECK(r.level == LevelId::Concurrency(c));
    CHECK(r.errors == 0);
    CHECK(r.successes == r.requests);
    CHECK(r.warmup_requests > 0);
    // Exact per-request values: every request has the same schedule.
    CHECK(r.ttft.p50_seconds == doctest::Approx(0.100).epsilon(1e-12));
    CHECK(r.ttft.p99_seconds == doctest::Approx(0.100).epsilon(1e-12));
    CHECK(r.tpot.p50_seconds == doctest::Approx(0.020).epsilon(1e-12));
    CHECK(r.tpot.p90_seconds == doctest::Approx(0.020).epsilon(1e-12));
    CHECK(r.itl.p50_seconds == doctest::Approx(0.020).epsilon(1e-12));
    CHECK(r.itl.p99_seconds == doctest::Approx(0.020).epsilon(1e-12));
    CHECK(r.itl.count == r.successes * (s.tokens - 1));
    CHECK(r.latency.p50_seconds == doctest::Approx(d).epsilon(1e-12));
    CHECK(r.latency.p99_seconds == doctest::Approx(d).epsilon(1e-12));
    CHECK(r.ttfc.p50_seconds == doctest::Approx(0.100).epsilon(1e-12));
    CHECK(r.input_tokens_mean == doctest::Approx(128));
    CHECK(r.output_tokens_mean == doctest::Approx(64));
    // Throughput across all concurrent requests: c * n / (ttft + (n - 1) * tpot), within 0.5%.
    CHECK(r.output_tokens_per_second ==
          doctest::Approx(s.ExpectedTokensPerSecond()).epsilon(0.005));
    CHECK(r.requests_per_second == doctest::Approx(c / d).epsilon(0.005));
    CHECK(r.measured_seconds == doctest::Approx(600));
    CHECK_FALSE(r.interval_from_requests);
    CHECK(r.goodput == 1.0);
    CHECK(r.stability.evaluated);
    CHECK(r.stability.stable);
    CHECK(r.stability.max_relative_difference == 0);
  }
}

TEST_CASE("report level stats: tokens of warm-up requests inside the interval count") {
  // At c = 8 the 8 requests in flight when warm-up ends are warm-up requests: leaving out their
  // tokens would cost about one request duration of output (1.36 s of 20 s = 7%).
  Schedule s;
  s.concurrency = 8;
  s.measure_ns = 20 * kNanosPerSecond;
  const LevelReport r = ScheduledReport(s);
  CHECK(r.output_tokens_per_second == doctest::Approx(s.ExpectedTokensPerSecond()).epsilon(0.03));
}

TEST_CASE("report level stats: multi-token chunks and usage counts reconstruct token arrivals") {
  RequestResult r;
  r.level = LevelId::Concurrency(1);
  r.timing.t_start = 0;
  r.timing.t_first_token = 100;
  r.timing.t_last_token = 400;
  r.timing.t_end = 400;
  r.output_tokens = 10;  // 1 + 3 + 2 chunk tokens, 4 more from usage on the last chunk
  r.itl = {ItlGap{100, 3}, ItlGap{200, 2}};  // chunks at 100 (1), 200 (3), 400 (2 + 4)
  const std::vector<RequestResult> one = {r};
  CHECK(ComputeLevelReport(r.level, one, 0, 1000).output_tokens_in_interval == 10);
  CHECK(ComputeLevelReport(r.level, one, 150, 1000).output_tokens_in_interval == 9);
  CHECK(ComputeLevelReport(r.level, one, 0, 400).output_tokens_in_interval == 4);  // half-open
  CHECK(ComputeLevelReport(r.level, one, 201, 399).output_tokens_in_interval == 0);
  // ITL: 3 samples of 33.3 ns, 2 samples of 100 ns.
  const LevelReport rep = ComputeLevelReport(r.level, one, 0, 1000);
  CHECK(rep.itl.count == 5);
  CHECK(rep.itl.p50_seconds == doctest::Approx(100.0 / 3 * kS));
  CHECK(rep.itl.p90_seconds == doctest::Approx(100 * kS));
  CHECK(rep.output_tokens_per_second == doctest::Approx(10 / (1000 * kS)));

  // A usage count below the chunk count caps the chunks.
  r.output_tokens = 2;
  const std::vector<RequestResult> capped = {r};
  CHECK(ComputeLevelReport(r.level, capped, 0, 1000).output_tokens_in_interval == 2);
}

TEST_CASE("report level stats: nearest-rank quantiles over all samples") {
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  CHECK(NearestRank(v, 0.50) == 50);
  CHECK(NearestRank(v, 0.90) == 90);
  CHECK(NearestRank(v, 0.99) == 99);
  CHECK(NearestRank(v, 1.0) == 100);
  CHECK(NearestRank(v, 0.0) == 1);
  const std::vector<double> three = {1, 2, 3};
  CHECK(NearestRank(three, 0.5) == 2);
  CHECK(NearestRank(three, 0.99) == 3);

  // Latencies 1..200 ms in shuffled start order: p50 100 ms, p90 180 ms, p99 198 ms.
  std::vector<RequestResult> results;
  for (int i = 0; i < 200; ++i) {
    const int64_t ms = (i * 77) % 200 + 1;  // a permutation of 1..200
    results.push_back(Request(i * kNanosPerSecond, ms * kNanosPerMilli / 2, ms * kNanosPerMilli));
  }
  const LevelReport r = ComputeLevelReport(LevelId::Concurrency(1), results, -1, -1);
  CHECK(r.latency.count == 200);
  CHECK(r.latency.p50_seconds == doctest::Approx(0.100));
  CHECK(r.latency.p90_seconds == doctest::Approx(0.180));
  CHECK(r.latency.p99_seconds == doctest::Approx(0.198));
  CHECK(r.latency.min_seconds == doctest::Approx(0.001));
  CHECK(r.latency.max_seconds == doctest::Approx(0.200));
  CHECK(r.latency.mean_seconds == doctest::Approx(0.1005));
  CHECK(r.ttft.p50_seconds == doctest::Approx(0.050));
  CHECK(r.interval_from_requests);  // no interval given
  CHECK_FALSE(r.too_few_for_p99);
}

TEST_CASE("report level stats: p50 latency confidence interval from order statistics") {
  auto ci_for = [](int n) {
    std::vector<RequestResult> results;
    for (int i = 1; i <= n; ++i) {
      results.push_back(Request(i * kNanosPerSecond, kNanosPerMilli / 2, i * kNanosPerMilli));
    }
    return ComputeLevelReport(LevelId::Concurrency(1), results, -1, -1).latency_p50_ci;
  };
  // n = 100: 50 -/+ 9.8 -> ranks 40 and 61 (the textbook values).
  MedianInterval ci = ci_for(100);
  CHECK(ci.valid);
  CHECK(ci.confidence == 0.95);
  CHECK(ci.lower_rank == 40);
  CHECK(ci.upper_rank == 61);
  CHECK(ci.lower_seconds == doctest::Approx(0.040));
  CHECK(ci.upper_seconds == doctest::Approx(0.061));
  CHECK_FALSE(ci.clamped);
  // n = 10: 5 -/+ 3.1 -> ranks 1 and 10.
  ci = ci_for(10);
  CHECK(ci.lower_rank == 1);
  CHECK(ci.upper_rank == 10);
  CHECK_FALSE(ci.clamped);
  // n = 5: the interval would reach past the sample; clamped, coverage below 95%.
  ci = ci_for(5);
  CHECK(ci.lower_rank == 1);
  CHECK(ci.upper_rank == 5);
  CHECK(ci.clamped);
  CHECK_FALSE(ci_for(0).valid);
}

TEST_CASE("report level stats: stability flag both ways") {
  // 40 requests: the second half has latency (and TTFT) `factor` times the first half's.
  auto stability = [](double factor) {
    std::vector<RequestResult> results;
    for (int i = 0; i < 40; ++i) {
      const double f = i < 20 ? 1.0 : factor;
      const auto latency = static_cast<int64_t>(1000 * kNanosPerMilli * f);
      const auto ttft = static_cast<int64_t>(100 * kNanosPerMilli * f);
      results.push_back(Request(i * kNanosPerSecond, ttft, latency));
    }
    return ComputeLevelReport(LevelId::Concurrency(1), results, -1, -1).stability;
  };
  Stability s = stability(1.09);
  CHECK(s.evaluated);
  CHECK(s.stable);
  CHECK(s.max_relative_difference == doctest::Approx(0.09));
  CHECK(s.latency_p50_first_seconds == doctest::Approx(1.0));
  CHECK(s.latency_p50_second_seconds == doctest::Approx(1.09));
  s = stability(1.11);
  CHECK(s.evaluated);
  CHECK_FALSE(s.stable);
  CHECK(s.max_relative_difference == doctest::Approx(0.11));
  s = stability(1 / 1.2);  // getting faster is unstable too
  CHECK_FALSE(s.stable);
  CHECK(s.tolerance == kStabilityTolerance);

  // Split by start time, not by order of arrival: shuffled input, same answer.
  std::vector<RequestResult> results;
  for (int i = 39; i >= 0; --i) {
    const int64_t f = i < 20 ? 1 : 2;
    results.push_back(Request(i * kNanosPerSecond, 100 * kNanosPerMilli * f, kNanosPerSecond * f));
  }
  CHECK_FALSE(ComputeLevelReport(LevelId::Concurrency(1), results, -1, -1).stability.stable);

  // Too few requests: not judged.
  results.resize(kMinRequestsForStability - 1);
  const Stability few = ComputeLevelReport(LevelId::Concurrency(1), results, -1, -1).stability;
  CHECK_FALSE(few.evaluated);
  CHECK_FALSE(few.stable);
}

TEST_CASE("report level stats: warm-up, errors, goodput and too few for p99") {
  std::vector<RequestResult> results;
  for (int i = 0; i < 99; ++i) {
    // TTFT 100..198 ms, latency 1 s.
    results.push_back(Request(i * kNanosPerSecond, (100 + i) * kNanosPerMilli, kNanosPerSecond));
  }
  RequestResult warm = Request(1, 5 * kNanosPerSecond, 9 * kNanosPerSecond);
  warm.warmup = true;
  results.push_back(warm);
  RequestResult failed;
  failed.outcome = Outcome::kHttpServerError;
  failed.timing.t_start = 3;
  results.push_back(failed);
  failed.outcome = Outcome::kReadError;
  results.push_back(failed);
  results.push_back(failed);

  SloConfig slo;
  slo.time_to_first_token_ns = 149 * kNanosPerMilli;  // requests 0..49 meet it
  const LevelReport r =
      ComputeLevelReport(LevelId::Concurrency(1), results, 0, 100 * kNanosPerSecond, slo);
  CHECK(r.warmup_requests == 1);
  CHECK(r.requests == 102);
  CHECK(r.successes == 99);
  CHECK(r.errors == 3);
  CHECK(r.errors_by_outcome.size() == 2);
  CHECK(r.errors_by_outcome.at("http_server_error") == 1);
  CHECK(r.errors_by_outcome.at("read_error") == 2);
  CHECK(r.latency.max_seconds == doctest::Approx(1.0));  // the warm-up's 9 s is excluded
  CHECK(r.good_requests == 50);
  CHECK(r.goodput == doctest::Approx(50.0 / 102));
  CHECK(r.too_few_for_p99);
  CHECK(r.requests_started_in_interval == 102);
  CHECK(r.requests_per_second == doctest::Approx(1.02));

  // Without an SLO every success is good.
  const LevelReport plain =
      ComputeLevelReport(LevelId::Concurrency(1), results, 0, 100 * kNanosPerSecond);
  CHECK(plain.good_requests == 99);

  // TPOT and duration thresholds.
  slo = {};
  slo.time_per_output_token_ns = 850 * kNanosPerMilli;  // TPOT = 1 s - TTFT: i >= 50 meet it
  slo.request_duration_ns = kNanosPerSecond;
  CHECK(ComputeLevelReport(LevelId::Concurrency(1), results, 0, 1, slo).good_requests == 49);
}

TEST_CASE("report level stats: LevelStats accumulates from several threads") {
  Schedule s;
  s.concurrency = 4;
  s.measure_ns = 60 * kNanosPerSecond;
  const std::vector<RequestResult> all = ScheduledLevel(s);
  LevelStats stats(LevelId::Concurrency(4));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < all.size(); i += 4) stats.Add(all[i]);
    });
  }
  for (auto& th : threads) th.join();
  stats.SetMeasuredInterval(s.MeasureStart(), s.MeasureEnd());
  CHECK(stats.size() == all.size());
  const LevelReport a = stats.Report();
  const LevelReport b = ScheduledReport(s);
  CHECK(a.requests == b.requests);
  CHECK(a.output_tokens_in_interval == b.output_tokens_in_interval);
  CHECK(a.latency.p50_seconds == b.latency.p50_seconds);
}

TEST_CASE("report level stats: an empty level reports zeros, not garbage") {
  const LevelReport r = ComputeLevelReport(LevelId::Concurrency(2), {}, 0, kNanosPerSecond);
  CHECK(r.requests == 0);
  CHECK(r.ttft.count == 0);
  CHECK(r.output_tokens_per_second == 0);
  CHECK(r.goodput == 0);
  CHECK(r.measured_seconds == doctest::Approx(1.0));
  CHECK_FALSE(r.latency_p50_ci.valid);
  CHECK(r.too_few_for_p99);
  CHECK(std::isfinite(r.input_tokens_mean));
  const LevelReport none = ComputeLevelReport(LevelId::Concurrency(2), {}, -1, -1);
  CHECK(none.measured_seconds == 0);
  CHECK(none.requests_per_second == 0);
}
