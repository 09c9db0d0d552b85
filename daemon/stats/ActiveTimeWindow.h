// A rolling window over one level's ACTIVE time: the time during which that level was being
// measured (its stage's measuring phase: after warm-up, before the stage end).
//
// Stages of different levels alternate, so each level keeps its own active clock that only
// advances while it is measuring. Resume(t) / Pause(t) mark the measuring intervals in real
// monotonic time; ActiveTimeAt(t) maps a real moment to active time. A level that is not
// running keeps its clock frozen, and so keeps its last window.
//
// The window is a ring of N slices of width window_ns / N (integer division; the effective
// window is N * width) in active time. Slice k covers active time [k*width, (k+1)*width). A
// slice is cleared and reused when the clock moves N slices past it. Everything is in
// nanoseconds; `MonoNanos` is real monotonic time, `int64_t active_ns` is active time.
//
// ActiveTimeline holds the intervals and the slice arithmetic; ActiveTimeWindow<Slice> adds
// the ring of slices. Slice must be default-constructible, copyable, and have
// `void Clear()` and `void Merge(const Slice&)`.
//
// Not thread-safe: the owner holds a lock around every call (RollingStats: one per level).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "common/Clock.h"

namespace llmprobe {

class ActiveTimeline {
 public:
  // window_ns >= slices >= 1 (smaller values are raised to that).
  ActiveTimeline(int64_t window_ns, int slices);

  // Starts a measuring interval at real time t (ignored if already measuring). A t before the
  // end of the previous interval is moved to that end, so intervals never overlap.
  void Resume(MonoNanos t);
  // Ends the current measuring interval at t (ignored if not measuring; t is clamped to the
  // interval's start). Also drops intervals that ended more than a window ago in active time.
  void Pause(MonoNanos t);
  bool measuring() const { return open_; }

  // Active time at real moment t: nullopt when t falls outside every retained interval.
  // Intervals are half-open [resume, pause); an open interval covers every t >= its resume.
  std::optional<int64_t> ActiveTimeAt(MonoNanos t) const;
  // Active time elapsed up to real time `now` (frozen while not measuring).
  int64_t ActiveNowNs(MonoNanos now) const;

  // Slice index (active_ns / width) and the active time the retained slices cover at active
  // time `active_now`: from the start of the oldest retained slice to active_now, so between
  // (N-1)*width and N*width once the level is older than the window, else active_now.
  int64_t SliceIndex(int64_t active_ns) const { return active_ns / width_ns_; }
  int64_t CoveredNs(int64_t active_now) const;
  // The oldest slice index still retained when the newest is `newest`.
  int64_t OldestRetained(int64_t newest) const { return newest - slices_ + 1; }

  int slices() const { return slices_; }
  int64_t slice_width_ns() const { return width_ns_; }
  int64_t window_ns() const { return width_ns_ * slices_; }
  size_t interval_count() const { return intervals_.size(); }  // retained intervals

 private:
  struct Interval {
    MonoNanos start;       // real time of Resume
    MonoNanos end;         // real time of Pause; valid when closed
    int64_t active_start;  // active time at `start`
  };
  void DropOldIntervals();

  int slices_;
  int64_t width_ns_;
  std::deque<Interval> intervals_;  // in real-time order; the last is open when open_
  bool open_ = false;
  int64_t closed_active_ns_ = 0;  // active time at the end of the last closed interval
};

template <class Slice>
class ActiveTimeWindow {
 public:
  ActiveTimeWindow(int64_t window_ns, int slices)
      : timeline_(window_ns, slices),
        slices_(static_cast<size_t>(timeline_.slices())),
        slice_index_(static_cast<size_t>(timeline_.slices()), -1) {}

  void Resume(MonoNanos t) { timeline_.Resume(t); }
  void Pause(MonoNanos t) { timeline_.Pause(t); }
  std::optional<int64_t> ActiveTimeAt(MonoNanos t) const { return timeline_.ActiveTimeAt(t); }
  int64_t ActiveNowNs(MonoNanos now) const { return timeline_.ActiveNowNs(now); }
  const ActiveTimeline& timeline() const { return timeline_; }

  // The slice covering active time `active_ns`, or nullptr when it is older than the retained
  // window (of the newest slice asked for so far). Asking for a newer slice moves the ring on.
  Slice* SliceFor(int64_t active_ns) {
    if (active_ns < 0) return nullptr;
    const int64_t k = timeline_.SliceIndex(active_ns);
    if (k < timeline_.OldestRetained(newest_)) return nullptr;
    newest_ = std::max(newest_, k);
    const size_t slot = static_cast<size_t>(k % timeline_.slices());
    if (slice_index_[slot] != k) {  // holds an expired slice (or none): reuse it
      slices_[slot].Clear();
      slice_index_[slot] = k;
    }
    return &slices_[slot];
  }

  // The slices retained at real time `now` merged into one, and the active time they cover.
  struct View {
    Slice merged;
    int64_t covered_ns = 0;  // see ActiveTimeline::CoveredNs
    int64_t active_ns = 0;   // ActiveNowNs(now)
  };
  View Merged(MonoNanos now) const {
    View v;
    v.active_ns = timeline_.ActiveNowNs(now);
    v.covered_ns = timeline_.CoveredNs(v.active_ns);
    const int64_t oldest = timeline_.OldestRetained(timeline_.SliceIndex(v.active_ns));
    for (size_t slot = 0; slot < slices_.size(); ++slot) {
      if (slice_index_[slot] >= oldest) v.merged.Merge(slices_[slot]);
    }
    return v;
  }

 private:
  ActiveTimeline timeline_;
  std::vector<Slice> slices_;         // the ring; slot = slice index % N
  std::vector<int64_t> slice_index_;  // slice index held by each slot, -1 = none
  int64_t newest_ = 0;                // newest slice index handed out
};

}  // namespace llmprobe
