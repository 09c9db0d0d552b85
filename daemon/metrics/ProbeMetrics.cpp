#include "metrics/ProbeMetrics.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <mutex>
#include <string>

#include "metrics/MetricNames.h"
#include "stats/RollingStats.h"  // SloKindName

namespace llmprobe {
namespace {

prometheus::Family<prometheus::Histogram>& Hist(prometheus::Registry& r, const char* name,
                                                const char* help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Counter>& Count(prometheus::Registry& r, const std::string& name,
                                               const std::string& help) {
  return prometheus::BuildCounter().Name(name + "_total").Help(help).Register(r);
}

prometheus::Family<prometheus::Gauge>& Gauge(prometheus::Registry& r, const char* name,
                                             const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

// Open-loop start delays: from 100 us (scheduler jitter) to minutes (overload).
const std::vector<double>& StartDelayBuckets() {
  static const std::vector<double> b = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,   0.5,    1,     2.5,   5,    10,    30,   60};
  return b;
}

// Indexed by the enum's value (LevelSeries::token_source).
constexpr TokenSource kTokenSources[] = {TokenSource::kChunkUsage, TokenSource::kFinalUsage,
                                         TokenSource::kChunkCount};
static_assert(static_cast<int>(TokenSource::kChunkUsage) == 0 &&
              static_cast<int>(TokenSource::kFinalUsage) == 1 &&
              static_cast<int>(TokenSource::kChunkCount) == 2);

// A successful answer shorter than asked for. A stop although ignore_eos was sent means the
// server ignored the flag. Counted by chunks (no usage), a coalescing server undercounts, so a
// `length` finish there is taken at its word.
bool EndedShort(const RequestResult& r, int max_tokens, bool ignore_eos) {
  if (max_tokens <= 0) return false;
  if (ignore_eos && r.finish == FinishReason::kStop) return true;
  if (r.output_source == TokenSource::kChunkCount && r.finish == FinishReason::kLength) {
    return false;
  }
  return r.output_tokens < max_tokens;
}

}  // namespace

struct ProbeMetrics::LevelSeries {
  prometheus::Histogram* ttft;
  prometheus::Histogram* ttfc;
  prometheus::Histogram* ttfb;
  prometheus::Histogram* tpot;
  prometheus::Histogram* itl;
  std::vector<double> itl_bounds;  // itl's bucket upper bounds (for adding k samples at once)
  prometheus::Histogram* duration;
  prometheus::Histogram* start_delay;         // open loop only
  prometheus::Histogram* scheduled_ttft;      // open loop only
  prometheus::Histogram* scheduled_duration;  // open loop only
  prometheus::Counter* output_tokens;
  prometheus::Counter* input_tokens;
  prometheus::Counter* mismatches;
  prometheus::Counter* token_source[3];  // by kTokenSources
  prometheus::Counter* truncated;
  prometheus::Counter* cached_prompt_tokens;
  prometheus::Counter* good;
  prometheus::Counter* slo_ttft;  // null when the target has no such threshold
  prometheus::Counter* slo_tpot;
  prometheus::Counter* slo_duration;
  std::map<int, prometheus::Counter*> by_outcome;  // guarded by mu_ (created on first use)
};

ProbeMetrics::ProbeMetrics(prometheus::Registry& registry, const std::string& currency)
    : ttft_(Hist(registry, metric::kTtft, metric::kTtftHelp)),
      ttfc_(Hist(registry, metric::kTtfc, metric::kTtfcHelp)),
      ttfb_(Hist(registry, metric::kTtfb, metric::kTtfbHelp)),
      tpot_(Hist(registry, metric::kTpot, metric::kTpotHelp)),
      itl_(Hist(registry, metric::kItl, metric::kItlHelp)),
      duration_(Hist(registry, metric::kDuration, metric::kDurationHelp)),
      start_delay_(Hist(registry, metric::kStartDelay, metric::kStartDelayHelp)),
      scheduled_ttft_(Hist(registry, metric::kScheduledTtft, metric::kScheduledTtftHelp)),
      scheduled_duration_(
          Hist(registry, metric::kScheduledDuration, metric::kScheduledDurationHelp)),
      requests_(Count(registry, metric::kRequests, metric::kRequestsHelp)),
      output_tokens_(Count(registry, metric::kOutputTokens, metric::kOutputTokensHelp)),
      input_tokens_(Count(registry, metric::kInputTokens, metric::kInputTokensHelp)),
      mismatches_(Count(registry, metric::kTokenMismatches, metric::kTokenMismatchesHelp)),
      token_source_(Count(registry, metric::kOutputTokenSource, metric::kOutputTokenSourceHelp)),
      truncated_(Count(registry, metric::kOutputTruncated, metric::kOutputTruncatedHelp)),
      cached_prompt_tokens_(
          Count(registry, metric::kCachedPromptTokens, metric::kCachedPromptTokensHelp)),
      prompt_tokens_target_(
          Gauge(registry, metric::kPromptTokensTarget, metric::kPromptTokensTargetHelp)),
      good_(Count(registry, metric::kGoodRequests, metric::kGoodRequestsHelp)),
      slo_good_(Count(registry, metric::kSloGoodRequests, metric::kSloGoodRequestsHelp)),
      cost_(Count(registry, metric::kEstimatedCost,
                  std::string(metric::kEstimatedCostHelpPrefix) + currency + ".")),
      slo_threshold_(Gauge(registry, metric::kSloThreshold,
                           "SLO threshold of the target: seconds for latency SLOs, the largest "
                           "acceptable failed-request ratio for error_ratio.")),
      slo_objective_(Gauge(registry, metric::kSloObjective,
                           "Fraction of requests that must meet the SLO (error_ratio: 1 - the "
                           "largest acceptable failed-request ratio).")) {}

ProbeMetrics::~ProbeMetrics() = default;

std::vector<double> ProbeMetrics::WithThresholds(const std::vector<double>& configured,
                                                 const std::vector<double>& defaults,
                                                 std::vector<int64_t> thresholds_ns) {
  std::vector<double> b = configured.empty() ? defaults : configured;
  for (int64_t ns : thresholds_ns) {
    if (ns <= 0) continue;
    const double s = NanosToSeconds(ns);
    // Exact duplicates only: a threshold must be the very boundary queried as le="<s>".
    if (std::find(b.begin(), b.end(), s) == b.end()) b.push_back(s);
  }
  std::sort(b.begin(), b.end());
  return b;
}

void ProbeMetrics::AddTarget(const TargetConfig& target) {
  TargetInfo info;
  const SloConfig& slo = target.slo;
  info.ttft_buckets = WithThresholds(target.buckets.time_to_first_token, DefaultTtftBuckets(),
                                     {slo.time_to_first_token_ns});
  info.tpot_buckets = WithThresholds(target.buckets.time_per_output_token, DefaultTpotBuckets(),
                                     {slo.time_per_output_token_ns});
  info.duration_buckets = WithThresholds(
      target.buckets.request_duration, DefaultRequestDurationBuckets(), {slo.request_duration_ns});
  info.slo = slo;
  info.prices = target.budget;
  info.max_tokens = target.workload.max_tokens;
  info.ignore_eos = target.workload.ignore_eos;
  if (target.workload.prompts.empty()) {
    info.prompt_tokens_target = &prompt_tokens_target_.Add(
        {{metric::kLabelModel, target.model}, {metric::kLabelTarget, target.name}});
    info.prompt_tokens_target->Set(target.workload.prompt_tokens);
  }
  if (target.budget.priced()) {
    info.cost =
        &cost_.Add({{metric::kLabelModel, target.model}, {metric::kLabelTarget, target.name}});
  }
  const std::pair<SloKind, int64_t> latency[] = {
      {SloKind::kTimeToFirstToken, slo.time_to_first_token_ns},
      {SloKind::kTimePerOutputToken, slo.time_per_output_token_ns},
      {SloKind::kRequestDuration, slo.request_duration_ns}};
  for (const auto& [kind, ns] : latency) {
    if (ns <= 0) continue;
    const prometheus::Labels l{{metric::kLabelSlo, std::string(SloKindName(kind))},
                               {metric::kLabelTarget, target.name}};
    slo_threshold_.Add(l).Set(NanosToSeconds(ns));
    slo_objective_.Add(l).Set(slo.objective);
  }
  if (slo.error_ratio >= 0) {
    const prometheus::Labels l{{metric::kLabelSlo, std::string(SloKindName(SloKind::kErrorRatio))},
                               {metric::kLabelTarget, target.name}};
    slo_threshold_.Add(l).Set(slo.error_ratio);
    slo_objective_.Add(l).Set(1 - slo.error_ratio);
  }
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    targets_[target.name] = std::move(info);
  }
  std::vector<LevelId> levels;
  if (target.load.mode == LoadMode::kRate) {
    for (double r : target.load.rate) levels.push_back(LevelId::Rate(r));
  } else {
    for (int c : target.load.concurrency) levels.push_back(LevelId::Concurrency(c));
  }
  for (const LevelId& level : levels) {
    LevelSeries& s = Series(target.name, target.model, level);
    OutcomeCounter(s, target.name, target.model, level, Outcome::kSuccess);
  }
}

void ProbeMetrics::RemoveTarget(const std::string& target) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (auto it = series_.begin(); it != series_.end();) {
    if (std::get<0>(it->first) != target) {
      ++it;
      continue;
    }
    LevelSeries& s = *it->second;
    for (auto [family, metric] : {std::pair{&ttft_, s.ttft},
                                  {&ttfc_, s.ttfc},
                                  {&ttfb_, s.ttfb},
                                  {&tpot_, s.tpot},
                                  {&itl_, s.itl},
                                  {&duration_, s.duration},
                                  {&start_delay_, s.start_delay},
                                  {&scheduled_ttft_, s.scheduled_ttft},
                                  {&scheduled_duration_, s.scheduled_duration}}) {
      if (metric != nullptr) family->Remove(metric);
    }
    for (auto [family, metric] : {std::pair{&output_tokens_, s.output_tokens},
                                  {&input_tokens_, s.input_tokens},
                                  {&mismatches_, s.mismatches},
                                  {&truncated_, s.truncated},
                                  {&cached_prompt_tokens_, s.cached_prompt_tokens},
                                  {&good_, s.good},
                                  {&slo_good_, s.slo_ttft},
                                  {&slo_good_, s.slo_tpot},
                                  {&slo_good_, s.slo_duration}}) {
      if (metric != nullptr) family->Remove(metric);
    }
    for (prometheus::Counter* counter : s.token_source) token_source_.Remove(counter);
    for (auto& [outcome, counter] : s.by_outcome) requests_.Remove(counter);
    it = series_.erase(it);
  }
  auto info = targets_.find(target);
  if (info == targets_.end()) return;
  if (info->second.cost != nullptr) cost_.Remove(info->second.cost);
  if (info->second.prompt_tokens_target != nullptr) {
    prompt_tokens_target_.Remove(info->second.prompt_tokens_target);
  }
  for (SloKind kind : {SloKind::kTimeToFirstToken, SloKind::kTimePerOutputToken,
                       SloKind::kRequestDuration, SloKind::kErrorRatio}) {
    const prometheus::Labels l{{metric::kLabelSlo, std::string(SloKindName(kind))},
                               {metric::kLabelTarget, target}};
    if (slo_threshold_.Has(l)) slo_threshold_.Remove(&slo_threshold_.Add(l));
    if (slo_objective_.Has(l)) slo_objective_.Remove(&slo_objective_.Add(l));
  }
  targets_.erase(info);
}

