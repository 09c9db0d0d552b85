// Renders a loaded Config back to YAML for the /config page, with everything that could be a
// secret shown as "<secret>": header values whose name suggests a credential (authorization,
// cookie, key, token, secret, password, signature, credential). Secrets themselves are never in
// a Config (they are read from files or the environment at run time); their sources (file path,
// variable name) are shown.
#pragma once

#include <string>
#include <string_view>

#include "config/Config.h"

namespace llmprobe {

std::string DumpConfigYaml(const Config& config);

// True for header names that may carry a credential (case-insensitive).
bool IsSensitiveHeader(std::string_view name);

}  // namespace llmprobe
