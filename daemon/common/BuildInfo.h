// Version and git revision baked in at configure time (CMake configure_file).
#pragma once

#include <string_view>

namespace llmprobe {

// Semantic version of this build, e.g. "0.1.0".
std::string_view Version();
// Short git revision the build was configured from, or "unknown".
std::string_view GitRevision();

}  // namespace llmprobe
