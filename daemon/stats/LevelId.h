// Identity of one load level: a closed-loop concurrency or an open-loop rate. It becomes the
// level label of every request metric: `concurrency="8"` or `rate="2.5"` (never both), so the
// two modes can not be confused in queries.
#pragma once

#include <string>

#include "config/Config.h"

namespace llmprobe {

struct LevelId {
  LoadMode mode = LoadMode::kConcurrency;
  int concurrency = 0;  // closed loop
  double rate = 0;      // open loop, requests per second

  static LevelId Concurrency(int c) { return LevelId{LoadMode::kConcurrency, c, 0}; }
  static LevelId Rate(double r) { return LevelId{LoadMode::kRate, 0, r}; }

  bool open_loop() const { return mode == LoadMode::kRate; }
  // "concurrency" or "rate".
  const char* LabelName() const { return open_loop() ? "rate" : "concurrency"; }
  // "8", or the shortest exact decimal of the rate ("2.5", "0.1").
  std::string LabelValue() const;

  friend bool operator==(const LevelId& a, const LevelId& b) {
    return a.mode == b.mode && a.concurrency == b.concurrency && a.rate == b.rate;
  }
  friend bool operator<(const LevelId& a, const LevelId& b) {
    if (a.mode != b.mode) return a.mode < b.mode;
    if (a.concurrency != b.concurrency) return a.concurrency < b.concurrency;
    return a.rate < b.rate;
  }
};

}  // namespace llmprobe
