// The bench report as CSV (`llmprobe bench --csv`), RFC 4180: a header row, then one row per
// level; records end in CRLF; a field holding a comma, a double quote, CR or LF is enclosed in
// double quotes with inner quotes doubled. Durations are in seconds (`_seconds` columns, shortest
// exact decimal), shares are fractions; a value that does not exist is an empty field. Every row
// repeats target and model so CSVs of several runs can be concatenated. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "report/BenchReport.h"

namespace llmprobe {

std::string RenderCsvReport(const BenchReport& report);

// One field, quoted when RFC 4180 requires it.
std::string CsvField(std::string_view value);

}  // namespace llmprobe
