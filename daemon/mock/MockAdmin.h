// The mock's runtime control, as served on /mock/config: the timing part of MockOptions as JSON,
//   {"ttft_ms": 200, "tpot_ms": 20, "tpot_per_stream_ms": 0, "prefill_per_token_ms": 0,
//    "max_batch": 0}
// (times in milliseconds, fractions allowed), and the validation of a change to it. Pure
// functions: no sockets, no clocks; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/Status.h"
#include "mock/MockOptions.h"

namespace llmprobe {

// The five fields above, in that order.
std::string MockConfigJson(const MockOptions& options);

// Applies a JSON object holding any subset of those keys to *options. Times must be numbers from
// 0 to 3600000 (one hour), max_batch an integer from 0 to 1000000. All or nothing: on an error
// (not a JSON object, an unknown key, a bad value) *options is left unchanged and the message is
// meant for a 400 response.
Status ApplyMockConfigJson(std::string_view body, MockOptions* options);

}  // namespace llmprobe
