#include "stats/ActiveTimeWindow.h"

#include <iterator>

namespace llmprobe {

ActiveTimeline::ActiveTimeline(int64_t window_ns, int slices)
    : slices_(std::max(1, slices)), width_ns_(std::max<int64_t>(1, window_ns / slices_)) {}

void ActiveTimeline::Resume(MonoNanos t) {
  if (open_) return;
  if (!intervals_.empty()) t = std::max(t, intervals_.back().end);
  intervals_.push_back(Interval{t, t, closed_active_ns_});
  open_ = true;
}

void ActiveTimeline::Pause(MonoNanos t) {
  if (!open_) return;
  open_ = false;
  Interval& last = intervals_.back();
  last.end = std::max(t, last.start);
  closed_active_ns_ = last.active_start + (last.end - last.start);
  if (last.end == last.start) intervals_.pop_back();  // empty: maps no moment
  DropOldIntervals();
}

void ActiveTimeline::DropOldIntervals() {
  // A request that started in an interval which ended before the oldest retained slice would
  // land in an expired slice anyway, so such intervals are no longer needed.
  const int64_t oldest_start =
      std::max<int64_t>(0, OldestRetained(SliceIndex(closed_active_ns_))) * width_ns_;
  while (!intervals_.empty() && !(open_ && intervals_.size() == 1)) {
    const Interval& first = intervals_.front();
    if (first.active_start + (first.end - first.start) > oldest_start) break;
    intervals_.pop_front();
  }
}

std::optional<int64_t> ActiveTimeline::ActiveTimeAt(MonoNanos t) const {
  // The last interval starting at or before t.
  auto it = std::upper_bound(intervals_.begin(), intervals_.end(), t,
                             [](MonoNanos v, const Interval& i) { return v < i.start; });
  if (it == intervals_.begin()) return std::nullopt;
  --it;
  const bool is_open = open_ && std::next(it) == intervals_.end();
  if (!is_open && t >= it->end) return std::nullopt;
  return it->active_start + (t - it->start);
}

int64_t ActiveTimeline::ActiveNowNs(MonoNanos now) const {
  if (!open_) return closed_active_ns_;
  const Interval& last = intervals_.back();
  return last.active_start + std::max<int64_t>(0, now - last.start);
}

int64_t ActiveTimeline::CoveredNs(int64_t active_now) const {
  const int64_t oldest = std::max<int64_t>(0, OldestRetained(SliceIndex(active_now)));
  return active_now - oldest * width_ns_;
}

}  // namespace llmprobe
