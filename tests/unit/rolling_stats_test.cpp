#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

#include "stats/RollingStats.h"

using namespace llmprobe;

namespace {

constexpr int64_t kMs = kNanosPerMilli;
constexpr int64_t kSec = kNanosPerSecond;

const std::string kTarget = "t1";
const std::string kModel = "m1";
const SeriesKey kKey{&kTarget, &kModel};

// A request served on a known schedule: token k (0-based) at start + ttft + k*tpot.
RequestResult Scheduled(LevelId level, MonoNanos start, int64_t ttft, int64_t tpot, int n,
                        Outcome outcome = Outcome::kSuccess) {
  RequestResult r;
  r.outcome = outcome;
  r.level = level;
  r.http_status = 200;
  r.timing.t_intended = r.timing.t_start = start;
  r.timing.t_headers = start + ttft / 2;
  r.timing.t_first_token = r.timing.t_first_content = start + ttft;
  for (int k = 1; k < n; ++k) r.itl.push_back(ItlGap{tpot, 1});
  r.timing.t_last_token = r.timing.t_end = start + ttft + (n - 1) * tpot;
  r.output_tokens = r.token_chunks = n;
  return r;
}

// A request that failed before any token.
RequestResult Failed(LevelId level, MonoNanos start, Outcome outcome) {
  RequestResult r;
  r.outcome = outcome;
  r.level = level;
  r.timing.t_intended = r.timing.t_start = start;
  r.timing.t_end = start + 10 * kMs;
  return r;
}

const RollingLevelSnapshot& LevelOf(const std::vector<RollingTargetSnapshot>& snap,
                                    const LevelId& level) {
  REQUIRE(snap.size() == 1);
  for (const RollingLevelSnapshot& l : snap[0].levels) {
    if (l.level == level) return l;
  }
  FAIL("level not in snapshot");
  return snap[0].levels[0];
}

const SloStatus* SloOf(const RollingTargetSnapshot& t, SloKind kind) {
  for (const SloStatus& s : t.slos) {
    if (s.kind == kind) return &s;
  }
  return nullptr;
}

bool Near(double value, double expected, double rel) {
  return std::abs(value - expected) <= rel * std::abs(expected);
}

}  // namespace

TEST_CASE("rolling stats of a steady closed-loop stream: exact throughput and latencies") {
  const int c = 8, n = 64;
  const int64_t ttft = 200 * kMs, tpot = 20 * kMs;
  const int64_t d = ttft + (n - 1) * tpot;  // 1.46 s per request, back to back
  const MonoNanos stage = 1000 * kSec, measure_from = stage + 5 * kSec,
                  stage_end = measure_from + 120 * kSec;
  const LevelId level = LevelId::Concurrency(c);
  FakeClock clock(stage);
  RollingStats stats(clock);
  SloConfig slo;
  slo.time_to_first_token_ns = 300 * kMs;
  stats.AddTarget(kTarget, kModel, slo, 60 * kSec);

  std::vector<RequestResult> results;
  for (int s = 0; s < c; ++s) {
    for (MonoNanos t = stage + s * d / c; t < stage_end; t += d) {
      results.push_back(Scheduled(level, t, ttft, tpot, n));
      results.back().warmup = t < measure_from;
    }
  }
  std::sort(results.begin(), results.end(), [](const RequestResult& a, const RequestResult& b) {
    return a.timing.t_last_token < b.timing.t_last_token;
  });
  stats.MeasuringStarted(kTarget, level, measure_from);
  size_t i = 0;
  for (; i < results.size() && results[i].timing.t_last_token < stage_end; ++i) {
    stats.Record(kKey, results[i]);
  }
  stats.MeasuringStopped(kTarget, level, stage_end);
  for (; i < results.size(); ++i) stats.Record(kKey, results[i]);  // the drain
  clock.Set(stage_end + 30 * kSec);

  // 120 s active, 20 slices of 3 s: slices 21..40 retained, covering active 63 s .. 120 s.
  const MonoNanos from = measure_from + 63 * kSec;
  uint64_t want_requests = 0, want_tokens = 0;
  for (const RequestResult& r : results) {
    if (r.timing.t_start >= from && r.timing.t_start < stage_end) ++want_requests;
    for (int k = 0; k < n; ++k) {
      const MonoNanos t = r.timing.t_first_token + k * tpot;
      if (t >= from && t < stage_end) ++want_tokens;
    }
  }
  const auto snap = stats.Snapshot();
  const RollingLevelSnapshot& l = LevelOf(snap, level);
  CHECK_FALSE(l.measuring);
  CHECK(l.active_seconds == doctest::Approx(57.0));
  CHECK(l.requests == want_requests);
  CHECK(l.output_tokens == want_tokens);
  CHECK(l.errors == 0);
  CHECK(l.good == l.requests);
  CHECK(l.error_ratio == 0);
  const double tps = static_cast<double>(c * n) / NanosToSeconds(d);
  const double rps = c / NanosToSeconds(d);
  MESSAGE("throughput " << l.output_tokens_per_second << " tok/s, expected " << tps);
  CHECK(Near(l.output_tokens_per_second, tps, 0.005));
  CHECK(Near(l.requests_per_second, rps, 0.01));
  CHECK(Near(l.time_to_first_token.p50, 0.2, 0.01));
  CHECK(Near(l.time_to_first_token.p99, 0.2, 0.01));
  CHECK(Near(l.time_per_output_token.p50, 0.02, 0.01));
  CHECK(Near(l.inter_token_latency.p50, 0.02, 0.01));
  CHECK(Near(l.inter_token_latency.p90, 0.02, 0.01));
  CHECK(Near(l.request_duration.p50, NanosToSeconds(d), 0.01));
  REQUIRE(l.slo.size() == 1);
  CHECK(l.slo[0].kind == SloKind::kTimeToFirstToken);
  CHECK(l.slo[0].within == l.requests);
  CHECK(l.slo[0].fraction == 1.0);
  CHECK(snap[0].window_seconds == 60.0);
  CHECK(snap[0].model == kModel);

  // Frozen while not measuring: the same numbers an hour later.
  clock.Advance(3600 * kSec);
  const auto later = stats.Snapshot();
  CHECK(LevelOf(later, level).output_tokens == want_tokens);
  CHECK(LevelOf(later, level).active_seconds == doctest::Approx(57.0));
}

