// Per-target spending caps per hour: at most N requests and M output tokens in each hour of the
// prober's life (hours are counted from Start on the monotonic clock, so "the hour rolls" every
// 60 minutes after the prober started). Not thread-safe: the prober guards it with its lock.
#pragma once

#include <cstdint>

#include "common/Clock.h"
#include "config/Config.h"

namespace llmprobe {

class HourlyBudget {
 public:
  HourlyBudget(const BudgetConfig& config, MonoNanos start);

  // True if a request may start at `now` (rolls the hour first). A request that starts is
  // charged at once; its output tokens are charged when it ends (ChargeTokens).
  bool TryStart(MonoNanos now);
  void ChargeTokens(int64_t output_tokens);

  // A cap is reached in the hour containing `now` (false once that hour has rolled).
  bool exhausted(MonoNanos now) const;
  MonoNanos hour_end() const { return hour_start_ + kHourNs; }  // when the caps reset
  bool capped() const { return max_requests_ > 0 || max_tokens_ > 0; }

  static constexpr int64_t kHourNs = 3600 * kNanosPerSecond;

 private:
  void Roll(MonoNanos now);

  const int64_t max_requests_;
  const int64_t max_tokens_;
  MonoNanos hour_start_;
  int64_t requests_ = 0;
  int64_t tokens_ = 0;
};

}  // namespace llmprobe
