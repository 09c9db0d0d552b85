#include "metrics/RollingMetrics.h"

#include <cmath>

#include "metrics/MetricNames.h"

namespace llmprobe {
namespace {

using Labels = std::vector<prometheus::ClientMetric::Label>;

prometheus::MetricFamily Gauge(const char* name, const char* help) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = prometheus::MetricType::Gauge;
  return f;
}

// NaN (no data) is not exported: an absent series reads better in PromQL than NaN.
void Add(prometheus::MetricFamily* f, Labels labels, double value) {
  if (std::isnan(value)) return;
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  f->metric.push_back(std::move(m));
}

prometheus::MetricFamily Summary(const char* name, const char* help) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = prometheus::MetricType::Summary;
  return f;
}

// A summary over the window: quantiles 0.5 / 0.9 / 0.99, and the window's _count and _sum.
void AddQuantiles(prometheus::MetricFamily* f, const Labels& base, const RollingQuantiles& q) {
  if (q.count == 0) return;
  prometheus::ClientMetric m;
  m.label = base;
  m.summary.sample_count = q.count;
  m.summary.sample_sum = q.sum;
  m.summary.quantile = {{0.5, q.p50}, {0.9, q.p90}, {0.99, q.p99}};
  f->metric.push_back(std::move(m));
}

}  // namespace

std::vector<prometheus::MetricFamily> RollingMetrics::Collect() const {
  auto ttft = Summary(metric::kRollingTtft,
                      "Time to first token over the rolling window of each level (quantiles "
                      "within 1% relative error; _count and _sum of the window).");
  auto tpot = Summary(metric::kRollingTpot,
                      "Time per output token over the rolling window of each level (quantiles "
                      "within 1% relative error; _count and _sum of the window).");
  auto itl = Summary(metric::kRollingItl,
                     "Inter-token latency over the rolling window of each level (quantiles "
                     "within 1% relative error; _count and _sum of the window).");
  auto duration = Summary(metric::kRollingDuration,
                          "Request duration over the rolling window of each level (quantiles "
                          "within 1% relative error; _count and _sum of the window).");
  auto tps = Gauge(metric::kRollingOutputTps,
                   "Output tokens per second across all concurrent requests of the level, over "
                   "its rolling window (tokens arrived while measuring / active time).");
  auto rps = Gauge(metric::kRollingRps,
                   "Requests started per second at the level, over its rolling window.");
  auto errors = Gauge(metric::kRollingErrorRatio,
                      "Failed / all requests of the level over its rolling window.");
  auto window = Gauge(metric::kRollingWindowSeconds,
                      "Length of the rolling window in each level's active time.");
  auto holds = Gauge(metric::kSloHolds,
                     "1 if the target's SLO holds over the rolling windows of all its levels "
                     "(also when there is no data yet), else 0.");
  for (const RollingTargetSnapshot& t : stats_.Snapshot()) {
    Add(&window, {{metric::kLabelTarget, t.target}}, t.window_seconds);
    for (const SloStatus& s : t.slos) {
      Add(&holds,
          {{metric::kLabelSlo, std::string(SloKindName(s.kind))}, {metric::kLabelTarget, t.target}},
          s.holds ? 1 : 0);
    }
    for (const RollingLevelSnapshot& l : t.levels) {
      const Labels base{{l.level.LabelName(), l.level.LabelValue()},
                        {metric::kLabelModel, t.model},
                        {metric::kLabelTarget, t.target}};
      AddQuantiles(&ttft, base, l.time_to_first_token);
      AddQuantiles(&tpot, base, l.time_per_output_token);
      AddQuantiles(&itl, base, l.inter_token_latency);
      AddQuantiles(&duration, base, l.request_duration);
      Add(&tps, base, l.output_tokens_per_second);
      Add(&rps, base, l.requests_per_second);
      Add(&errors, base, l.error_ratio);
    }
  }
  return {std::move(ttft),     std::move(tpot),   std::move(itl),
          std::move(duration), std::move(tps),    std::move(rps),
          std::move(errors),   std::move(window), std::move(holds)};
}

}  // namespace llmprobe
