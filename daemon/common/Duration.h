// Go-style durations ("250ms", "1m30s", "2h", "1.5s") <-> nanoseconds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/Status.h"

namespace llmprobe {

// Parses a duration with units ns, us (or µs), ms, s, m, h; components may repeat ("1h30m") and
// carry a decimal fraction ("1.5s"). A bare "0" is zero. Negative values and missing units are
// errors with a message that names the problem.
Result<int64_t> ParseDuration(std::string_view text);

// Shortest exact rendering in the same syntax: 1500000000 -> "1.5s", 120000000000 -> "2m".
std::string FormatDuration(int64_t nanos);

}  // namespace llmprobe
