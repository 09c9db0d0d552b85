// Where the deploy tests find the repository and the built binary (set by
// tests/deploy/CMakeLists.txt).
#pragma once

#include <filesystem>

namespace llmprobe::deploy {

inline std::filesystem::path SourceDir() { return LLMPROBE_DEPLOY_SOURCE_DIR; }

}  // namespace llmprobe::deploy
