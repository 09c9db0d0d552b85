// CircuitBreaker on a FakeClock: threshold, open periods (doubling, cap, jitter bounds),
// exactly one half-open trial, close on success, re-open on failure, Retry-After holds,
// canceled requests and results of requests started in an earlier state.
#include "load/CircuitBreaker.h"

#include <doctest/doctest.h>

#include <set>

using namespace llmprobe;

namespace {

using Change = CircuitBreaker::Change;
constexpr int64_t kSec = kNanosPerSecond;
constexpr int64_t kMs = kNanosPerMilli;

CircuitBreakerOptions NoJitter() {
  CircuitBreakerOptions o;
  o.jitter = 0;
  return o;
}

// Fails `n` requests in a row, each acquired and failed at the clock's time.
Change FailInRow(CircuitBreaker& b, const FakeClock& clock, int n, int64_t retry_after = 0) {
  Change last = Change::kNone;
  for (int i = 0; i < n; ++i) {
    REQUIRE(b.Allows(clock.Now()));
    const auto permit = b.Acquire(clock.Now());
    last = b.OnFailure(permit, clock.Now(), retry_after);
  }
  return last;
}

}  // namespace

TEST_CASE("circuit breaker: opens after 3 consecutive failures, a success resets the count") {
  FakeClock clock(100 * kSec);
  CircuitBreaker b(NoJitter());
  CHECK(b.state(clock.Now()) == CircuitState::kClosed);
  CHECK(FailInRow(b, clock, 2) == Change::kNone);
  CHECK(b.consecutive_failures() == 2);
  auto p = b.Acquire(clock.Now());
  CHECK(b.OnSuccess(p, clock.Now()) == Change::kNone);
  CHECK(b.consecutive_failures() == 0);
  CHECK(FailInRow(b, clock, 2) == Change::kNone);
  CHECK(b.Allows(clock.Now()));
  CHECK(FailInRow(b, clock, 1) == Change::kOpened);
  CHECK(b.state(clock.Now()) == CircuitState::kOpen);
  CHECK(b.times_opened() == 1);
  CHECK_FALSE(b.Allows(clock.Now()));
  CHECK(b.RemainingNs(clock.Now()) == 1 * kSec);
  CHECK(b.NextAllowed(clock.Now()) == clock.Now() + 1 * kSec);
  clock.Advance(999 * kMs);
  CHECK_FALSE(b.Allows(clock.Now()));
  CHECK(b.RemainingNs(clock.Now()) == 1 * kMs);
}

TEST_CASE("circuit breaker: canceled requests count neither way") {
  FakeClock clock;
  CircuitBreaker b(NoJitter());
  FailInRow(b, clock, 2);
  auto p = b.Acquire(clock.Now());
  b.OnCanceled(p);
  CHECK(b.consecutive_failures() == 2);
  CHECK(b.state(clock.Now()) == CircuitState::kClosed);
}

TEST_CASE("circuit breaker: exactly one trial when half-open, success closes and resets") {
  FakeClock clock;
  CircuitBreaker b(NoJitter());
  REQUIRE(FailInRow(b, clock, 3) == Change::kOpened);
  clock.Advance(1 * kSec);
  CHECK(b.state(clock.Now()) == CircuitState::kHalfOpen);  // the trial is due
  REQUIRE(b.Allows(clock.Now()));
  Change change = Change::kNone;
  const auto trial = b.Acquire(clock.Now(), &change);
  CHECK(change == Change::kHalfOpened);
  CHECK(trial.trial);
  // While the trial is in flight nothing else may start, and nobody knows until when.
  CHECK_FALSE(b.Allows(clock.Now()));
  CHECK(b.NextAllowed(clock.Now()) == CircuitBreaker::kNever);
  CHECK(b.RemainingNs(clock.Now()) == 0);
  clock.Advance(10 * kSec);
  CHECK_FALSE(b.Allows(clock.Now()));
  CHECK(b.state(clock.Now()) == CircuitState::kHalfOpen);
  CHECK(b.OnSuccess(trial, clock.Now()) == Change::kClosed);
  CHECK(b.state(clock.Now()) == CircuitState::kClosed);
  CHECK(b.Allows(clock.Now()));
  CHECK(b.consecutive_failures() == 0);
  // The doubling starts over: the next opening is 1 s again.
  REQUIRE(FailInRow(b, clock, 3) == Change::kOpened);
  CHECK(b.last_open_ns() == 1 * kSec);
  CHECK(b.times_opened() == 2);
}