TEST_CASE("rolling stats: tokens arriving in the drain are not counted") {
  const LevelId level = LevelId::Concurrency(2);
  FakeClock clock(0);
  RollingStats stats(clock);
  stats.AddTarget(kTarget, kModel, SloConfig{}, 100 * kSec);
  stats.MeasuringStarted(kTarget, level, 10 * kSec);
  stats.MeasuringStopped(kTarget, level, 20 * kSec);
  clock.Set(30 * kSec);

  // Started at 19.5 s: tokens at 19.7, 19.8, 19.9, 20.0, 20.1 -> 3 before the stage end.
  stats.Record(kKey, Scheduled(level, 19'500 * kMs, 200 * kMs, 100 * kMs, 5));
  auto l = LevelOf(stats.Snapshot(), level);
  CHECK(l.output_tokens == 3);
  CHECK(l.requests == 1);  // started while measuring

  // The ladder says 10 tokens over chunks of 1+1+1: the excess 7 arrives with the last chunk,
  // after the stage end.
  RequestResult r = Scheduled(level, 19'700 * kMs, 100 * kMs, 100 * kMs, 3);  // 19.8 19.9 20.0
  r.output_tokens = 10;
  stats.Record(kKey, r);
  CHECK(LevelOf(stats.Snapshot(), level).output_tokens == 3 + 2);

  // Fewer by the ladder than the chunks carried: the last chunks are trimmed.
  r = Scheduled(level, 11 * kSec, 100 * kMs, 100 * kMs, 1);
  r.itl = {ItlGap{100 * kMs, 2}, ItlGap{100 * kMs, 2}, ItlGap{100 * kMs, 2}};
  r.output_tokens = 4;
  stats.Record(kKey, r);
  CHECK(LevelOf(stats.Snapshot(), level).output_tokens == 5 + 4);

  // A failed request's delivered tokens count; a warm-up request's tokens too, though it is
  // not a counted request. Tokens before the measuring start do not count.
  r = Scheduled(level, 12 * kSec, 100 * kMs, 100 * kMs, 4, Outcome::kReadError);
  stats.Record(kKey, r);
  r = Scheduled(level, 9'800 * kMs, 100 * kMs, 100 * kMs, 4);  // 9.9 10.0 10.1 10.2
  r.warmup = true;
  stats.Record(kKey, r);
  l = LevelOf(stats.Snapshot(), level);
  CHECK(l.output_tokens == 9 + 4 + 3);
  CHECK(l.requests == 4);
  CHECK(l.errors == 1);
  CHECK(l.output_tokens_per_second == doctest::Approx(16.0 / 10.0));
}

TEST_CASE("rolling stats: warm-up and canceled requests are kept out of counts and latency") {
  const LevelId level = LevelId::Concurrency(1);
  FakeClock clock(0);
  RollingStats stats(clock);
  stats.AddTarget(kTarget, kModel, SloConfig{}, 100 * kSec);
  stats.MeasuringStarted(kTarget, level, 0);
  RequestResult warm = Scheduled(level, 1 * kSec, 5 * kSec, 100 * kMs, 2);
  warm.warmup = true;  // flagged by the scheduler: not counted even inside the interval
  stats.Record(kKey, warm);
  stats.Record(kKey, Scheduled(level, 2 * kSec, 9 * kSec, 100 * kMs, 2, Outcome::kCanceled));
  stats.Record(kKey, Scheduled(level, 3 * kSec, 100 * kMs, 100 * kMs, 2));
  clock.Set(20 * kSec);
  const auto l = LevelOf(stats.Snapshot(), level);
  CHECK(l.measuring);
  CHECK(l.requests == 1);
  CHECK(l.errors == 0);
  CHECK(l.time_to_first_token.p99 == doctest::Approx(0.1));
  CHECK(l.output_tokens == 6);  // delivered tokens of all three count
}

TEST_CASE("rolling stats: error ratio and its SLO") {
  const LevelId level = LevelId::Concurrency(4);
  FakeClock clock(0);
  RollingStats stats(clock);
  SloConfig slo;
  slo.error_ratio = 0.2;
  stats.AddTarget(kTarget, kModel, slo, 100 * kSec);

  auto snap = stats.Snapshot();  // no data yet: holds, flagged
  REQUIRE(snap[0].slos.size() == 1);
  CHECK(snap[0].slos[0].kind == SloKind::kErrorRatio);
  CHECK_FALSE(snap[0].slos[0].has_data);
  CHECK(snap[0].slos[0].holds);
  CHECK(std::isnan(snap[0].slos[0].measured));

  stats.MeasuringStarted(kTarget, level, 0);
  for (int i = 0; i < 7; ++i) stats.Record(kKey, Scheduled(level, i * kSec, kSec / 10, 0, 1));
  for (int i = 0; i < 3; ++i) {
    stats.Record(kKey, Failed(level, (10 + i) * kSec, Outcome::kHttpServerError));
    RequestResult w = Failed(level, (10 + i) * kSec, Outcome::kConnectRefused);
    w.warmup = true;
    stats.Record(kKey, w);
  }
  stats.Record(kKey, Failed(level, 14 * kSec, Outcome::kCanceled));
  clock.Set(20 * kSec);
  snap = stats.Snapshot();
  const auto& l = LevelOf(snap, level);
  CHECK(l.requests == 10);
  CHECK(l.errors == 3);
  CHECK(l.error_ratio == doctest::Approx(0.3));
  CHECK(l.requests_per_second == doctest::Approx(0.5));
  const SloStatus* s = SloOf(snap[0], SloKind::kErrorRatio);
  REQUIRE(s != nullptr);
  CHECK(s->has_data);
  CHECK(s->measured == doctest::Approx(0.3));
  CHECK(s->objective == 0.2);
  CHECK(s->count == 3);
  CHECK(s->total == 10);
  CHECK_FALSE(s->holds);
}

TEST_CASE("rolling stats: SLO good counts and holds over all levels") {
  const LevelId c1 = LevelId::Concurrency(1), c4 = LevelId::Concurrency(4);
  FakeClock clock(0);
  RollingStats stats(clock);
  SloConfig slo;
  slo.time_to_first_token_ns = 300 * kMs;
  slo.time_per_output_token_ns = 30 * kMs;
  slo.request_duration_ns = 2 * kSec;
  slo.objective = 0.8;
  stats.AddTarget(kTarget, kModel, slo, 100 * kSec);
  stats.MeasuringStarted(kTarget, c1, 0);
  stats.Record(kKey, Scheduled(c1, 1 * kSec, 200 * kMs, 20 * kMs, 10));  // meets all
  stats.Record(kKey, Scheduled(c1, 2 * kSec, 400 * kMs, 20 * kMs, 10));  // TTFT too slow
  stats.Record(kKey, Scheduled(c1, 3 * kSec, 200 * kMs, 40 * kMs, 10));  // TPOT too slow
  stats.MeasuringStopped(kTarget, c1, 10 * kSec);
  stats.MeasuringStarted(kTarget, c4, 10 * kSec);
  stats.Record(kKey, Scheduled(c4, 11 * kSec, 250 * kMs, 0, 1));           // one token: no TPOT
  stats.Record(kKey, Scheduled(c4, 12 * kSec, 100 * kMs, 29 * kMs, 100));  // 2.97 s: too long
  stats.Record(kKey, Failed(c4, 13 * kSec, Outcome::kTimeoutTotal));       // not in latency SLOs
  clock.Set(20 * kSec);
  const auto snap = stats.Snapshot();
  CHECK(LevelOf(snap, c1).good == 1);
  CHECK(LevelOf(snap, c4).good == 1);
  const auto& l1 = LevelOf(snap, c1);
  REQUIRE(l1.slo.size() == 3);
  CHECK(l1.slo[0].kind == SloKind::kTimeToFirstToken);
  CHECK(l1.slo[0].within == 2);
  CHECK(l1.slo[0].total == 3);
  CHECK(l1.slo[1].within == 2);  // TPOT
  CHECK(l1.slo[2].within == 3);  // duration
  CHECK(l1.slo[0].fraction == doctest::Approx(2.0 / 3));

  const SloStatus* ttft = SloOf(snap[0], SloKind::kTimeToFirstToken);
  const SloStatus* tpot = SloOf(snap[0], SloKind::kTimePerOutputToken);
  const SloStatus* dur = SloOf(snap[0], SloKind::kRequestDuration);
  REQUIRE(ttft != nullptr);
  REQUIRE(tpot != nullptr);
  REQUIRE(dur != nullptr);
  CHECK(SloOf(snap[0], SloKind::kErrorRatio) == nullptr);  // not configured
  CHECK(ttft->count == 4);
  CHECK(ttft->total == 5);
  CHECK(ttft->holds);  // 0.8 >= 0.8
  CHECK(ttft->threshold == doctest::Approx(0.3));
  CHECK(tpot->count == 3);
  CHECK(tpot->total == 4);  // the one-token answer has no TPOT
  CHECK_FALSE(tpot->holds);
  CHECK(dur->count == 4);
  CHECK(dur->total == 5);
  CHECK(dur->holds);
  CHECK(SloKindName(SloKind::kTimePerOutputToken) == "time_per_output_token");
}

TEST_CASE("rolling stats: open-loop latency is measured from the intended start") {
  const LevelId level = LevelId::Rate(2.0);
  FakeClock clock(0);
  RollingStats stats(clock);
  stats.AddTarget(kTarget, kModel, SloConfig{}, 100 * kSec);
  stats.MeasuringStarted(kTarget, level, 10 * kSec);
  stats.MeasuringStopped(kTarget, level, 40 * kSec);
  // Every request was sent 300 ms late; the server took 200 ms to the first of 10 tokens.
  for (int i = -1; i < 60; ++i) {
    const MonoNanos intended = i < 0 ? 9'900 * kMs : 10 * kSec + i * 500 * kMs;
    RequestResult r = Scheduled(level, intended + 300 * kMs, 200 * kMs, 20 * kMs, 10);
    r.timing.t_intended = intended;
    stats.Record(kKey, r);  // i = -1: intended before measuring, sent after: not counted
  }
  clock.Set(50 * kSec);
  const auto l = LevelOf(stats.Snapshot(), level);
  CHECK(l.requests == 60);
  CHECK(l.requests_per_second == doctest::Approx(2.0));
  CHECK(Near(l.time_to_first_token.p50, 0.5, 0.01));
  CHECK(Near(l.request_duration.p50, 0.68, 0.01));
  CHECK(Near(l.time_per_output_token.p50, 0.02, 0.01));
}

TEST_CASE("rolling stats: slices expire as active time advances, paused levels keep theirs") {
  const LevelId a = LevelId::Concurrency(1), b = LevelId::Concurrency(2);
  FakeClock clock(0);
  RollingStats stats(clock);
  stats.AddTarget(kTarget, kModel, SloConfig{}, 10 * kSec);  // 20 slices of 0.5 s
  stats.MeasuringStarted(kTarget, a, 0);
  stats.Record(kKey, Scheduled(a, 1 * kSec, 100 * kMs, 10 * kMs, 2));
  clock.Set(5 * kSec);
  CHECK(LevelOf(stats.Snapshot(), a).requests == 1);
  CHECK(LevelOf(stats.Snapshot(), a).active_seconds == doctest::Approx(5.0));
  CHECK(LevelOf(stats.Snapshot(), a).requests_per_second == doctest::Approx(0.2));
  clock.Set(10'400 * kMs);
  CHECK(LevelOf(stats.Snapshot(), a).requests == 1);
  CHECK(LevelOf(stats.Snapshot(), a).active_seconds == doctest::Approx(9.9));
  stats.MeasuringStopped(kTarget, a, 10'400 * kMs);

  // b runs for a long time; a keeps its window.
  stats.MeasuringStarted(kTarget, b, 10'400 * kMs);
  clock.Set(100 * kSec);
  auto snap = stats.Snapshot();
  CHECK(LevelOf(snap, a).requests == 1);
  CHECK_FALSE(LevelOf(snap, a).measuring);
  CHECK(LevelOf(snap, b).measuring);
  CHECK(LevelOf(snap, b).requests == 0);
  CHECK(std::isnan(LevelOf(snap, b).error_ratio));
  CHECK(std::isnan(LevelOf(snap, b).time_to_first_token.p50));
  stats.MeasuringStopped(kTarget, b, 100 * kSec);

  // a resumes: its active clock moves on from 10.4 s and the slice of 1 s expires at 11 s.
  stats.MeasuringStarted(kTarget, a, 200 * kSec);
  clock.Set(200'500 * kMs);  // active 10.9 s
  CHECK(LevelOf(stats.Snapshot(), a).requests == 1);
  clock.Set(200'600 * kMs);  // active 11.0 s
  CHECK(LevelOf(stats.Snapshot(), a).requests == 0);
}

TEST_CASE("rolling stats: unknown targets and levels are ignored, AddTarget updates") {
  FakeClock clock(0);
  RollingStats stats(clock);
  const std::string other = "other";
  stats.MeasuringStarted(other, LevelId::Concurrency(1), 0);  // unknown target
  stats.Record(SeriesKey{&other, &kModel}, Scheduled(LevelId::Concurrency(1), 1, 1, 1, 2));
  stats.Record(SeriesKey{}, Scheduled(LevelId::Concurrency(1), 1, 1, 1, 2));
  CHECK(stats.Snapshot().empty());
  stats.AddTarget(kTarget, kModel, SloConfig{}, 100 * kSec);
  stats.Record(kKey, Scheduled(LevelId::Concurrency(1), 1, 1, 1, 2));  // level not started
  CHECK(stats.Snapshot()[0].levels.empty());
  stats.MeasuringStarted(kTarget, LevelId::Concurrency(1), 0);
  stats.Record(kKey, Scheduled(LevelId::Concurrency(1), 1, 1, 1, 2));
  clock.Set(kSec);
  CHECK(stats.Snapshot()[0].levels[0].requests == 1);
  stats.AddTarget(kTarget, "m2", SloConfig{}, 100 * kSec);  // same window: levels kept
  CHECK(stats.Snapshot()[0].model == "m2");
  CHECK(stats.Snapshot()[0].levels.size() == 1);
  stats.AddTarget(kTarget, "m2", SloConfig{}, 50 * kSec);  // new window: windows emptied
  REQUIRE(stats.Snapshot()[0].levels.size() == 1);
  CHECK(stats.Snapshot()[0].levels[0].requests == 0);
  CHECK(stats.Snapshot()[0].levels[0].measuring);  // still measuring, from now on
  CHECK(stats.Snapshot()[0].window_seconds == 50.0);
  stats.Record(kKey, Scheduled(LevelId::Concurrency(1), 2 * kSec, 1, 1, 2));
  clock.Set(3 * kSec);
  CHECK(stats.Snapshot()[0].levels[0].requests == 1);
  CHECK(stats.Snapshot()[0].levels[0].active_seconds == doctest::Approx(2.0));
  stats.RemoveTarget(kTarget);
  CHECK(stats.Snapshot().empty());
}

TEST_CASE("rolling stats: concurrent Record from several threads") {
  const LevelId level = LevelId::Concurrency(4);
  FakeClock clock(0);
  RollingStats stats(clock);
  stats.AddTarget(kTarget, kModel, SloConfig{}, 1000 * kSec);
  stats.MeasuringStarted(kTarget, level, 0);
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 500; ++i) {
        stats.Record(kKey, Scheduled(level, (th * 500 + i) * 100 * kMs, 50 * kMs, 10 * kMs, 5));
        if (i % 100 == 0) (void)stats.Snapshot();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  clock.Set(300 * kSec);
  const auto l = LevelOf(stats.Snapshot(), level);
  CHECK(l.requests == 2000);
  CHECK(l.output_tokens == 10000);
}
