// The schema of one `targets[i]` entry: its keys, what each must hold, and the checks between
// them (tls_config needs an https url; a sweep needs the load's levels to fit its interval).
// Internal to the config loader; reads through a YamlReader, which collects the errors.
#pragma once

#include <string>

#include "config/Config.h"
#include "config/YamlReader.h"

namespace llmprobe::schema {

// Fills *target from `node` (the target's mapping at `path`, e.g. "targets[0]"). Keys that are
// absent or invalid leave the in-class defaults. `base_dir` (the config file's directory, ""
// = as written) resolves relative data file names (workload.prompts_file).
void ReadTarget(YamlReader& r, const YAML::Node& node, const std::string& path,
                const std::string& base_dir, TargetConfig* target);

}  // namespace llmprobe::schema