TEST_CASE("circuit breaker: a failed trial re-opens for twice as long, up to 5 min") {
  FakeClock clock;
  CircuitBreaker b(NoJitter());
  REQUIRE(FailInRow(b, clock, 3) == Change::kOpened);
  std::vector<int64_t> periods{b.last_open_ns()};
  for (int i = 0; i < 12; ++i) {
    clock.Set(b.NextAllowed(clock.Now()));
    REQUIRE(b.Allows(clock.Now()));
    const auto trial = b.Acquire(clock.Now());
    REQUIRE(trial.trial);
    clock.Advance(50 * kMs);  // the trial takes a while
    CHECK(b.OnFailure(trial, clock.Now(), 0) == Change::kReopened);
    CHECK(b.state(clock.Now()) == CircuitState::kOpen);
    periods.push_back(b.last_open_ns());
  }
  const std::vector<int64_t> want{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300};
  REQUIRE(periods.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    CHECK(periods[i] == want[i] * kSec);
  }
  CHECK(b.times_opened() == 13);
  // The open period counts from the trial's failure.
  CHECK(b.NextAllowed(clock.Now()) == clock.Now() + 300 * kSec);
}

TEST_CASE("circuit breaker: jitter stays within +-20% and spreads targets") {
  std::set<int64_t> firsts;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    FakeClock clock;
    CircuitBreaker b(CircuitBreakerOptions{}, seed);
    REQUIRE(FailInRow(b, clock, 3) == Change::kOpened);
    const int64_t first = b.last_open_ns();
    CHECK(first >= 800 * kMs);
    CHECK(first <= 1200 * kMs);
    firsts.insert(first);
    // Re-opened at the cap: 5 min +-20%.
    for (int i = 0; i < 12; ++i) {
      clock.Set(b.NextAllowed(clock.Now()));
      b.OnFailure(b.Acquire(clock.Now()), clock.Now(), 0);
    }
    CHECK(b.last_open_ns() >= 240 * kSec);
    CHECK(b.last_open_ns() <= 360 * kSec);
  }
  CHECK(firsts.size() > 150);  // not in step
}

TEST_CASE("circuit breaker: Retry-After holds requests back, also below the threshold") {
  FakeClock clock;
  CircuitBreaker b(NoJitter());
  SUBCASE("one 429 with Retry-After 2 s") {
    CHECK(FailInRow(b, clock, 1, 2 * kSec) == Change::kNone);
    CHECK(b.state(clock.Now()) == CircuitState::kClosed);
    CHECK_FALSE(b.Allows(clock.Now()));
    CHECK(b.NextAllowed(clock.Now()) == 2 * kSec);
    CHECK(b.RemainingNs(clock.Now()) == 2 * kSec);
    clock.Advance(2 * kSec - 1);
    CHECK_FALSE(b.Allows(clock.Now()));
    clock.Advance(1);
    CHECK(b.Allows(clock.Now()));
  }
  SUBCASE("a Retry-After longer than the backoff sets the open period") {
    FailInRow(b, clock, 2);
    CHECK(FailInRow(b, clock, 1, 7 * kSec) == Change::kOpened);
    CHECK(b.last_open_ns() == 7 * kSec);
    clock.Advance(6 * kSec);
    CHECK(b.state(clock.Now()) == CircuitState::kOpen);
    CHECK_FALSE(b.Allows(clock.Now()));
    clock.Advance(1 * kSec);
    CHECK(b.Allows(clock.Now()));
  }
  SUBCASE("a shorter Retry-After does not shorten the backoff") {
    FailInRow(b, clock, 2);
    CHECK(FailInRow(b, clock, 1, 1) == Change::kOpened);
    CHECK(b.last_open_ns() == 1 * kSec);
  }
  SUBCASE("a late result of an earlier request still extends the hold") {
    const auto early = b.Acquire(clock.Now());
    REQUIRE(FailInRow(b, clock, 3) == Change::kOpened);
    clock.Advance(100 * kMs);
    CHECK(b.OnFailure(early, clock.Now(), 5 * kSec) == Change::kNone);
    CHECK(b.NextAllowed(clock.Now()) == clock.Now() + 5 * kSec);
    CHECK(b.state(clock.Now()) == CircuitState::kOpen);
  }
  SUBCASE("an absurd Retry-After is capped at 1 h") {
    FailInRow(b, clock, 1, 1000 * 3600 * kSec);
    CHECK(b.RemainingNs(clock.Now()) == 3600 * kSec);
  }
}

