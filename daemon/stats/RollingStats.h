// Rolling statistics per target x level over the most recent `window` of each level's ACTIVE
// time (ActiveTimeWindow.h): the live throughput-latency curve and the SLO state. A ResultSink.
//
// Accounting rules:
//  - A request belongs to the level of its stage (result.level). Levels exist once the
//    scheduler reported MeasuringStarted for them; results of unknown targets/levels are
//    dropped.
//  - Warm-up requests (result.warmup) and Outcome::kCanceled are kept out of the request,
//    error and good counts and of the latency quantiles (their tokens still count, below).
//  - Requests, errors (outcome != success), good requests and latency samples go to the slice
//    at the active time of the request's start: timing.t_start, or for open-loop levels
//    timing.t_intended, from which TTFT and request duration are then also measured
//    (coordinated omission). A request whose start is outside every measuring interval of its
//    level is not counted.
//  - Latency samples come from successful requests only, in seconds: TTFT, TPOT (only for
//    output_tokens >= 2), ITL (each ItlGap gives `tokens` samples of gap/tokens), request
//    duration.
//  - Output tokens for throughput are counted at their ARRIVAL, from every request that
//    delivered tokens (warm-up, failed and canceled ones too): chunk 0 at t_first_token with 1
//    token, chunk j>0 at t_first_token + itl[0..j-1].gap_ns with itl[j-1].tokens tokens. The
//    total is made equal to result.output_tokens (the token accounting ladder): an excess goes
//    to the last chunk, a shortfall trims the last chunks (output_tokens <= 0 keeps the chunk
//    sum). Each chunk counts in the slice at the active time of its arrival; arrivals outside
//    the level's measuring intervals (e.g. the drain after the stage end) are not counted.
//  - output_tokens_per_second = tokens in the retained slices / covered active seconds;
//    requests_per_second = requests in the retained slices / covered active seconds;
//    error_ratio = errors / requests (NaN without requests).
//  - SLOs (SloConfig; thresholds in ns, 0 = none): a successful request is good if it meets
//    every configured threshold (TTFT <= t; TPOT <= t when TPOT is defined; duration <= t).
//    Each threshold keeps exact within/total counters per slice. Per target, over the window
//    of every level: a latency SLO holds if within/total >= objective, an error-ratio SLO if
//    errors/requests <= error_ratio; both hold when there is no data (has_data = false).
//
// Thread-safety: every method may be called from any thread. Record() is called concurrently
// from transport threads: it takes the map's shared lock and the one lock of its level's
// window. AddTarget/RemoveTarget/MeasuringStarted take the map's exclusive lock (rare).
// The clock is not owned and must outlive this object.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/Clock.h"
#include "config/Config.h"
#include "stats/LevelId.h"
#include "stats/ResultSink.h"
#include "stats/StageObserver.h"

namespace llmprobe {

// One SLO of a target; the name is the value of the `slo` label.
enum class SloKind { kTimeToFirstToken, kTimePerOutputToken, kRequestDuration, kErrorRatio };
// "time_to_first_token", "time_per_output_token", "request_duration", "error_ratio".
std::string_view SloKindName(SloKind kind);

// Quantiles in seconds (NaN without samples), and the window's sample count and sum.
struct RollingQuantiles {
  double p50 = std::numeric_limits<double>::quiet_NaN();
  double p90 = std::numeric_limits<double>::quiet_NaN();
  double p99 = std::numeric_limits<double>::quiet_NaN();
  uint64_t count = 0;
  double sum = 0;
};

// Requests of one level within one latency SLO threshold.
struct SloFraction {
  SloKind kind = SloKind::kTimeToFirstToken;
  uint64_t within = 0;
  uint64_t total = 0;   // successful, non-warm-up requests where the measure is defined
  double fraction = 0;  // within / total; NaN when total = 0
};

struct RollingLevelSnapshot {
  LevelId level;
  bool measuring = false;     // its stage is in the measuring phase now
  double active_seconds = 0;  // active time covered by the retained slices (<= window)
  uint64_t requests = 0;      // counted requests (see the rules above)
  uint64_t errors = 0;
  uint64_t good = 0;                    // successful and within every SLO threshold
  uint64_t output_tokens = 0;           // arrived while measuring, within the window
  double error_ratio = 0;               // errors / requests; NaN without requests
  double output_tokens_per_second = 0;  // NaN when active_seconds = 0
  double requests_per_second = 0;       // NaN when active_seconds = 0
  RollingQuantiles time_to_first_token;
  RollingQuantiles time_per_output_token;
  RollingQuantiles inter_token_latency;
  RollingQuantiles request_duration;
  std::vector<SloFraction> slo;  // one per configured latency threshold, in SloKind order
};

// One configured SLO of a target, over the windows of all its levels.
struct SloStatus {
  SloKind kind = SloKind::kTimeToFirstToken;
  double threshold = 0;  // latency: seconds; error_ratio: the largest acceptable ratio
  double objective = 0;  // latency: fraction required within; error_ratio: = threshold
  double measured = 0;   // latency: within / total; error_ratio: errors / requests; NaN = no data
  uint64_t count = 0;    // latency: requests within; error_ratio: errors
  uint64_t total = 0;    // latency: requests measured; error_ratio: requests
  bool has_data = false;
  bool holds = true;  // true when there is no data
};

struct RollingTargetSnapshot {
  std::string target;
  std::string model;
  double window_seconds = 0;                 // effective window: slices * (window_ns / slices)
  std::vector<RollingLevelSnapshot> levels;  // in LevelId order
  std::vector<SloStatus> slos;               // configured SLOs only, in SloKind order
};

class RollingStats final : public ResultSink, public StageObserver {
 public:
  // `slices` per window (the window's time resolution); clock not owned.
  explicit RollingStats(const Clock& clock, int slices = 20);
  ~RollingStats() override;
  RollingStats(const RollingStats&) = delete;
  RollingStats& operator=(const RollingStats&) = delete;

  // Adds a target, or updates its model and SLOs. A changed window_ns empties the windows of
  // its levels (a measuring level keeps measuring from now).
  void AddTarget(const std::string& target, const std::string& model, const SloConfig& slo,
                 int64_t window_ns);
  void RemoveTarget(const std::string& target);

  // The level's stage entered / left its measuring phase at real time t. Unknown targets are
  // ignored; a level is created on its first MeasuringStarted.
  void MeasuringStarted(const std::string& target, const LevelId& level, MonoNanos t) override;
  void MeasuringStopped(const std::string& target, const LevelId& level, MonoNanos t) override;

  void Record(const SeriesKey& key, const RequestResult& result) override;

  // Every target (by name) with its levels, at clock.Now().
  std::vector<RollingTargetSnapshot> Snapshot() const;

 private:
  struct Level;  // one level's window and its lock (RollingStats.cpp)
  struct Target;

  const Clock& clock_;
  const int slices_;
  mutable std::shared_mutex mu_;  // guards the map and each Target's level map
  std::map<std::string, std::unique_ptr<Target>> targets_;
};

}  // namespace llmprobe
