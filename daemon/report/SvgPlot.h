// The throughput-latency chart of a bench report (`llmprobe bench --plot`) as one
// self-contained SVG: no scripts, no external references, no web fonts (font-family is the
// generic `sans-serif`), every text escaped. Pure; safe from any thread.
//
// Panel (a), the seed's throughput-latency graph: x = output tokens/s across all concurrent
// requests, y = request latency p50 and p99 and, as a third (dashed) series, TTFT p50, so the
// prefill share of the latency is visible without a toggle. One point per level, labelled with
// its level (c=8, or 2.5/s in rate mode), lines connect the levels in ascending order. A latency
// budget (p50 or p99 limit) is drawn as a horizontal line; the recommended level is ringed.
//
// Panel (b): TTFT p50 (left axis) and TPOT p50 (right axis, its own scale: TPOT is often 10x
// smaller) against the level. The x axis is log2 when every level is a power of two (and there
// are at least two), linear otherwise.
//
// Axes: "nice" round ticks (1, 2, 2.5, 5 x 10^k) from zero; time axes in ms below 1 s, in s
// above; the unit is in every axis title.
#pragma once

#include <string>
#include <vector>

#include "report/BenchReport.h"

namespace llmprobe {

// The SVG document, starting with an XML declaration.
std::string RenderSvgPlot(const BenchReport& report);

// The <svg> element alone, for inlining into HTML.
std::string RenderSvgElement(const BenchReport& report);

// Round tick values covering [0, max_value] (at least [0, 1]): about `target` ticks, the step
// 1, 2, 2.5 or 5 times a power of ten. Exposed for tests.
std::vector<double> NiceTicks(double max_value, int target = 5);

}  // namespace llmprobe
