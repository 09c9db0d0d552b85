#include "report/LevelStats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace llmprobe {
namespace {

// One sample value in seconds with a weight: ITL gaps of k tokens are k samples of gap/k, kept
// as one weighted entry so a long run does not hold one double per token.
struct Weighted {
  double value = 0;
  int64_t weight = 1;
};

// 1-based nearest rank of quantile q among n samples. The small epsilon keeps q * n that is an
// integer in exact arithmetic (0.99 * 100) from rounding up to the next rank.
int64_t Rank(double q, int64_t n) {
  const auto r = static_cast<int64_t>(std::ceil(q * static_cast<double>(n) - 1e-9));
  return std::clamp<int64_t>(r, 1, n);
}

double WeightedRank(const std::vector<Weighted>& sorted, int64_t rank) {
  int64_t seen = 0;
  for (const Weighted& w : sorted) {
    seen += w.weight;
    if (seen >= rank) return w.value;
  }
  return sorted.back().value;
}

Quantiles Summarize(std::vector<Weighted> samples) {
  Quantiles q;
  std::erase_if(samples, [](const Weighted& w) { return w.weight <= 0; });
  if (samples.empty()) return q;
  std::sort(samples.begin(), samples.end(),
            [](const Weighted& a, const Weighted& b) { return a.value < b.value; });
  double sum = 0;
  for (const Weighted& w : samples) {
    q.count += w.weight;
    sum += w.value * static_cast<double>(w.weight);
  }
  q.min_seconds = samples.front().value;
  q.max_seconds = samples.back().value;
  q.mean_seconds = sum / static_cast<double>(q.count);
  q.p50_seconds = WeightedRank(samples, Rank(0.50, q.count));
  q.p90_seconds = WeightedRank(samples, Rank(0.90, q.count));
  q.p99_seconds = WeightedRank(samples, Rank(0.99, q.count));
  return q;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return NearestRank(values, 0.5);
}

MedianInterval MedianCi(std::vector<double> values) {
  MedianInterval ci;
  const auto n = static_cast<int64_t>(values.size());
  if (n == 0) return ci;
  std::sort(values.begin(), values.end());
  const double half = static_cast<double>(n) / 2.0;
  const double spread = kMedianConfidenceZ * std::sqrt(static_cast<double>(n)) / 2.0;
  const auto lower = static_cast<int64_t>(std::floor(half - spread));
  const auto upper = static_cast<int64_t>(std::ceil(1.0 + half + spread));
  ci.valid = true;
  ci.lower_rank = std::clamp<int64_t>(lower, 1, n);
  ci.upper_rank = std::clamp<int64_t>(upper, 1, n);
  ci.clamped = lower < 1 || upper > n;
  ci.lower_seconds = values[static_cast<size_t>(ci.lower_rank - 1)];
  ci.upper_seconds = values[static_cast<size_t>(ci.upper_rank - 1)];
  return ci;
}

// max/min - 1 of two positive medians; infinite when exactly one of them is zero.
double RelativeDifference(double a, double b) {
  const double lo = std::min(a, b), hi = std::max(a, b);
  if (hi <= 0) return 0;
  if (lo <= 0) return std::numeric_limits<double>::infinity();
  return hi / lo - 1.0;
}

// `successes` sorted by t_start.
Stability CheckStability(const std::vector<const RequestResult*>& successes) {
  Stability s;
  const size_t n = successes.size();
  if (static_cast<int64_t>(n) < kMinRequestsForStability) return s;
  const size_t half = n / 2;
  std::vector<double> ttft[2], latency[2];
  for (size_t i = 0; i < n; ++i) {
    const TimingRecord& t = successes[i]->timing;
    const int part = i < half ? 0 : 1;
    if (auto v = t.TimeToFirstTokenNs()) ttft[part].push_back(NanosToSeconds(*v));
    if (auto v = t.RequestDurationNs()) latency[part].push_back(NanosToSeconds(*v));
  }
  for (int part = 0; part < 2; ++part) {
    if (ttft[part].empty() || latency[part].empty()) return s;
  }
  s.evaluated = true;
  s.ttft_p50_first_seconds = Median(ttft[0]);
  s.ttft_p50_second_seconds = Median(ttft[1]);
  s.latency_p50_first_seconds = Median(latency[0]);
  s.latency_p50_second_seconds = Median(latency[1]);
  s.max_relative_difference =
      std::max(RelativeDifference(s.ttft_p50_first_seconds, s.ttft_p50_second_seconds),
               RelativeDifference(s.latency_p50_first_seconds, s.latency_p50_second_seconds));
  s.stable = s.max_relative_difference <= s.tolerance;
  return s;
}

// Tokens of `r` that arrived in [start, end), from the reconstructed arrival times: chunk 0 at
// t_first_token with 1 token, chunk j > 0 at t_first_token + sum(itl[0..j-1].gap_ns) with
// itl[j-1].tokens tokens, and whatever remains of output_tokens on the last chunk. Chunks never
// add up to more than output_tokens (a usage count below the chunk count wins).
int64_t TokensInInterval(const RequestResult& r, MonoNanos start, MonoNanos end) {
  if (r.timing.t_first_token < 0 || r.output_tokens <= 0) return 0;
  const size_t chunks = r.itl.size() + 1;
  int64_t delivered = 0, counted = 0;
  MonoNanos t = r.timing.t_first_token;
  for (size_t j = 0; j < chunks && delivered < r.output_tokens; ++j) {
    int64_t tokens = 1;
    if (j > 0) {
      t += r.itl[j - 1].gap_ns;
      tokens = std::max<int64_t>(0, r.itl[j - 1].tokens);
    }
    tokens = j + 1 == chunks ? r.output_tokens - delivered
                             : std::min<int64_t>(tokens, r.output_tokens - delivered);
    delivered += tokens;
    if (t >= start && t < end) counted += tokens;
  }
  return counted;
}

bool MeetsSlo(const RequestResult& r, const SloConfig& slo) {
  const TimingRecord& t = r.timing;
  if (slo.time_to_first_token_ns > 0) {
    auto v = t.TimeToFirstTokenNs();
    if (!v || *v > slo.time_to_first_token_ns) return false;
  }
  if (slo.time_per_output_token_ns > 0) {
    // A request with one output token has no TPOT and can not miss a TPOT threshold.
    auto v = t.TimePerOutputTokenNs(r.output_tokens);
    if (v && *v > static_cast<double>(slo.time_per_output_token_ns)) return false;
  }
  if (slo.request_duration_ns > 0) {
    auto v = t.RequestDurationNs();
    if (!v || *v > slo.request_duration_ns) return false;
  }
  return true;
}

}  // namespace

