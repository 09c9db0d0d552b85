#include "load/HourlyBudget.h"

namespace llmprobe {

HourlyBudget::HourlyBudget(const BudgetConfig& config, MonoNanos start)
    : max_requests_(config.max_requests_per_hour),
      max_tokens_(config.max_output_tokens_per_hour),
      hour_start_(start) {}

void HourlyBudget::Roll(MonoNanos now) {
  if (now < hour_start_ + kHourNs) return;
  hour_start_ += (now - hour_start_) / kHourNs * kHourNs;
  requests_ = 0;
  tokens_ = 0;
}

bool HourlyBudget::exhausted(MonoNanos now) const {
  if (now >= hour_start_ + kHourNs) return false;  // the hour rolled: caps reset
  return (max_requests_ > 0 && requests_ >= max_requests_) ||
         (max_tokens_ > 0 && tokens_ >= max_tokens_);
}

bool HourlyBudget::TryStart(MonoNanos now) {
  Roll(now);
  if (exhausted(now)) return false;
  ++requests_;
  return true;
}

void HourlyBudget::ChargeTokens(int64_t output_tokens) { tokens_ += output_tokens; }

}  // namespace llmprobe
