// Writes metric families in the Prometheus text exposition format (version 0.0.4) straight into a
// std::string, numbers via std::to_chars: a faster stand-in for prometheus-cpp's ostream-based
// TextSerializer, producing the same bytes (tests/unit/text_format_test.cpp compares the two).
// Values are written as "%.16g" would (prometheus-cpp 1.0's format), NaN as "Nan", infinities as
// "+Inf"/"-Inf". One deliberate difference: HELP text is escaped (`\` -> `\\`, newline -> `\n`) as
// the format requires, where prometheus-cpp writes it raw. Stateless and thread-safe.
#pragma once

#include <string>
#include <vector>

#include <prometheus/metric_family.h>

namespace llmprobe {

// Appends every family, in order, to `out` (reserving an estimate of the size first).
void AppendTextFormat(const std::vector<prometheus::MetricFamily>& families, std::string& out);

}  // namespace llmprobe
