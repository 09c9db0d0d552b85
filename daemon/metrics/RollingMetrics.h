// Exposes RollingStats as gauges at collection time: per target x model x level the rolling
// TTFT / TPOT / ITL / request duration quantiles (0.5, 0.9, 0.99), output tokens per second,
// requests per second and error ratio over the most recent window of the level's active time
// (together: the live throughput-latency curve); per target the window length and whether each
// SLO holds. Thread-safe; RollingStats must outlive it.
#pragma once

#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "stats/RollingStats.h"

namespace llmprobe {

class RollingMetrics final : public prometheus::Collectable {
 public:
  explicit RollingMetrics(const RollingStats& stats) : stats_(stats) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const RollingStats& stats_;
};

}  // namespace llmprobe
