// Plain-text renderings of a bench report for a terminal: the aligned per-level table (the
// default output of `llmprobe bench`) and the full text report around it. ASCII only, lines end
// in '\n', no trailing spaces. Pure; safe from any thread.
#pragma once

#include <string>

#include "report/BenchReport.h"
#include "report/ReportTable.h"

namespace llmprobe {

// The table: a group header line ("TTFT (ms)" over p50 p90 p99), a column header line, one row
// per level, then one legend line per flag that occurs. Columns are two spaces apart, numbers
// right-aligned.
std::string RenderTextTable(const BenchReport& report);
std::string RenderTextTable(const ReportTable& table);

// Header (version, target, model, api, url, start time, run shape, SLO, budget), the table and
// the recommendation summary.
std::string RenderTextReport(const BenchReport& report);

}  // namespace llmprobe