double NearestRank(std::span<const double> sorted, double q) {
  const auto n = static_cast<int64_t>(sorted.size());
  return sorted[static_cast<size_t>(Rank(q, n) - 1)];
}

LevelReport ComputeLevelReport(const LevelId& level, std::span<const RequestResult> results,
                               MonoNanos measure_start_ns, MonoNanos measure_end_ns,
                               const SloConfig& slo) {
  LevelReport rep;
  rep.level = level;

  std::vector<const RequestResult*> successes;
  std::vector<Weighted> ttft, tpot, itl, latency, ttfc;
  std::vector<double> latency_values;
  int64_t input_tokens = 0, output_tokens = 0;
  MonoNanos first_start = std::numeric_limits<MonoNanos>::max(), last_end = -1;

  for (const RequestResult& r : results) {
    if (r.warmup) {
      ++rep.warmup_requests;
      continue;
    }
    ++rep.requests;
    if (r.timing.t_start >= 0) first_start = std::min(first_start, r.timing.t_start);
    last_end = std::max({last_end, r.timing.t_end, r.timing.t_last_token});
    if (r.outcome != Outcome::kSuccess) {
      ++rep.errors;
      ++rep.errors_by_outcome[std::string(OutcomeName(r.outcome))];
      continue;
    }
    ++rep.successes;
    successes.push_back(&r);
    input_tokens += r.input_tokens;
    output_tokens += r.output_tokens;
    if (r.token_count_mismatch) ++rep.token_count_mismatches;
    if (MeetsSlo(r, slo)) ++rep.good_requests;
    const TimingRecord& t = r.timing;
    if (auto v = t.TimeToFirstTokenNs()) ttft.push_back({NanosToSeconds(*v), 1});
    if (auto v = t.TimeToFirstContentNs()) ttfc.push_back({NanosToSeconds(*v), 1});
    if (auto v = t.TimePerOutputTokenNs(r.output_tokens)) tpot.push_back({*v / 1e9, 1});
    if (auto v = t.RequestDurationNs()) {
      latency.push_back({NanosToSeconds(*v), 1});
      latency_values.push_back(NanosToSeconds(*v));
    }
    for (const ItlGap& g : r.itl) {
      if (g.tokens > 0) itl.push_back({NanosToSeconds(g.gap_ns) / g.tokens, g.tokens});
    }
  }

  rep.ttft = Summarize(std::move(ttft));
  rep.tpot = Summarize(std::move(tpot));
  rep.itl = Summarize(std::move(itl));
  rep.latency = Summarize(std::move(latency));
  rep.ttfc = Summarize(std::move(ttfc));
  rep.latency_p50_ci = MedianCi(std::move(latency_values));
  if (rep.successes > 0) {
    rep.input_tokens_mean = static_cast<double>(input_tokens) / static_cast<double>(rep.successes);
    rep.output_tokens_mean =
        static_cast<double>(output_tokens) / static_cast<double>(rep.successes);
  }
  if (rep.requests > 0) {
    rep.goodput = static_cast<double>(rep.good_requests) / static_cast<double>(rep.requests);
  }

  if (measure_start_ns < 0 || measure_end_ns <= measure_start_ns) {
    rep.interval_from_requests = true;
    measure_start_ns = first_start;
    measure_end_ns = last_end + 1;  // half-open: the last token itself is inside
  }
  if (measure_start_ns >= 0 && measure_end_ns > measure_start_ns) {
    rep.measured_seconds = NanosToSeconds(measure_end_ns - measure_start_ns);
    for (const RequestResult& r : results) {
      // Warm-up requests deliver tokens too; see the header for why they count here.
      rep.output_tokens_in_interval += TokensInInterval(r, measure_start_ns, measure_end_ns);
      if (!r.warmup && r.timing.t_start >= measure_start_ns && r.timing.t_start < measure_end_ns) {
        ++rep.requests_started_in_interval;
      }
    }
    rep.output_tokens_per_second =
        static_cast<double>(rep.output_tokens_in_interval) / rep.measured_seconds;
    rep.requests_per_second =
        static_cast<double>(rep.requests_started_in_interval) / rep.measured_seconds;
  }

  std::stable_sort(successes.begin(), successes.end(),
                   [](const RequestResult* a, const RequestResult* b) {
                     return a->timing.t_start < b->timing.t_start;
                   });
  rep.stability = CheckStability(successes);
  rep.too_few_for_p99 = rep.successes < kMinRequestsForP99;
  return rep;
}

LevelStats::LevelStats(LevelId level, SloConfig slo) : level_(level), slo_(slo) {}

void LevelStats::Add(const RequestResult& result) {
  std::lock_guard<std::mutex> lock(mu_);
  results_.push_back(result);
}

void LevelStats::SetMeasuredInterval(MonoNanos start_ns, MonoNanos end_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  start_ns_ = start_ns;
  end_ns_ = end_ns;
}

LevelReport LevelStats::Report() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ComputeLevelReport(level_, results_, start_ns_, end_ns_, slo_);
}

size_t LevelStats::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return results_.size();
}

}  // namespace llmprobe
