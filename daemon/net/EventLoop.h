// One epoll event loop running on its own thread: file-descriptor readiness, timers (on a
// TimerHeap) and tasks posted from any thread (an eventfd wakes the loop; waits use epoll_pwait2's
// nanosecond timeouts where the kernel has them). Everything registered with a loop is touched only
// on its thread.
//
// Thread-safety: Post() and InLoopThread() may be called from any thread; everything else only
// from the loop thread (inside a posted task, an I/O callback or a timer callback).
// Time: timers use the loop's own CLOCK_MONOTONIC nanoseconds (NowNanos()).
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/TimerHeap.h"

namespace llmprobe::net {

class EventLoop {
 public:
  // The owner of a registered file descriptor. OnIoEvent gets the epoll event mask. A handler
  // may unregister (and destroy) itself or other handlers from inside the callback: events
  // already collected for an unregistered handler are dropped.
  class IoHandler {
   public:
    virtual void OnIoEvent(uint32_t events) = 0;

   protected:
    ~IoHandler() = default;
  };

  using Task = std::function<void()>;

  struct Options {
    std::string name = "llmprobe-net";  // thread name (15 chars shown)
    int cpu = -1;                       // pin the thread to this CPU; -1 = no pinning
    size_t read_buffer_bytes = 64 * 1024;
  };

  // Starts the loop thread.
  explicit EventLoop(Options options);
  // Stops the loop and joins its thread. Tasks not run yet are destroyed without running;
  // registered handlers must be gone (their owners unregister them first). Not from the loop
  // thread itself.
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs `task` on the loop thread, after the current callback returned (also when called from
  // the loop thread). Tasks run in posting order. Thread-safe.
  void Post(Task task);
  // Runs `task` on the loop thread and waits until it has run. Not from the loop thread.
  void RunAndWait(const Task& task);
  // True on this loop's thread. Thread-safe.
  bool InLoopThread() const;
  // The loop running on the calling thread, or nullptr.
  static EventLoop* Current();

  // --- Loop thread only. ---
  // Registers `fd` for `events` (EPOLLIN, EPOLLOUT, EPOLLET, ...). Returns 0 or an errno.
  int Register(int fd, uint32_t events, IoHandler* handler);
  // Removes `fd` (must be called before closing it) and drops pending events of `handler`.
  void Unregister(int fd, IoHandler* handler);
  // CLOCK_MONOTONIC nanoseconds.
  static int64_t NowNanos();
  TimerHeap& timers() { return timers_; }
  // A scratch buffer for reads, shared by everything on this loop; valid until the callback
  // that uses it returns.
  char* read_buffer() { return read_buffer_.data(); }
  size_t read_buffer_size() const { return read_buffer_.size(); }

 private:
  // A timer node whose firing runs a callback: what Timer (Timer.h) builds on.
  friend class Timer;
  class TimerNode : public TimerHeap::Node {
   public:
    virtual void Fire() = 0;

   protected:
    ~TimerNode() = default;
  };

  class Waker final : public IoHandler {
   public:
    explicit Waker(EventLoop& loop) : loop_(loop) {}
    void OnIoEvent(uint32_t events) override;

   private:
    EventLoop& loop_;
  };

  void Run();
  // Nanoseconds until the next timer (0 with tasks pending, -1 = none).
  int64_t ComputeTimeoutNs();
  // epoll_pwait2 (nanosecond timeouts) where the kernel has it, else epoll_wait.
  int Wait(epoll_event* events, int max_events, int64_t timeout_ns);
  void RunDueTimers();
  void RunTasks();

  const Options options_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  Waker waker_{*this};
  std::vector<char> read_buffer_;
  TimerHeap timers_;                      // loop thread only
  std::vector<IoHandler*> unregistered_;  // during one event batch; loop thread only
  bool quit_ = false;                     // loop thread only
  bool have_pwait2_ = true;               // loop thread only

  std::mutex mu_;  // guards tasks_
  std::vector<Task> tasks_;
  std::atomic<bool> wake_pending_{false};  // an eventfd write is outstanding

  std::thread thread_;
};

}  // namespace llmprobe::net
