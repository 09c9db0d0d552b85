// Told by the scheduler when a level's stage enters and leaves its measuring phase (after the
// warm-up, until the stage end), so that per-level statistics can follow each level's active
// time. Implementations are thread-safe; calls come from the target's scheduler thread.
#pragma once

#include <string>

#include "common/Clock.h"
#include "stats/LevelId.h"

namespace llmprobe {

class StageObserver {
 public:
  virtual ~StageObserver() = default;
  virtual void MeasuringStarted(const std::string& target, const LevelId& level, MonoNanos t) = 0;
  virtual void MeasuringStopped(const std::string& target, const LevelId& level, MonoNanos t) = 0;
};

}  // namespace llmprobe