ProbeMetrics::LevelSeries& ProbeMetrics::Series(const std::string& target, const std::string& model,
                                                const LevelId& level) {
  auto key = std::make_tuple(target, model, level);
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = series_.find(key);
    if (it != series_.end()) return *it->second;
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = series_.find(key);
  if (it != series_.end()) return *it->second;
  const TargetInfo& info = targets_.try_emplace(target).first->second;
  const auto& ttft_b = info.ttft_buckets.empty() ? DefaultTtftBuckets() : info.ttft_buckets;
  const auto& tpot_b = info.tpot_buckets.empty() ? DefaultTpotBuckets() : info.tpot_buckets;
  const auto& dur_b =
      info.duration_buckets.empty() ? DefaultRequestDurationBuckets() : info.duration_buckets;
  const prometheus::Labels labels{{metric::kLabelTarget, target},
                                  {metric::kLabelModel, model},
                                  {level.LabelName(), level.LabelValue()}};
  auto slo_counter = [&](SloKind kind, int64_t threshold) -> prometheus::Counter* {
    if (threshold <= 0) return nullptr;
    prometheus::Labels l = labels;
    l[metric::kLabelSlo] = std::string(SloKindName(kind));
    return &slo_good_.Add(l);
  };
  auto s = std::make_unique<LevelSeries>();
  s->ttft = &ttft_.Add(labels, ttft_b);
  s->ttfc = &ttfc_.Add(labels, ttft_b);
  s->ttfb = &ttfb_.Add(labels, ttft_b);
  s->tpot = &tpot_.Add(labels, tpot_b);
  s->itl = &itl_.Add(labels, tpot_b);
  s->itl_bounds = tpot_b;
  s->duration = &duration_.Add(labels, dur_b);
  if (level.open_loop()) {
    s->start_delay = &start_delay_.Add(labels, StartDelayBuckets());
    s->scheduled_ttft = &scheduled_ttft_.Add(labels, ttft_b);
    s->scheduled_duration = &scheduled_duration_.Add(labels, dur_b);
  } else {
    s->start_delay = s->scheduled_ttft = s->scheduled_duration = nullptr;
  }
  s->output_tokens = &output_tokens_.Add(labels);
  s->input_tokens = &input_tokens_.Add(labels);
  s->mismatches = &mismatches_.Add(labels);
  for (size_t i = 0; i < std::size(kTokenSources); ++i) {
    prometheus::Labels l = labels;
    l[metric::kLabelTokenSource] = std::string(TokenSourceName(kTokenSources[i]));
    s->token_source[i] = &token_source_.Add(l);
  }
  s->truncated = &truncated_.Add(labels);
  s->cached_prompt_tokens = &cached_prompt_tokens_.Add(labels);
  s->good = &good_.Add(labels);
  s->slo_ttft = slo_counter(SloKind::kTimeToFirstToken, info.slo.time_to_first_token_ns);
  s->slo_tpot = slo_counter(SloKind::kTimePerOutputToken, info.slo.time_per_output_token_ns);
  s->slo_duration = slo_counter(SloKind::kRequestDuration, info.slo.request_duration_ns);
  LevelSeries& ref = *s;
  series_.emplace(std::move(key), std::move(s));
  return ref;
}

