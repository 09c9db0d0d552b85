// Monotonic time source, injected everywhere a timestamp is taken so tests can be exact.
#pragma once

#include <atomic>
#include <cstdint>

namespace llmprobe {

// Monotonic nanoseconds since an arbitrary epoch (CLOCK_MONOTONIC for SteadyClock).
using MonoNanos = int64_t;

constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr int64_t kNanosPerSecond = 1'000'000'000;

inline double NanosToSeconds(int64_t ns) { return static_cast<double>(ns) / 1e9; }

// A Clock is safe for concurrent use from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoNanos Now() const = 0;
};

// The process-wide real monotonic clock (std::chrono::steady_clock). Never destroyed.
const Clock& SteadyClock();

// A clock that only moves when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(MonoNanos start = 0) : now_(start) {}
  MonoNanos Now() const override { return now_.load(std::memory_order_acquire); }
  void Set(MonoNanos t) { now_.store(t, std::memory_order_release); }
  void Advance(int64_t delta_ns) { now_.fetch_add(delta_ns, std::memory_order_acq_rel); }

 private:
  std::atomic<MonoNanos> now_;
};

}  // namespace llmprobe
