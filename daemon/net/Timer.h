// A re-armable one-shot timer on an EventLoop. Arming an armed timer moves it (O(log n)).
// Loop thread only: create, arm, cancel and destroy it on the loop's thread. The callback runs
// on the loop thread once per arming, at or after the due time (tens of microseconds late with
// epoll_pwait2, up to ~1 ms with epoll_wait on old kernels); it may re-arm or destroy the timer.
#pragma once

#include <cstdint>
#include <functional>

#include "net/EventLoop.h"

namespace llmprobe::net {

class Timer final : private EventLoop::TimerNode {
 public:
  // `loop` must outlive the timer.
  Timer(EventLoop& loop, std::function<void()> on_fire)
      : loop_(loop), on_fire_(std::move(on_fire)) {}
  ~Timer() { Cancel(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Due at `due_ns` on the loop clock (EventLoop::NowNanos()).
  void ArmAt(int64_t due_ns) { loop_.timers().Schedule(this, due_ns); }
  // Saturates instead of overflowing for huge delays.
  void ArmAfter(int64_t delay_ns) {
    int64_t due = 0;
    if (__builtin_add_overflow(EventLoop::NowNanos(), delay_ns, &due)) due = INT64_MAX;
    ArmAt(due);
  }
  void Cancel() { loop_.timers().Erase(this); }
  bool armed() const { return linked(); }
  using TimerHeap::Node::due_ns;

 private:
  void Fire() override { on_fire_(); }

  EventLoop& loop_;
  std::function<void()> on_fire_;
};

}  // namespace llmprobe::net
