#include <doctest/doctest.h>

#include "stats/TimingRecord.h"

using namespace llmprobe;

TEST_CASE("timing formulas return the injected schedule") {
  // A server that sends token k at t0 + TTFT + k * TPOT, n_out = 32.
  const int64_t t0 = 1'000'000'000, ttft = 200 * kNanosPerMilli, tpot = 20 * kNanosPerMilli;
  const int64_t n = 32;
  TimingRecord r;
  r.t_start = t0;
  r.t_headers = t0 + 5 * kNanosPerMilli;
  r.t_first_token = t0 + ttft;
  r.t_first_content = t0 + ttft + tpot;  // first token was reasoning
  r.t_last_token = t0 + ttft + (n - 1) * tpot;
  r.t_end = r.t_last_token + 1;
  CHECK(*r.TimeToFirstByteNs() == 5 * kNanosPerMilli);
  CHECK(*r.TimeToFirstTokenNs() == ttft);
  CHECK(*r.TimeToFirstContentNs() == ttft + tpot);
  CHECK(*r.TimePerOutputTokenNs(n) == doctest::Approx(static_cast<double>(tpot)));
  CHECK(*r.RequestDurationNs() == ttft + (n - 1) * tpot);
}

TEST_CASE("timing formulas are absent when a moment is missing") {
  TimingRecord r;
  r.t_start = 10;
  CHECK_FALSE(r.TimeToFirstTokenNs().has_value());
  CHECK_FALSE(r.RequestDurationNs().has_value());
  r.t_first_token = 20;
  r.t_last_token = 20;
  CHECK_FALSE(r.TimePerOutputTokenNs(1).has_value());  // TPOT needs >= 2 tokens
  CHECK(r.TimePerOutputTokenNs(2).has_value());
}
