// The Prometheus side of request results: cumulative histograms and counters per target, model
// and concurrency level, registered in a prometheus-cpp Registry. Implements ResultSink.
// Record() is thread-safe and lock-free on the hot path after a level's series exist.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <utility>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "config/Config.h"
#include "stats/LevelId.h"
#include "stats/ResultSink.h"

namespace llmprobe {

class ProbeMetrics final : public ResultSink {
 public:
  // `registry` must outlive this object.
  explicit ProbeMetrics(prometheus::Registry& registry);

  // Creates the series of every configured level of `target` up front so that they exist (at 0)
  // before the first request. Call before the target's first Record().
  void AddTarget(const TargetConfig& target);

  void Record(const SeriesKey& key, const RequestResult& result) override;

 private:
  struct LevelSeries {
    prometheus::Histogram* ttft;
    prometheus::Histogram* ttfc;
    prometheus::Histogram* ttfb;
    prometheus::Histogram* tpot;
    prometheus::Histogram* itl;
    prometheus::Histogram* duration;
    prometheus::Counter* output_tokens;
    prometheus::Counter* input_tokens;
    prometheus::Counter* mismatches;
    std::map<int, prometheus::Counter*> by_outcome;  // guarded by mu_ (created on first use)
  };
  struct TargetBuckets {
    std::vector<double> ttft, tpot, duration;
  };

  LevelSeries& Series(const std::string& target, const std::string& model, const LevelId& level);
  prometheus::Counter& OutcomeCounter(LevelSeries& s, const std::string& target,
                                      const std::string& model, const LevelId& level, Outcome outcome);

  prometheus::Family<prometheus::Histogram>& ttft_;
  prometheus::Family<prometheus::Histogram>& ttfc_;
  prometheus::Family<prometheus::Histogram>& ttfb_;
  prometheus::Family<prometheus::Histogram>& tpot_;
  prometheus::Family<prometheus::Histogram>& itl_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& output_tokens_;
  prometheus::Family<prometheus::Counter>& input_tokens_;
  prometheus::Family<prometheus::Counter>& mismatches_;

  std::shared_mutex mu_;  // guards the maps below
  std::map<std::string, TargetBuckets> buckets_;  // by target name
  std::map<std::tuple<std::string, std::string, LevelId>, std::unique_ptr<LevelSeries>> series_;
};

}  // namespace llmprobe
