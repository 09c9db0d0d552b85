// The HTML landing page at "/": links to the endpoints and a table of targets with their current
// stage. Everything interpolated is HTML-escaped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "load/TargetProber.h"
#include "stats/RollingStats.h"

namespace llmprobe {

// `rolling` adds, per target, whether each SLO holds over the rolling windows and the live
// throughput-latency curve (one row per level).
std::string RenderLandingPage(const std::vector<TargetStatus>& targets,
                              const std::vector<RollingTargetSnapshot>& rolling = {});

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view s);

}  // namespace llmprobe
