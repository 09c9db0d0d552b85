// The timestamps of one request, exactly as measurement.md defines them, and the values derived
// from them. Monotonic nanoseconds; -1 = the moment did not happen. Plain data, no clock.
#pragma once

#include <cstdint>
#include <optional>

#include "common/Clock.h"

namespace llmprobe {

struct TimingRecord {
  MonoNanos t_intended = -1;       // when the scheduler meant to send it (= t_start, closed loop)
  MonoNanos t_start = -1;          // just before the request is written
  MonoNanos t_headers = -1;        // status line and headers received
  MonoNanos t_first_token = -1;    // first chunk carrying a token on any channel
  MonoNanos t_first_content = -1;  // first chunk with non-empty visible content
  MonoNanos t_last_token = -1;     // last token-bearing chunk
  MonoNanos t_end = -1;            // stream closed / end marker

  // TTFB = t_headers - t_start.
  std::optional<int64_t> TimeToFirstByteNs() const;
  // TTFT = t_first_token - t_start (the headline).
  std::optional<int64_t> TimeToFirstTokenNs() const;
  // t_first_content - t_start.
  std::optional<int64_t> TimeToFirstContentNs() const;
  // TPOT = (t_last_token - t_first_token) / (output_tokens - 1), only for output_tokens >= 2.
  std::optional<double> TimePerOutputTokenNs(int64_t output_tokens) const;
  // Request duration (e2e) = t_last_token - t_start.
  std::optional<int64_t> RequestDurationNs() const;
};

}  // namespace llmprobe
