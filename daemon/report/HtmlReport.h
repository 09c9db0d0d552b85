// The bench report as one self-contained HTML5 file (`llmprobe bench --html`): the run header,
// the recommendation, the per-level table, the SVG chart inline, and the config used. No
// scripts, no external stylesheets, fonts or images; all text escaped. Pure; thread-safe.
#pragma once

#include <string>

#include "report/BenchReport.h"

namespace llmprobe {

std::string RenderHtmlReport(const BenchReport& report);

}  // namespace llmprobe
