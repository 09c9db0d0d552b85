#include "mock/BatchScheduler.h"

#include <algorithm>
#include <utility>

namespace llmprobe {

BatchScheduler::BatchScheduler(int max_batch) : max_batch_(max_batch) {}

bool BatchScheduler::HasRoomLocked() const { return max_batch_ <= 0 || active_ < max_batch_; }

void BatchScheduler::AdmitWaitingLocked(std::vector<OnAdmit>* admitted) {
  while (!waiting_.empty() && HasRoomLocked()) {
    admitted->push_back(std::move(waiting_.front().on_admit));
    waiting_.pop_front();
    ++active_;  // counted here, so that the next admission sees it
  }
}

void BatchScheduler::RunAdmitted(std::vector<OnAdmit>& admitted, MonoNanos now) {
  for (OnAdmit& on_admit : admitted) on_admit(now);
}

BatchScheduler::Admission BatchScheduler::Admit(MonoNanos arrival, OnAdmit on_admit) {
  std::lock_guard<std::mutex> lock(mu_);
  Admission a;
  if (shutdown_) return a;
  if (waiting_.empty() && HasRoomLocked()) {
    ++active_;
    a.kind = Admission::Kind::kNow;
    a.at = arrival;
    return a;
  }
  a.kind = Admission::Kind::kQueued;
  a.ticket = next_ticket_++;
  waiting_.push_back(Waiter{a.ticket, std::move(on_admit)});
  return a;
}

bool BatchScheduler::Cancel(Ticket ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = std::find_if(waiting_.begin(), waiting_.end(),
                               [ticket](const Waiter& w) { return w.ticket == ticket; });
  if (it == waiting_.end()) return false;
  waiting_.erase(it);
  return true;
}

void BatchScheduler::Release(MonoNanos now) {
  std::vector<OnAdmit> admitted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_ = std::max(0, active_ - 1);
    AdmitWaitingLocked(&admitted);
  }
  RunAdmitted(admitted, now);
}

void BatchScheduler::SetMaxBatch(int max_batch, MonoNanos now) {
  std::vector<OnAdmit> admitted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    max_batch_ = max_batch;
    AdmitWaitingLocked(&admitted);
  }
  RunAdmitted(admitted, now);
}

int BatchScheduler::max_batch() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::max(0, max_batch_);
}

int BatchScheduler::active() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_;
}

int BatchScheduler::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(waiting_.size());
}

void BatchScheduler::Shutdown() {
  std::deque<Waiter> dropped;  // destroyed outside the lock
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = true;
  dropped.swap(waiting_);
}

void BatchScheduler::Reopen() {
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = false;
  active_ = 0;
}

}  // namespace llmprobe
