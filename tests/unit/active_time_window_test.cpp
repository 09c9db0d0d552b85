#include <doctest/doctest.h>

#include "stats/ActiveTimeWindow.h"

using namespace llmprobe;

namespace {

struct CountSlice {
  int64_t n = 0;
  void Clear() { n = 0; }
  void Merge(const CountSlice& o) { n += o.n; }
};

using Window = ActiveTimeWindow<CountSlice>;

// Adds one to the slice of real time t, if t maps to a retained slice.
bool Add(Window& w, MonoNanos t) {
  auto active = w.ActiveTimeAt(t);
  if (!active) return false;
  CountSlice* s = w.SliceFor(*active);
  if (s == nullptr) return false;
  ++s->n;
  return true;
}

}  // namespace

TEST_CASE("active time window maps real time to active time across several intervals") {
  Window w(1000, 10);
  CHECK_FALSE(w.ActiveTimeAt(0).has_value());
  CHECK(w.ActiveNowNs(50) == 0);
  w.Resume(100);
  CHECK(w.timeline().measuring());
  CHECK(w.ActiveNowNs(150) == 50);
  w.Pause(200);
  w.Resume(1000);
  w.Pause(1050);
  w.Resume(5000);
  CHECK_FALSE(w.ActiveTimeAt(50).has_value());  // before the first interval
  CHECK(*w.ActiveTimeAt(100) == 0);
  CHECK(*w.ActiveTimeAt(199) == 99);
  CHECK_FALSE(w.ActiveTimeAt(200).has_value());  // intervals are half-open
  CHECK_FALSE(w.ActiveTimeAt(500).has_value());  // paused
  CHECK(*w.ActiveTimeAt(1000) == 100);
  CHECK(*w.ActiveTimeAt(1049) == 149);
  CHECK_FALSE(w.ActiveTimeAt(1050).has_value());
  CHECK(*w.ActiveTimeAt(5000) == 150);
  CHECK(*w.ActiveTimeAt(5600) == 750);  // open interval: any later moment
  CHECK(w.ActiveNowNs(700) == 150);     // now inside a pause of the past: frozen value
  CHECK(w.ActiveNowNs(5600) == 750);
  w.Pause(5600);
  CHECK(w.ActiveNowNs(99999) == 750);  // frozen while paused
  CHECK_FALSE(w.ActiveTimeAt(5600).has_value());
}

TEST_CASE("active time window ignores repeated or out-of-order notifications") {
  Window w(1000, 10);
  w.Pause(10);  // not measuring: ignored
  w.Resume(100);
  w.Resume(150);  // already measuring: ignored
  w.Pause(300);
  w.Pause(400);  // ignored
  CHECK(w.ActiveNowNs(1000) == 200);
  w.Resume(250);  // before the previous end: starts at 300, no overlap
  CHECK(*w.ActiveTimeAt(299) == 199);
  CHECK(*w.ActiveTimeAt(300) == 200);
  w.Pause(300);  // empty interval
  CHECK(w.ActiveNowNs(1000) == 200);
  CHECK_FALSE(w.ActiveTimeAt(300).has_value());
}

TEST_CASE("active time window slices expire as active time advances") {
  Window w(100, 10);  // slices of 10 ns
  CHECK(w.timeline().slice_width_ns() == 10);
  w.Resume(0);
  CHECK(Add(w, 5));
  CHECK(Add(w, 15));
  CHECK(w.Merged(50).merged.n == 2);
  CHECK(w.Merged(50).covered_ns == 50);  // young: all of its active time
  CHECK(w.Merged(99).merged.n == 2);
  CHECK(w.Merged(99).covered_ns == 99);
  auto v = w.Merged(100);  // slice 10 starts: slice 0 leaves the window
  CHECK(v.merged.n == 1);
  CHECK(v.covered_ns == 90);
  CHECK(w.Merged(119).covered_ns == 99);
  CHECK(w.Merged(120).merged.n == 0);
  // Writing into a newer slice moves the ring on: the old one is then refused.
  CHECK(Add(w, 125));
  CHECK_FALSE(Add(w, 15));
  CHECK(w.SliceFor(30) != nullptr);  // still inside the window of slice 12
  CHECK(w.SliceFor(29) == nullptr);
  // Slot of slice 2 (active 20..29) is reused for slice 12 and starts empty.
  CHECK(w.SliceFor(125)->n == 1);
  CHECK(w.Merged(125).merged.n == 1);
}

TEST_CASE("active time window of a paused level keeps its window while another level runs") {
  Window a(100, 10), b(100, 10);
  a.Resume(0);
  for (MonoNanos t = 0; t < 60; t += 2) CHECK(Add(a, t));
  a.Pause(60);
  b.Resume(60);
  for (MonoNanos t = 60; t < 1000; t += 2) CHECK(Add(b, t));
  CHECK_FALSE(Add(a, 500));  // a is not measuring
  const auto va = a.Merged(1000);
  CHECK(va.merged.n == 30);
  CHECK(va.covered_ns == 60);
  CHECK(va.active_ns == 60);
  const auto vb = b.Merged(1000);
  CHECK(vb.active_ns == 940);
  CHECK(vb.covered_ns == 90);  // slice 94 just began: slices 85..94 cover active 850..940
  CHECK(vb.merged.n == 45);    // samples at active 850, 852, .., 938
  // a resumes later: its clock continues from 60 and the old samples stay until they expire.
  a.Resume(2000);
  CHECK(*a.ActiveTimeAt(2010) == 70);
  CHECK(a.Merged(2030).merged.n == 30);
  CHECK(a.Merged(2050).merged.n == 20);  // active 110: slices 0 and 1 (5 samples each) expired
}

TEST_CASE("active time window drops intervals older than the window") {
  Window w(100, 10);
  for (MonoNanos t = 0; t < 100000; t += 100) {
    w.Resume(t);
    w.Pause(t + 7);  // 7 ns of active time per interval
  }
  // About window / 7 intervals are needed to map the retained slices; no more are kept.
  CHECK(w.timeline().interval_count() <= 100 / 7 + 2);
  CHECK(w.ActiveNowNs(200000) == 7000);
  CHECK(*w.ActiveTimeAt(99903) == 6996);       // last interval: active 6993 at real 99900
  CHECK_FALSE(w.ActiveTimeAt(0).has_value());  // dropped: older than the window
}

TEST_CASE("active time window effective width is window / slices") {
  Window w(1005, 10);
  CHECK(w.timeline().slice_width_ns() == 100);
  CHECK(w.timeline().window_ns() == 1000);
  Window tiny(3, 10);  // width clamped to 1 ns
  CHECK(tiny.timeline().slice_width_ns() == 1);
}
