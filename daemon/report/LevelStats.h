// The numbers of ONE level of a `llmprobe bench` run: LevelStats accumulates the level's
// RequestResults, ComputeLevelReport turns them and the measured interval into a LevelReport.
//
// Units: inputs are monotonic nanoseconds (TimingRecord); every duration in a LevelReport is in
// SECONDS (fields end in `_seconds`), rates are per second, shares are fractions in [0, 1].
//
// What counts (measurement.md, and the choices this file makes):
// - Warm-up requests (`result.warmup`) are only counted (`warmup_requests`), with one exception:
//   tokens they deliver INSIDE the measured interval count toward output tokens/s, because the
//   interval measures what the server delivered while measured (in a closed loop the requests in
//   flight when warm-up ends are warm-up requests; leaving their tokens out would bias
//   throughput low by about one request duration / interval length).
// - Latency statistics (TTFT, TPOT, ITL, latency, time to first content) use successful,
//   non-warm-up requests only, like the Prometheus histograms.
// - Quantiles are exact, by the nearest-rank method, over all samples.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/Clock.h"
#include "config/Config.h"
#include "stats/LevelId.h"
#include "stats/RequestResult.h"

namespace llmprobe {

// A level is `stable` when, for both TTFT p50 and latency p50, the larger of the two half-level
// medians (requests split by start time into a first and a second half) is at most this much
// above the smaller one: max/min - 1 <= 0.10.
inline constexpr double kStabilityTolerance = 0.10;
// Fewer successful measured requests than this: stability is not evaluated (stable = false).
inline constexpr int64_t kMinRequestsForStability = 10;
// Fewer successful measured requests than this: `too_few_for_p99` (a p99 of n < 100 samples is
// the maximum or close to it).
inline constexpr int64_t kMinRequestsForP99 = 100;
// Confidence level of the p50 latency interval, and its normal quantile.
inline constexpr double kMedianConfidence = 0.95;
inline constexpr double kMedianConfidenceZ = 1.96;

// Quantiles of one measure, in seconds. The values are meaningful only when count > 0.
struct Quantiles {
  int64_t count = 0;  // samples
  double min_seconds = 0;
  double mean_seconds = 0;
  double p50_seconds = 0;
  double p90_seconds = 0;
  double p99_seconds = 0;
  double max_seconds = 0;
};

// Distribution-free confidence interval for the p50 latency from binomial order statistics:
// 1-based ranks lower = floor(n/2 - z*sqrt(n)/2), upper = ceil(1 + n/2 + z*sqrt(n)/2), clamped
// to [1, n] (`clamped` is then true and the coverage is below kMedianConfidence).
struct MedianInterval {
  bool valid = false;  // false when there are no samples
  double confidence = kMedianConfidence;
  int64_t lower_rank = 0;
  int64_t upper_rank = 0;
  double lower_seconds = 0;
  double upper_seconds = 0;
  bool clamped = false;
};

// The first-half / second-half comparison behind `stable`.
struct Stability {
  bool evaluated = false;  // false: fewer than kMinRequestsForStability successful requests
  bool stable = false;     // evaluated and both ratios - 1 <= tolerance
  double tolerance = kStabilityTolerance;
  double ttft_p50_first_seconds = 0;
  double ttft_p50_second_seconds = 0;
  double latency_p50_first_seconds = 0;
  double latency_p50_second_seconds = 0;
  double max_relative_difference = 0;  // max over the two measures of max/min - 1
};

// Everything reported about one level. Plain data.
struct LevelReport {
  LevelId level;

  // Counts.
  int64_t requests = 0;                              // measured (non-warm-up) requests, any outcome
  int64_t successes = 0;                             // measured requests with outcome success
  int64_t errors = 0;                                // requests - successes
  std::map<std::string, int64_t> errors_by_outcome;  // OutcomeName -> count, errors only
  int64_t warmup_requests = 0;  // warm-up requests (any outcome), counted and otherwise excluded

  // Latency statistics over successful measured requests.
  Quantiles ttft;     // time to first token
  Quantiles tpot;     // time per output token (requests with >= 2 output tokens)
  Quantiles itl;      // inter-token latency: each ItlGap gives `tokens` samples of gap/tokens
  Quantiles latency;  // request duration, t_last_token - t_start
  Quantiles ttfc;     // time to first content
  MedianInterval latency_p50_ci;

  // Rates over the measured interval.
  double measured_seconds = 0;            // length of the measured interval
  bool interval_from_requests = false;    // true: no interval given, derived from the requests
  int64_t output_tokens_in_interval = 0;  // reconstructed token arrivals inside the interval
  double output_tokens_per_second = 0;    // across all concurrent requests
  int64_t requests_started_in_interval = 0;
  double requests_per_second = 0;

  // Goodput: share of measured requests that succeeded and met every per-request SLO threshold
  // given (all successes count as good when no threshold is given). 0 when requests == 0.
  int64_t good_requests = 0;
  double goodput = 0;

  // Tokens per successful measured request.
  double input_tokens_mean = 0;
  double output_tokens_mean = 0;
  int64_t token_count_mismatches = 0;  // successful measured requests whose ladder rungs disagreed

  // Measurement quality.
  Stability stability;
  bool too_few_for_p99 = true;  // successes < kMinRequestsForP99
};

// The nearest-rank quantile q in [0, 1] of sorted values: the value at 1-based rank
// max(1, ceil(q * n)). Precondition: !sorted.empty().
double NearestRank(std::span<const double> sorted, double q);

// The per-request SLO thresholds of `slo` (time_to_first_token_ns, time_per_output_token_ns,
// request_duration_ns; 0 = none) decide which successful requests are good. Its objective and
// error_ratio are not per-request and are ignored here.
//
// The measured interval is [measure_start_ns, measure_end_ns) in monotonic nanoseconds. When it
// is empty or unset (end <= start or start < 0), it is derived from the measured requests:
// earliest t_start to latest t_end (or t_last_token), and interval_from_requests is set.
// Pure function; safe to call from any thread.
LevelReport ComputeLevelReport(const LevelId& level, std::span<const RequestResult> results,
                               MonoNanos measure_start_ns, MonoNanos measure_end_ns,
                               const SloConfig& slo = {});

// Accumulates the results of one level. Add() and the setters are thread-safe (one internal
// lock), so a ResultSink on transport threads may feed it; Report() may be called at any time
// and sees what was added so far.
class LevelStats {
 public:
  explicit LevelStats(LevelId level, SloConfig slo = {});

  void Add(const RequestResult& result);
  // The measured interval, monotonic ns: warm-up end to the level's end (before draining).
  void SetMeasuredInterval(MonoNanos start_ns, MonoNanos end_ns);
  LevelReport Report() const;

  const LevelId& level() const { return level_; }
  size_t size() const;

 private:
  const LevelId level_;
  const SloConfig slo_;
  mutable std::mutex mu_;
  std::vector<RequestResult> results_;  // guarded by mu_
  MonoNanos start_ns_ = -1;             // guarded by mu_
  MonoNanos end_ns_ = -1;               // guarded by mu_
};

}  // namespace llmprobe
