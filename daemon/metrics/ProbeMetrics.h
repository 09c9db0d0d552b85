// The Prometheus side of request results: cumulative histograms and counters per target, model
// and level (`concurrency` or `rate` label), registered in a prometheus-cpp Registry; SLO
// counters and per-target SLO, price and prompt-length gauges. Token accounting per level:
// which ladder rung counted each successful request (`source` label), mismatches between the
// rungs, answers that ended short of max_tokens, and prompt tokens served from the server's
// cache. Implements ResultSink. Record() is thread-safe; after a level's series exist it only
// takes a shared lock for the lookup.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <tuple>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "config/Config.h"
#include "stats/LevelId.h"
#include "stats/ResultSink.h"

namespace llmprobe {

class ProbeMetrics final : public ResultSink {
 public:
  // `registry` must outlive this object. `currency` names the unit of the cost estimate.
  ProbeMetrics(prometheus::Registry& registry, const std::string& currency);
  ~ProbeMetrics() override;

  // Registers a target: its buckets (with every SLO threshold added as a boundary), SLO gauges,
  // price, and the series of every configured level at zero. Call before its first Record().
  void AddTarget(const TargetConfig& target);

  // Removes every series of the target (it left the config or changed: a changed target is
  // removed, then added again with its new buckets). No Record() for it may run concurrently.
  void RemoveTarget(const std::string& target);

  void Record(const SeriesKey& key, const RequestResult& result) override;

  // Bucket boundaries in seconds: `configured` (or `defaults` when empty) plus each threshold.
  static std::vector<double> WithThresholds(const std::vector<double>& configured,
                                            const std::vector<double>& defaults,
                                            std::vector<int64_t> thresholds_ns);

 private:
  struct LevelSeries;
  struct TargetInfo {
    std::vector<double> ttft_buckets, tpot_buckets, duration_buckets;
    SloConfig slo;
    BudgetConfig prices;
    prometheus::Counter* cost = nullptr;
    int max_tokens = 0;  // 0 = unknown (no AddTarget): nothing counts as ended short
    bool ignore_eos = false;
    prometheus::Gauge* prompt_tokens_target = nullptr;  // null with prompts_file
  };

  LevelSeries& Series(const std::string& target, const std::string& model, const LevelId& level);
  prometheus::Counter& OutcomeCounter(LevelSeries& s, const std::string& target,
                                      const std::string& model, const LevelId& level,
                                      Outcome outcome);
  void RecordSlo(LevelSeries& s, const TargetInfo& info, const RequestResult& r);

  prometheus::Family<prometheus::Histogram>& ttft_;
  prometheus::Family<prometheus::Histogram>& ttfc_;
  prometheus::Family<prometheus::Histogram>& ttfb_;
  prometheus::Family<prometheus::Histogram>& tpot_;
  prometheus::Family<prometheus::Histogram>& itl_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Histogram>& start_delay_;
  prometheus::Family<prometheus::Histogram>& scheduled_ttft_;
  prometheus::Family<prometheus::Histogram>& scheduled_duration_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& output_tokens_;
  prometheus::Family<prometheus::Counter>& input_tokens_;
  prometheus::Family<prometheus::Counter>& mismatches_;
  prometheus::Family<prometheus::Counter>& token_source_;
  prometheus::Family<prometheus::Counter>& truncated_;
  prometheus::Family<prometheus::Counter>& cached_prompt_tokens_;
  prometheus::Family<prometheus::Gauge>& prompt_tokens_target_;
  prometheus::Family<prometheus::Counter>& good_;
  prometheus::Family<prometheus::Counter>& slo_good_;
  prometheus::Family<prometheus::Counter>& cost_;
  prometheus::Family<prometheus::Gauge>& slo_threshold_;
  prometheus::Family<prometheus::Gauge>& slo_objective_;

  std::shared_mutex mu_;                       // guards the maps below and LevelSeries::by_outcome
  std::map<std::string, TargetInfo> targets_;  // by target name
  std::map<std::tuple<std::string, std::string, LevelId>, std::unique_ptr<LevelSeries>> series_;
};

}  // namespace llmprobe