prometheus::Counter& ProbeMetrics::OutcomeCounter(LevelSeries& s, const std::string& target,
                                                  const std::string& model, const LevelId& level,
                                                  Outcome outcome) {
  const int k = static_cast<int>(outcome);
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = s.by_outcome.find(k);
    if (it != s.by_outcome.end()) return *it->second;
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto [it, inserted] = s.by_outcome.try_emplace(k, nullptr);
  if (inserted) {
    it->second = &requests_.Add({{metric::kLabelTarget, target},
                                 {metric::kLabelModel, model},
                                 {level.LabelName(), level.LabelValue()},
                                 {metric::kLabelOutcome, std::string(OutcomeName(outcome))}});
  }
  return *it->second;
}

void ProbeMetrics::RecordSlo(LevelSeries& s, const TargetInfo& info, const RequestResult& r) {
  const TimingRecord& t = r.timing;
  bool good = true;
  auto check = [&](prometheus::Counter* counter, int64_t threshold_ns, std::optional<double> v) {
    if (threshold_ns <= 0) return;
    if (!v) return;  // undefined measure (e.g. TPOT of a 1-token answer): no verdict
    const bool within = *v <= static_cast<double>(threshold_ns);
    if (within && counter != nullptr) counter->Increment();
    good = good && within;
  };
  auto as_double = [](std::optional<int64_t> v) -> std::optional<double> {
    if (!v) return std::nullopt;
    return static_cast<double>(*v);
  };
  check(s.slo_ttft, info.slo.time_to_first_token_ns, as_double(t.TimeToFirstTokenNs()));
  check(s.slo_tpot, info.slo.time_per_output_token_ns, t.TimePerOutputTokenNs(r.output_tokens));
  check(s.slo_duration, info.slo.request_duration_ns, as_double(t.RequestDurationNs()));
  if (good) s.good->Increment();
}

