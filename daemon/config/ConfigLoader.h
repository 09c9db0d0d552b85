// YAML -> Config, strictly: unknown keys, wrong types, values out of range, missing required
// keys, empty level lists, negative durations, keys of another mode (think_time with load mode
// rate), a sweep longer than its interval, duplicate target names and priced targets in
// different currencies are errors. Every error is reported as
//   file:line:col: key.path: message
// with 1-based line and column of the offending node (for a missing key, the node of its parent),
// e.g. "my.yaml:8:7: targets[0].workload.promt_tokens: unknown key "promt_tokens" (did you mean
// "prompt_tokens"?)".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/Status.h"
#include "config/Config.h"

namespace llmprobe {

struct ConfigError {
  std::string file;
  int line = 0;          // 1-based; 0 if unknown
  int column = 0;        // 1-based; 0 if unknown
  std::string key_path;  // e.g. "targets[0].load.concurrency"
  std::string message;
  std::string ToString() const;  // "file:line:col: key.path: message"
};

// Loads and validates a config file. On failure the Status message holds every error found, one
// ConfigError::ToString() per line, in file order. Files the config names (a prompts_file) are
// read too, relative to the config file's directory. Thread-safe (no shared state).
Result<Config> LoadConfigFile(const std::string& path);

// Same, from text; `source_name` stands in for the file name in messages, and relative file
// names in the config are resolved against `base_dir` ("" = as written: the working directory).
Result<Config> LoadConfigString(std::string_view yaml, const std::string& source_name,
                                const std::string& base_dir = "");

// Splits and checks a target URL ("http(s)://host[:port]/path[?query]"). A base URL ending in
// "/v1" is completed with the dialect's endpoint: "/chat/completions" (openai-chat),
// "/completions" (openai-completions), "/responses" (openai-responses), "/messages"
// (anthropic-messages). tgi and ollama have no /v1 base: their URL must name the endpoint
// (".../generate_stream", ".../api/chat"); a base URL is refused with an example.
Result<UrlParts> ParseTargetUrl(std::string_view url, ApiKind api);

}  // namespace llmprobe
