#include "metrics/ProbeMetrics.h"

#include <mutex>
#include <tuple>

#include "metrics/MetricNames.h"

namespace llmprobe {
namespace {

prometheus::Family<prometheus::Histogram>& Hist(prometheus::Registry& r, const char* name,
                                                const char* help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Counter>& Count(prometheus::Registry& r, const char* name,
                                               const char* help) {
  return prometheus::BuildCounter().Name(std::string(name) + "_total").Help(help).Register(r);
}

const std::vector<double>& Or(const std::vector<double>& v, const std::vector<double>& fallback) {
  return v.empty() ? fallback : v;
}

}  // namespace

ProbeMetrics::ProbeMetrics(prometheus::Registry& registry)
    : ttft_(Hist(registry, metric::kTtft, metric::kTtftHelp)),
      ttfc_(Hist(registry, metric::kTtfc, metric::kTtfcHelp)),
      ttfb_(Hist(registry, metric::kTtfb, metric::kTtfbHelp)),
      tpot_(Hist(registry, metric::kTpot, metric::kTpotHelp)),
      itl_(Hist(registry, metric::kItl, metric::kItlHelp)),
      duration_(Hist(registry, metric::kDuration, metric::kDurationHelp)),
      requests_(Count(registry, metric::kRequests, metric::kRequestsHelp)),
      output_tokens_(Count(registry, metric::kOutputTokens, metric::kOutputTokensHelp)),
      input_tokens_(Count(registry, metric::kInputTokens, metric::kInputTokensHelp)),
      mismatches_(Count(registry, metric::kTokenMismatches, metric::kTokenMismatchesHelp)) {}

void ProbeMetrics::AddTarget(const TargetConfig& target) {
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    buckets_[target.name] = TargetBuckets{
        Or(target.buckets.time_to_first_token, DefaultTtftBuckets()),
        Or(target.buckets.time_per_output_token, DefaultTpotBuckets()),
        Or(target.buckets.request_duration, DefaultRequestDurationBuckets())};
  }
  for (int c : target.load.concurrency) {
    const LevelId level = LevelId::Concurrency(c);
    LevelSeries& s = Series(target.name, target.model, level);
    OutcomeCounter(s, target.name, target.model, level, Outcome::kSuccess);
  }
}

ProbeMetrics::LevelSeries& ProbeMetrics::Series(const std::string& target,
                                                const std::string& model, const LevelId& level) {
  auto key = std::make_tuple(target, model, level);
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = series_.find(key);
    if (it != series_.end()) return *it->second;
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = series_.find(key);
  if (it != series_.end()) return *it->second;
  const TargetBuckets& b = buckets_.try_emplace(target, TargetBuckets{DefaultTtftBuckets(),
                                                                      DefaultTpotBuckets(),
                                                                      DefaultRequestDurationBuckets()})
                               .first->second;
  const prometheus::Labels labels{{metric::kLabelTarget, target},
                                  {metric::kLabelModel, model},
                                  {level.LabelName(), level.LabelValue()}};
  auto s = std::make_unique<LevelSeries>(LevelSeries{
      &ttft_.Add(labels, b.ttft), &ttfc_.Add(labels, b.ttft), &ttfb_.Add(labels, b.ttft),
      &tpot_.Add(labels, b.tpot), &itl_.Add(labels, b.tpot), &duration_.Add(labels, b.duration),
      &output_tokens_.Add(labels), &input_tokens_.Add(labels), &mismatches_.Add(labels), {}});
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

void ProbeMetrics::Record(const SeriesKey& key, const RequestResult& r) {
  LevelSeries& s = Series(*key.target, *key.model, r.level);
  OutcomeCounter(s, *key.target, *key.model, r.level, r.outcome).Increment();
  s.output_tokens->Increment(static_cast<double>(r.output_tokens));
  s.input_tokens->Increment(static_cast<double>(r.input_tokens));
  if (r.outcome != Outcome::kSuccess) return;
  if (r.token_count_mismatch) s.mismatches->Increment();
  if (r.warmup) return;  // warm-up is counted above but kept out of latency histograms
  const TimingRecord& t = r.timing;
  if (auto v = t.TimeToFirstTokenNs()) s.ttft->Observe(NanosToSeconds(*v));
  if (auto v = t.TimeToFirstContentNs()) s.ttfc->Observe(NanosToSeconds(*v));
  if (auto v = t.TimeToFirstByteNs()) s.ttfb->Observe(NanosToSeconds(*v));
  if (auto v = t.TimePerOutputTokenNs(r.output_tokens)) s.tpot->Observe(*v / 1e9);
  if (auto v = t.RequestDurationNs()) s.duration->Observe(NanosToSeconds(*v));
  for (const ItlGap& g : r.itl) {
    const double per_token = NanosToSeconds(g.gap_ns) / g.tokens;
    for (int32_t i = 0; i < g.tokens; ++i) s.itl->Observe(per_token);
  }
}

}  // namespace llmprobe
