// Admission control of the mock's batching model (MockOptions.h): a FIFO queue of waiting
// requests and the count of active ones. Knows no clock: callers pass the times, and a request
// admitted by Release() or SetMaxBatch() gets the time passed there as its admission time.
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "common/Clock.h"

namespace llmprobe {

class BatchScheduler {
 public:
  // Runs when a queued request is admitted, with its admission time, on the thread whose
  // Release() or SetMaxBatch() admitted it (outside the scheduler's lock).
  using OnAdmit = std::function<void(MonoNanos admitted_at)>;
  using Ticket = uint64_t;  // names a queued request, for Cancel()

  struct Admission {
    enum class Kind {
      kNow,      // admitted at once: `at` = the arrival
      kQueued,   // waiting: on_admit runs later unless Cancel(ticket) or Shutdown() comes first
      kRefused,  // after Shutdown(): not admitted, on_admit never runs
    };
    Kind kind = Kind::kRefused;
    MonoNanos at = 0;
    Ticket ticket = 0;
  };

  // max_batch <= 0: no limit.
  explicit BatchScheduler(int max_batch = 0);
  BatchScheduler(const BatchScheduler&) = delete;
  BatchScheduler& operator=(const BatchScheduler&) = delete;

  // Joins the queue at `arrival`: admitted at once when fewer than max_batch are active and
  // nobody waits, else queued (FIFO). An admitted request is active until its Release().
  Admission Admit(MonoNanos arrival, OnAdmit on_admit);
  // Takes a queued request out of the queue: true if it was still waiting (it will never be
  // admitted); false if it was admitted already (its on_admit ran or is running: that request
  // is active and must be released) or the ticket is unknown.
  bool Cancel(Ticket ticket);
  // An admitted request stops being active at `now`; admits queued requests (FIFO) while fewer
  // than max_batch are active. Call exactly once per admission.
  void Release(MonoNanos now);

  // Changes the limit for admissions from now on (active requests are never preempted); a
  // raised limit admits waiting requests at `now`.
  void SetMaxBatch(int max_batch, MonoNanos now);
  int max_batch() const;

  int active() const;  // admitted, not yet released
  int queued() const;  // waiting for admission

  // Drops the queue (those requests are never admitted) and refuses admissions from now on.
  void Shutdown();
  // Undoes Shutdown with nobody active: Admit works again.
  void Reopen();

 private:
  struct Waiter {
    Ticket ticket;
    OnAdmit on_admit;
  };
  bool HasRoomLocked() const;
  // Pops the waiters that fit into *admitted (their callbacks to run after unlocking).
  void AdmitWaitingLocked(std::vector<OnAdmit>* admitted);
  static void RunAdmitted(std::vector<OnAdmit>& admitted, MonoNanos now);

  mutable std::mutex mu_;
  int max_batch_;  // <= 0: no limit
  int active_ = 0;
  std::deque<Waiter> waiting_;  // FIFO
  Ticket next_ticket_ = 1;
  bool shutdown_ = false;
};

}  // namespace llmprobe
