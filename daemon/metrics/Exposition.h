// Renders collectables in the Prometheus text exposition format (version 0.0.4).
#pragma once

#include <string>
#include <vector>

#include <prometheus/collectable.h>

namespace llmprobe {

inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

// Collects every collectable (not owned; must be alive) and serializes them in order.
std::string RenderExposition(const std::vector<const prometheus::Collectable*>& collectables);

}  // namespace llmprobe
