// The mock's record of its own sends, so that a benchmark can tell the server's lateness from
// the client's delay: for every token chunk, how late it was handed to the kernel (the time
// taken right before the write, minus the chunk's due time by the timing model), kept
// separately for each response's first token chunk. Served on GET /mock/stats as
//   {"seconds": 12.5, "token_chunks": 51200,
//    "late_ms": {"p50": 0.021, "p99": 0.083, "max": 0.41},
//    "first_token_chunks": 800, "first_token_late_ms": {"p50": ..., "p99": ..., "max": ...}}
// (since the server started or the last POST /mock/stats/reset; quantiles within 1%, maxima
// exact, all 0 when nothing was sent).
//
// Thread-safe (one mutex; a Record is a few tens of nanoseconds).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "common/Clock.h"
#include "stats/LogHistogram.h"

namespace llmprobe {

class MockSendStats {
 public:
  explicit MockSendStats(MonoNanos now) : since_(now) {}

  // One token chunk written `late_ns` after its due time (negative = early, counted as 0).
  void Record(bool first_token, int64_t late_ns);
  void Reset(MonoNanos now);
  // The JSON above, as of `now`.
  std::string Json(MonoNanos now) const;

 private:
  mutable std::mutex mu_;
  MonoNanos since_;
  LogHistogram late_;        // nanoseconds, every token chunk
  LogHistogram first_late_;  // nanoseconds, first token chunks
};

}  // namespace llmprobe
