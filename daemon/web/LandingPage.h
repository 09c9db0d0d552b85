// The HTML landing page at "/": links to the endpoints and a table of targets with their current
// stage. Everything interpolated is HTML-escaped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "load/TargetProber.h"

namespace llmprobe {

std::string RenderLandingPage(const std::vector<TargetStatus>& targets);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view s);

}  // namespace llmprobe
