// llmprobe's metrics about itself: build info, config reload state, and per-target in-flight
// requests and stage level (read from the probers at collection time). Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "load/TargetProber.h"

namespace llmprobe {

class SelfMetrics final : public prometheus::Collectable {
 public:
  using StatusFn = std::function<std::vector<TargetStatus>()>;
  explicit SelfMetrics(StatusFn status);

  // Records the outcome of a (re)load; `unix_seconds` is the time of a successful one.
  void SetReloadResult(bool ok, double unix_seconds);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  StatusFn status_;
  std::atomic<bool> reload_ok_{false};
  std::atomic<double> reload_time_{0};
};

}  // namespace llmprobe
