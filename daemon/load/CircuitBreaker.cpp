#include "load/CircuitBreaker.h"

#include <algorithm>

namespace llmprobe {

std::string_view CircuitStateName(CircuitState s) {
  switch (s) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

CircuitBreaker::CircuitBreaker(CircuitBreakerOptions options, uint64_t seed)
    : options_(options), rng_(seed) {}

bool CircuitBreaker::Allows(MonoNanos now) const {
  if (now < not_before_) return false;
  switch (state_) {
    case CircuitState::kClosed:
      return true;
    case CircuitState::kOpen:
      return now >= open_until_;
    case CircuitState::kHalfOpen:
      return !trial_in_flight_;
  }
  return false;
}

CircuitBreaker::Permit CircuitBreaker::Acquire(MonoNanos now, Change* change) {
  if (change != nullptr) *change = Change::kNone;
  if (state_ == CircuitState::kClosed) return Permit{epoch_, false};
  if (state_ == CircuitState::kOpen && now >= open_until_) {
    state_ = CircuitState::kHalfOpen;
    ++epoch_;
    if (change != nullptr) *change = Change::kHalfOpened;
  }
  // Half-open (a previous trial may have been canceled): this request is the trial.
  trial_in_flight_ = true;
  return Permit{epoch_, true};
}

MonoNanos CircuitBreaker::NextAllowed(MonoNanos now) const {
  MonoNanos at = now;
  switch (state_) {
    case CircuitState::kClosed:
      break;
    case CircuitState::kOpen:
      at = open_until_;
      break;
    case CircuitState::kHalfOpen:
      if (trial_in_flight_) return kNever;
      break;
  }
  return std::max({now, at, not_before_});
}

CircuitBreaker::Change CircuitBreaker::OnSuccess(const Permit& permit, MonoNanos) {
  if (permit.epoch != epoch_) return Change::kNone;  // started in an earlier state
  if (state_ == CircuitState::kHalfOpen && permit.trial && trial_in_flight_) {
    state_ = CircuitState::kClosed;
    ++epoch_;
    trial_in_flight_ = false;
    consecutive_failures_ = 0;
    open_level_ = 0;
    return Change::kClosed;
  }
  if (state_ == CircuitState::kClosed) consecutive_failures_ = 0;
  return Change::kNone;
}

CircuitBreaker::Change CircuitBreaker::OnFailure(const Permit& permit, MonoNanos now,
                                                 int64_t retry_after_ns) {
  const int64_t retry_after = std::clamp<int64_t>(retry_after_ns, 0, options_.max_retry_after_ns);
  if (retry_after > 0) not_before_ = std::max(not_before_, now + retry_after);
  if (permit.epoch != epoch_) return Change::kNone;  // started in an earlier state
  if (state_ == CircuitState::kHalfOpen && permit.trial && trial_in_flight_) {
    trial_in_flight_ = false;
    return Open(now, Change::kReopened);
  }
  if (state_ == CircuitState::kClosed &&
      ++consecutive_failures_ >= std::max(1, options_.failure_threshold)) {
    return Open(now, Change::kOpened);
  }
  return Change::kNone;
}

void CircuitBreaker::OnCanceled(const Permit& permit) {
  if (permit.epoch == epoch_ && permit.trial && state_ == CircuitState::kHalfOpen) {
    trial_in_flight_ = false;  // another request may be the trial
  }
}

CircuitBreaker::Change CircuitBreaker::Open(MonoNanos now, Change change) {
  int64_t nominal = std::max<int64_t>(1, options_.initial_open_ns);
  for (int i = 0; i < open_level_ && nominal < options_.max_open_ns; ++i) nominal *= 2;
  nominal = std::min(nominal, std::max<int64_t>(1, options_.max_open_ns));
  double factor = 1.0;
  if (options_.jitter > 0) {
    factor =
        std::uniform_real_distribution<double>(1.0 - options_.jitter, 1.0 + options_.jitter)(rng_);
  }
  const int64_t jittered =
      std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(nominal) * factor));
  open_until_ = std::max(now + jittered, not_before_);  // a longer Retry-After wins
  last_open_ns_ = open_until_ - now;
  ++open_level_;
  ++times_opened_;
  state_ = CircuitState::kOpen;
  ++epoch_;
  return change;
}

CircuitState CircuitBreaker::state(MonoNanos now) const {
  if (state_ == CircuitState::kOpen && now >= std::max(open_until_, not_before_)) {
    return CircuitState::kHalfOpen;
  }
  return state_;
}

int64_t CircuitBreaker::RemainingNs(MonoNanos now) const {
  const MonoNanos next = NextAllowed(now);
  return next == kNever ? 0 : next - now;
}

}  // namespace llmprobe
