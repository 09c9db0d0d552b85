// Admission control of the mock's batching model (MockOptions.h): a FIFO queue of waiting
// requests and the count of active ones. Knows no clock: callers pass the times, and a request
// admitted by Release() or SetMaxBatch() gets the time passed there as its admission time.
// Thread-safe: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "common/Clock.h"

namespace llmprobe {

class BatchScheduler {
 public:
  // max_batch <= 0: no limit.
  explicit BatchScheduler(int max_batch = 0);
  BatchScheduler(const BatchScheduler&) = delete;
  BatchScheduler& operator=(const BatchScheduler&) = delete;

  // Joins the queue at `arrival` and blocks until admitted. Returns the admission time: `arrival`
  // when admitted at once (fewer than max_batch active and nobody waiting), else the time given
  // to the Release or SetMaxBatch that admitted it. Returns nullopt after Shutdown() (then the
  // caller is not active and must not Release).
  std::optional<MonoNanos> Admit(MonoNanos arrival);
  // An admitted request stops being active at `now`; admits queued requests (FIFO) while fewer
  // than max_batch are active. Call exactly once per successful Admit.
  void Release(MonoNanos now);

  // Changes the limit for admissions from now on (active requests are never preempted); a
  // raised limit admits waiting requests at `now`.
  void SetMaxBatch(int max_batch, MonoNanos now);
  int max_batch() const;

  int active() const;  // admitted, not yet released
  int queued() const;  // waiting in Admit

  // Wakes every waiting Admit (they return nullopt) and makes later ones return nullopt at once.
  void Shutdown();
  // Undoes Shutdown: Admit works again.
  void Reopen();

 private:
  struct Waiter {
    bool admitted = false;
    MonoNanos admitted_at = 0;
  };
  bool HasRoomLocked() const;
  void AdmitWaitingLocked(MonoNanos now);

  mutable std::mutex mu_;
  std::condition_variable admitted_cv_;
  int max_batch_;  // <= 0: no limit
  int active_ = 0;
  std::deque<Waiter*> waiting_;  // FIFO; each Waiter lives on its Admit caller's stack
  bool shutdown_ = false;
};

// Holds one admission and releases it when destroyed unless released before. Not thread-safe.
class BatchSlot {
 public:
  explicit BatchSlot(BatchScheduler* scheduler) : scheduler_(scheduler) {}
  ~BatchSlot() { Release(SteadyClock().Now()); }
  BatchSlot(const BatchSlot&) = delete;
  BatchSlot& operator=(const BatchSlot&) = delete;

  // Admit on the scheduler; false after its Shutdown.
  bool Admit(MonoNanos arrival);
  bool held() const { return admitted_; }
  MonoNanos admitted_at() const { return admitted_at_; }
  // Releases the slot at `now` if it is held; later calls do nothing.
  void Release(MonoNanos now);

 private:
  BatchScheduler* scheduler_;
  bool admitted_ = false;
  MonoNanos admitted_at_ = 0;
};

}  // namespace llmprobe
