// Synthetic bench levels on a known schedule, for the report tests (unit and integration).
// Closed loop: `concurrency` slots, each sending requests back to back; every request yields
// `tokens` tokens, token k (0-based) at t_start + ttft + k * tpot, one token per chunk. The next
// request of a slot starts at the previous one's last token. Slots are staggered evenly over one
// request duration so tokens arrive smoothly. Requests starting before warmup_end are warm-up.
#pragma once

#include <cstdint>
#include <vector>

#include "report/BenchReport.h"
#include "report/LevelStats.h"
#include "stats/RequestResult.h"

namespace llmprobe::testing {

struct Schedule {
  int concurrency = 1;
  int64_t tokens = 64;
  int64_t ttft_ns = 100 * kNanosPerMilli;
  int64_t tpot_ns = 20 * kNanosPerMilli;
  MonoNanos t0 = 1'000 * kNanosPerSecond;  // first request start
  int64_t warmup_ns = 5 * kNanosPerSecond;
  int64_t measure_ns = 600 * kNanosPerSecond;
  int64_t input_tokens = 128;
  // 0: every request exactly on the schedule. > 0: request i's TTFT and TPOT are stretched by
  // a factor 1 + jitter * u_i, u_i in [0, 1) from a fixed pseudo-random sequence (realistic
  // spreads for example outputs; the statistics are then no longer exact).
  double jitter = 0;

  int64_t DurationNs() const { return ttft_ns + (tokens - 1) * tpot_ns; }
  MonoNanos MeasureStart() const { return t0 + warmup_ns; }
  MonoNanos MeasureEnd() const { return MeasureStart() + measure_ns; }
  // Analytic throughput, tokens/s: c * n / (ttft + (n - 1) * tpot).
  double ExpectedTokensPerSecond() const {
    return static_cast<double>(concurrency * tokens) / NanosToSeconds(DurationNs());
  }
};

// One successful request on the schedule starting at `start`; `u` in [0, 1) scales the jitter.
inline RequestResult ScheduledRequest(const Schedule& base, MonoNanos start, double u = 0) {
  Schedule s = base;
  s.ttft_ns = static_cast<int64_t>(static_cast<double>(s.ttft_ns) * (1 + s.jitter * u));
  s.tpot_ns = static_cast<int64_t>(static_cast<double>(s.tpot_ns) * (1 + s.jitter * u * u));
  RequestResult r;
  r.outcome = Outcome::kSuccess;
  r.level = LevelId::Concurrency(s.concurrency);
  r.timing.t_intended = start;
  r.timing.t_start = start;
  r.timing.t_headers = start + s.ttft_ns / 2;
  r.timing.t_first_token = start + s.ttft_ns;
  r.timing.t_first_content = start + s.ttft_ns;
  r.timing.t_last_token = start + s.DurationNs();
  r.timing.t_end = r.timing.t_last_token;
  r.output_tokens = s.tokens;
  r.token_chunks = s.tokens;
  r.input_tokens = s.input_tokens;
  r.input_tokens_from_server = true;
  r.finish = FinishReason::kStop;
  r.itl.assign(static_cast<size_t>(s.tokens - 1), ItlGap{s.tpot_ns, 1});
  return r;
}

// Every request the closed loop sends until the measured interval ends (the last ones finish
// after it, as when a level drains).
inline std::vector<RequestResult> ScheduledLevel(const Schedule& s) {
  std::vector<RequestResult> out;
  const int64_t d = s.DurationNs();
  uint64_t state = 0x2545F4914F6CDD1DULL;  // xorshift64: the same sequence on every platform
  for (int slot = 0; slot < s.concurrency; ++slot) {
    for (MonoNanos start = s.t0 + slot * d / s.concurrency; start < s.MeasureEnd();) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      const double u = static_cast<double>(state >> 11) / 9007199254740992.0;  // 2^53
      RequestResult r = ScheduledRequest(s, start, u);
      r.warmup = start < s.MeasureStart();
      start = r.timing.t_last_token;  // the slot's next request starts at once
      out.push_back(std::move(r));
    }
  }
  return out;
}

inline LevelReport ScheduledReport(const Schedule& s, const SloConfig& slo = {}) {
  const std::vector<RequestResult> results = ScheduledLevel(s);
  return ComputeLevelReport(LevelId::Concurrency(s.concurrency), results, s.MeasureStart(),
                            s.MeasureEnd(), slo);
}

// A sweep over concurrency 1, 2, 4, 8, 16 of a batching server: TTFT and TPOT grow with the
// batch. ttft(c) = 100 ms * (1 + c/8), tpot(c) = 20 ms * (1 + c/16), 64 tokens; latency
// 1.451 s, 1.5425 s, 1.725 s, 2.09 s, 2.82 s.
inline Schedule SweepLevel(int c, int64_t measure_ns = 120 * kNanosPerSecond, double jitter = 0) {
  Schedule s;
  s.jitter = jitter;
  s.concurrency = c;
  s.ttft_ns = 100 * kNanosPerMilli * (8 + c) / 8;
  s.tpot_ns = 20 * kNanosPerMilli * (16 + c) / 16;
  s.measure_ns = measure_ns;
  return s;
}

inline std::vector<LevelReport> SweepReports(int64_t measure_ns = 120 * kNanosPerSecond,
                                             double jitter = 0, const SloConfig& slo = {}) {
  std::vector<LevelReport> levels;
  for (int c : {1, 2, 4, 8, 16}) {
    levels.push_back(ScheduledReport(SweepLevel(c, measure_ns, jitter), slo));
  }
  return levels;
}

inline BenchConfig SweepConfig(const Budget& budget = {}) {
  BenchConfig c;
  c.target = "demo";
  c.model = "mock-model";
  c.api = "openai-chat";
  c.url = "http://127.0.0.1:8000/v1/chat/completions";
  for (int n : {1, 2, 4, 8, 16}) c.levels.push_back(LevelId::Concurrency(n));
  c.duration_per_level_ns = 120 * kNanosPerSecond;
  c.warmup_ns = 5 * kNanosPerSecond;
  c.prompt_tokens = 128;
  c.max_tokens = 64;
  c.budget = budget;
  return c;
}

}  // namespace llmprobe::testing
