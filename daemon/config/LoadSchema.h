// The schema of a target's `load`, `schedule`, `slo` and `budget` sections: how hard and when a
// target is probed, what latency and error ratio are acceptable, and what it may cost.
// Internal to the config loader; each function reads the section's mapping `node` at `path`
// (e.g. "targets[0].load") through a YamlReader, which collects the errors, and leaves the
// in-class default of every key that is absent or invalid.
#pragma once

#include <string>
#include <string_view>

#include "config/Config.h"
#include "config/YamlReader.h"

namespace llmprobe::schema {

// A mode-bound key: true if `key` is present and belongs to the section's mode, so it should
// be read. One present under another mode is reported at the key, as an unknown key is:
//   "only used with <key_mode> (<mode_text>)[; <hint>]"   key_mode e.g. "mode rate"
// with `mode_text` ("load.mode is rate") saying why and `hint` (may be empty) what to do
// instead. While the mode itself is invalid (!mode_known) nothing is read or reported.
bool KeyForMode(YamlReader& r, const YAML::Node& node, const std::string& path,
                std::string_view key, bool mode_matches, bool mode_known, std::string_view key_mode,
                const std::string& mode_text, std::string_view hint);

// Keys belong to one mode: `concurrency` and `think_time` to mode concurrency; `rate`,
// `arrival` and `max_inflight` to mode rate. In mode rate `concurrency` is cleared, so the
// levels are exactly `rate`.
void ReadLoad(YamlReader& r, const YAML::Node& node, const std::string& path, LoadConfig* load);

// `interval` and `random_start` belong to mode sweep. A sweep must fit in its interval: when
// `load_ok` (the load section had no errors), interval >= stage_duration x number of levels.
void ReadSchedule(YamlReader& r, const YAML::Node& node, const YAML::Node& key,
                  const std::string& path, const LoadConfig& load, bool load_ok,
                  ScheduleConfig* schedule);

// At least one of the three thresholds or error_ratio must be set. `key` is the section's key,
// where an empty (null) section is reported.
void ReadSlo(YamlReader& r, const YAML::Node& node, const YAML::Node& key, const std::string& path,
             SloConfig* slo);

// Caps and prices. A `price` must make something cost more than 0 and names a 3-letter
// currency; whether targets agree on it is checked across targets by the loader.
void ReadBudget(YamlReader& r, const YAML::Node& node, const std::string& path,
                BudgetConfig* budget);

}  // namespace llmprobe::schema