TEST_CASE("circuit breaker: results of requests started in an earlier state do not count") {
  FakeClock clock;
  CircuitBreaker b(NoJitter());
  // A closed-loop level of 5: five requests in flight, three fail and open the circuit.
  std::vector<CircuitBreaker::Permit> permits;
  for (int i = 0; i < 5; ++i) permits.push_back(b.Acquire(clock.Now()));
  for (int i = 0; i < 3; ++i) b.OnFailure(permits[i], clock.Now(), 0);
  REQUIRE(b.state(clock.Now()) == CircuitState::kOpen);
  // The fourth fails late, the fifth succeeds late: the circuit stays open, same period.
  const MonoNanos until = b.NextAllowed(clock.Now());
  clock.Advance(200 * kMs);
  CHECK(b.OnFailure(permits[3], clock.Now(), 0) == Change::kNone);
  CHECK(b.OnSuccess(permits[4], clock.Now()) == Change::kNone);
  CHECK(b.state(clock.Now()) == CircuitState::kOpen);
  CHECK(b.NextAllowed(clock.Now()) == until);
  CHECK(b.times_opened() == 1);
  // During the trial, a closed-state permit's success does not close the circuit.
  clock.Set(until);
  const auto trial = b.Acquire(clock.Now());
  CHECK(b.OnSuccess(permits[0], clock.Now()) == Change::kNone);
  CHECK(b.state(clock.Now()) == CircuitState::kHalfOpen);
  CHECK(b.OnSuccess(trial, clock.Now()) == Change::kClosed);
}

TEST_CASE("circuit breaker: a canceled trial lets another request be the trial") {
  FakeClock clock;
  CircuitBreaker b(NoJitter());
  REQUIRE(FailInRow(b, clock, 3) == Change::kOpened);
  clock.Advance(1 * kSec);
  const auto trial = b.Acquire(clock.Now());
  CHECK_FALSE(b.Allows(clock.Now()));
  b.OnCanceled(trial);
  CHECK(b.state(clock.Now()) == CircuitState::kHalfOpen);
  REQUIRE(b.Allows(clock.Now()));
  Change change = Change::kNone;
  const auto second = b.Acquire(clock.Now(), &change);
  CHECK(change == Change::kNone);  // still the same half-open period
  CHECK(second.trial);
  CHECK(b.OnFailure(second, clock.Now(), 0) == Change::kReopened);
  CHECK(b.last_open_ns() == 2 * kSec);
}

TEST_CASE("circuit breaker: state names") {
  CHECK(CircuitStateName(CircuitState::kClosed) == "closed");
  CHECK(CircuitStateName(CircuitState::kOpen) == "open");
  CHECK(CircuitStateName(CircuitState::kHalfOpen) == "half_open");
}
