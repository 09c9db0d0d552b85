#include "mock/BatchScheduler.h"

#include <algorithm>

namespace llmprobe {

BatchScheduler::BatchScheduler(int max_batch) : max_batch_(max_batch) {}

bool BatchScheduler::HasRoomLocked() const { return max_batch_ <= 0 || active_ < max_batch_; }

void BatchScheduler::AdmitWaitingLocked(MonoNanos now) {
  bool any = false;
  while (!waiting_.empty() && HasRoomLocked()) {
    Waiter* w = waiting_.front();
    waiting_.pop_front();
    w->admitted = true;
    w->admitted_at = now;
    ++active_;  // counted here, not when the waiter wakes, so the next admission sees it
    any = true;
  }
  if (any) admitted_cv_.notify_all();
}

std::optional<MonoNanos> BatchScheduler::Admit(MonoNanos arrival) {
  std::unique_lock<std::mutex> lock(mu_);
  if (shutdown_) return std::nullopt;
  if (waiting_.empty() && HasRoomLocked()) {
    ++active_;
    return arrival;
  }
  Waiter self;
  waiting_.push_back(&self);
  admitted_cv_.wait(lock, [&] { return self.admitted || shutdown_; });
  if (!self.admitted) return std::nullopt;  // Shutdown() emptied the queue
  return self.admitted_at;
}

void BatchScheduler::Release(MonoNanos now) {
  std::lock_guard<std::mutex> lock(mu_);
  active_ = std::max(0, active_ - 1);
  AdmitWaitingLocked(now);
}

void BatchScheduler::SetMaxBatch(int max_batch, MonoNanos now) {
  std::lock_guard<std::mutex> lock(mu_);
  max_batch_ = max_batch;
  AdmitWaitingLocked(now);
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
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = true;
  waiting_.clear();  // never admitted now: their Admit returns nullopt
  admitted_cv_.notify_all();
}

void BatchScheduler::Reopen() {
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = false;
}

bool BatchSlot::Admit(MonoNanos arrival) {
  std::optional<MonoNanos> at = scheduler_->Admit(arrival);
  if (!at) return false;
  admitted_ = true;
  admitted_at_ = *at;
  return true;
}

void BatchSlot::Release(MonoNanos now) {
  if (!admitted_) return;
  admitted_ = false;
  scheduler_->Release(now);
}

}  // namespace llmprobe
