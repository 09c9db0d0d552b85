// `llmprobe bench`: one pass over a target's levels on the daemon's own engine (TargetProber
// with single_pass, the epoll transport), each level after a warm-up that is excluded, levels in
// order with the load drained between them; the results become a BenchReport (report/).
#pragma once

#include <cstdint>
#include <string>

#include "common/Clock.h"
#include "common/Status.h"
#include "config/Config.h"
#include "report/BenchReport.h"

namespace llmprobe {

struct BenchOptions {
  TargetConfig target;       // its load levels are the sweep (concurrency or rate)
  std::string bearer_token;  // secret, from the target's auth
  int64_t duration_ns = 60 * kNanosPerSecond;  // measured time per level (when requests == 0)
  int64_t requests = 0;  // > 0: measured requests started per level instead of a duration
  int64_t warmup_ns = 10 * kNanosPerSecond;  // before each level, excluded
  Budget budget;                             // for the recommendation; empty = none
  bool progress = false;                     // a progress line on stderr (for a terminal)
};

// Runs the sweep; blocks for its whole length. Errors only for unusable input.
Result<BenchReport> RunBench(const BenchOptions& options, const Clock& clock = SteadyClock());

}  // namespace llmprobe
