// The per-level table of a bench report as cells of text: one row per level with the columns of
// issue 4 (requests, errors, TTFT p50/p90/p99, TPOT p50/p90/p99, ITL p50/p99, latency p50/p99,
// output tokens/s, requests/s, goodput, flags). Times are in milliseconds (FormatMillis), and
// the unit is in each group header. Shared by TextTable (aligned text) and HtmlReport (<table>).
// Pure; safe from any thread.
#pragma once

#include <string>
#include <vector>

#include "report/BenchReport.h"

namespace llmprobe {

// Flag words of the `flags` column.
inline constexpr const char* kFlagRecommended = "best";     // the recommended level
inline constexpr const char* kFlagOverBudget = "over";      // misses the budget
inline constexpr const char* kFlagUnstable = "unstable";    // halves differ > tolerance
inline constexpr const char* kFlagUnchecked = "unchecked";  // too few requests to judge stability
inline constexpr const char* kFlagFewForP99 = "few-p99";    // < 100 successes: p99 ~ the maximum

struct ReportTable {
  struct Column {
    std::string group;    // header above a span of columns, e.g. "TTFT (ms)"; "" = none
    std::string name;     // e.g. "p50"
    bool numeric = true;  // right-aligned
  };
  std::vector<Column> columns;
  std::vector<std::vector<std::string>> rows;  // rows[i][j] is level i, column j
  std::vector<bool> recommended;               // per row
  std::vector<std::string> legend;             // one line per flag word that occurs
};

ReportTable BuildReportTable(const BenchReport& report);

}  // namespace llmprobe
