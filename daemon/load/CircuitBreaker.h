// The per-target circuit breaker: it stops a scheduler from hammering a target that keeps
// failing, and says when to try again.
//
//   closed --(failure_threshold consecutive failures)--> open
//   open --(open period over)--> half-open: exactly one trial request may start
//   half-open --(trial succeeds)--> closed (failure count and backoff level reset)
//   half-open --(trial fails)--> open again, for the next (doubled) open period
//
// Open periods: initial_open, doubling on each re-open up to max_open, each multiplied by a
// random factor in [1 - jitter, 1 + jitter] (so many targets tripped together do not retry in
// step), and never shorter than a Retry-After the server sent.
// Retry-After: a failed response carrying one holds back every request until it has passed,
// whatever the state (also while closed, below the threshold); it is capped at
// max_retry_after so a broken header cannot park a target for ever.
// Canceled requests (shutdown) count neither way; a canceled trial lets another trial start.
// Results of requests that started in an earlier state (e.g. the other in-flight requests of a
// closed-loop level when the circuit opened) do not change the state: each request carries the
// Permit it was started with, and only permits of the current state count. Their Retry-After
// is still honoured.
//
// Time is passed in (monotonic nanoseconds), so the class is pure and testable with a fake
// clock. Not thread-safe: the owner (TargetProber) calls it under its lock.
#pragma once

#include <cstdint>
#include <limits>
#include <random>
#include <string_view>

#include "common/Clock.h"

namespace llmprobe {

struct CircuitBreakerOptions {
  int failure_threshold = 3;                       // consecutive failures that open the circuit
  int64_t initial_open_ns = 1 * kNanosPerSecond;   // first open period (before jitter)
  int64_t max_open_ns = 5 * 60 * kNanosPerSecond;  // cap of the doubling (before jitter)
  double jitter = 0.2;                             // open period x [1 - jitter, 1 + jitter]
  int64_t max_retry_after_ns = 60 * 60 * kNanosPerSecond;  // longest Retry-After honoured
};

enum class CircuitState { kClosed, kOpen, kHalfOpen };
std::string_view CircuitStateName(CircuitState s);  // "closed", "open", "half_open"

class CircuitBreaker {
 public:
  static constexpr MonoNanos kNever = std::numeric_limits<MonoNanos>::max();

  // What a request was started with; hand it back with the request's result.
  struct Permit {
    uint64_t epoch = 0;  // the state period the request started in
    bool trial = false;  // the half-open trial request
  };
  // A state change caused by a call, for the caller to log and to wake waiting requests.
  enum class Change {
    kNone,
    kOpened,      // closed -> open (threshold reached)
    kReopened,    // half-open -> open (the trial failed)
    kHalfOpened,  // open -> half-open (the trial was granted)
    kClosed,      // half-open -> closed (the trial succeeded)
  };

  explicit CircuitBreaker(CircuitBreakerOptions options = {}, uint64_t seed = 0);

  // Whether a request may start at `now`. No side effect.
  bool Allows(MonoNanos now) const;
  // Starts a request at `now`; requires Allows(now). When the open period is over this is the
  // trial request and the circuit turns half-open (*change = kHalfOpened).
  Permit Acquire(MonoNanos now, Change* change = nullptr);
  // The earliest time a request may start: `now` if Allows(now); the end of the open period or
  // of a Retry-After hold; kNever while the trial is in flight (its result decides).
  MonoNanos NextAllowed(MonoNanos now) const;

  // The result of a request started with `permit`, at `now`.
  Change OnSuccess(const Permit& permit, MonoNanos now);
  // `retry_after_ns` (0 = none) is the server's Retry-After.
  Change OnFailure(const Permit& permit, MonoNanos now, int64_t retry_after_ns);
  void OnCanceled(const Permit& permit);

  // kOpen reads as kHalfOpen once the open period is over (the trial is then due).
  CircuitState state(MonoNanos now) const;
  // Time until a request may start (0 when one may start now or a trial is in flight).
  int64_t RemainingNs(MonoNanos now) const;
  // Consecutive failures counted while closed (reset by a success).
  int consecutive_failures() const { return consecutive_failures_; }
  // Times the circuit opened, re-opens after a failed trial included.
  int64_t times_opened() const { return times_opened_; }
  // Length of the last open period (jitter and Retry-After applied), for log lines.
  int64_t last_open_ns() const { return last_open_ns_; }

 private:
  Change Open(MonoNanos now, Change change);

  const CircuitBreakerOptions options_;
  std::mt19937_64 rng_;
  CircuitState state_ = CircuitState::kClosed;  // kOpen stays until a trial is acquired
  uint64_t epoch_ = 1;                          // bumped on every state change
  int consecutive_failures_ = 0;
  int open_level_ = 0;            // open periods since the last close: the doubling exponent
  MonoNanos open_until_ = 0;      // state kOpen: end of the open period
  MonoNanos not_before_ = 0;      // Retry-After hold, in every state
  bool trial_in_flight_ = false;  // state kHalfOpen
  int64_t times_opened_ = 0;
  int64_t last_open_ns_ = 0;
};

}  // namespace llmprobe