void ProbeMetrics::Record(const SeriesKey& key, const RequestResult& r) {
  LevelSeries& s = Series(*key.target, *key.model, r.level);
  OutcomeCounter(s, *key.target, *key.model, r.level, r.outcome).Increment();
  // Input tokens (and their cost) only for prompts a server accepted: a refused connection, a
  // TLS error or a 429 costs nothing, and the estimate would make a dead target look busy.
  const bool accepted = r.input_tokens_from_server || (r.http_status >= 200 && r.http_status < 300);
  const int64_t input_tokens = accepted ? r.input_tokens : 0;
  s.output_tokens->Increment(static_cast<double>(r.output_tokens));
  s.input_tokens->Increment(static_cast<double>(input_tokens));
  const TargetInfo* info = nullptr;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = targets_.find(*key.target);
    if (it != targets_.end()) info = &it->second;  // entries are never erased
  }
  if (info != nullptr && info->cost != nullptr) {
    info->cost->Increment(
        (static_cast<double>(input_tokens) * info->prices.input_price_per_million +
         static_cast<double>(r.output_tokens) * info->prices.output_price_per_million) /
        1e6);
  }
  const TimingRecord& t = r.timing;
  if (r.cached_tokens > 0) s.cached_prompt_tokens->Increment(static_cast<double>(r.cached_tokens));
  if (r.outcome != Outcome::kSuccess) return;
  if (r.token_count_mismatch) s.mismatches->Increment();
  s.token_source[static_cast<size_t>(r.output_source)]->Increment();
  if (info != nullptr && EndedShort(r, info->max_tokens, info->ignore_eos)) {
    s.truncated->Increment();
  }
  if (r.warmup) return;  // warm-up is counted above but kept out of latency histograms
  if (s.start_delay != nullptr && t.t_start >= 0 && t.t_intended >= 0) {
    s.start_delay->Observe(NanosToSeconds(std::max<int64_t>(0, t.t_start - t.t_intended)));
  }
  if (auto v = t.TimeToFirstTokenNs()) s.ttft->Observe(NanosToSeconds(*v));
  if (auto v = t.TimeToFirstContentNs()) s.ttfc->Observe(NanosToSeconds(*v));
  if (auto v = t.TimeToFirstByteNs()) s.ttfb->Observe(NanosToSeconds(*v));
  if (auto v = t.TimePerOutputTokenNs(r.output_tokens)) s.tpot->Observe(*v / 1e9);
  if (auto v = t.RequestDurationNs()) s.duration->Observe(NanosToSeconds(*v));
  for (const ItlGap& g : r.itl) {
    if (g.tokens <= 0) continue;
    // A chunk of k tokens is k samples of gap / k, added in one step (a server's absurd count
    // must not keep this thread busy for k separate observations).
    const double per_token = NanosToSeconds(g.gap_ns) / g.tokens;
    if (g.tokens == 1) {
      s.itl->Observe(per_token);
    } else {
      // ObserveMultiple: one increment per bucket (the last is +Inf) and the sum.
      std::vector<double> increments(s.itl_bounds.size() + 1, 0.0);
      const auto bucket = static_cast<size_t>(
          std::lower_bound(s.itl_bounds.begin(), s.itl_bounds.end(), per_token) -
          s.itl_bounds.begin());
      increments[bucket] = static_cast<double>(g.tokens);
      s.itl->ObserveMultiple(increments, per_token * g.tokens);
    }
  }
  if (s.scheduled_ttft != nullptr && t.t_first_token >= 0) {
    s.scheduled_ttft->Observe(NanosToSeconds(t.t_first_token - t.t_intended));
    s.scheduled_duration->Observe(NanosToSeconds(t.t_last_token - t.t_intended));
  }
  if (info != nullptr) RecordSlo(s, *info, r);
}

}  // namespace llmprobe
