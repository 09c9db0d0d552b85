// The bench report as JSON (`llmprobe bench --json`): version, start time, the config used, the
// full statistics of every level and the recommendation. The shape is documented, and checked in
// tests, by docs/bench-report.schema.json; bump kBenchReportSchemaVersion on incompatible
// changes. Durations are in seconds (keys end in `_seconds`), shares are fractions in [0, 1],
// values that do not exist (no samples, infinite ratios) are null. Pure; safe from any thread.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "report/BenchReport.h"

namespace llmprobe {

inline constexpr int kBenchReportSchemaVersion = 1;

nlohmann::json BenchReportToJson(const BenchReport& report);

// BenchReportToJson(report).dump(2) plus a trailing newline.
std::string RenderJsonReport(const BenchReport& report);

}  // namespace llmprobe
