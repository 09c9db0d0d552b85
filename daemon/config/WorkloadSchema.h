// The schema of a target's `workload` section: what each request asks for (prompt length or
// real prompts from a file, output length, dialect extras). Internal to the config loader.
//
//   prompt_tokens: 128                      fixed synthetic length, or a mapping:
//     {distribution: fixed, value: N} | {distribution: uniform, min: A, max: B}
//     | {distribution: normal, mean: M, stddev: S}   (distribution defaults to fixed)
//   shared_prefix_tokens: N   a fixed prefix of ~N tokens before the nonce (prefix caching)
//   unique_prefix: true       the per-request nonce at the start (after the shared prefix)
//   prompts_file: p.jsonl     real prompts (config/PromptsFile.h), read now and at every reload;
//                             a relative path is resolved against the config file's directory
//   prompts_order: sequential | random
//   max_tokens, min_tokens, ignore_eos, send_max_completion_tokens, extra_body (a mapping, sent
//   as a JSON merge patch of the request body)
#pragma once

#include <optional>
#include <string>

#include "config/Config.h"
#include "config/YamlReader.h"

namespace llmprobe::schema {

// Fills *w from the section's mapping `node` at `path`. `api` is the target's dialect, or
// nullopt when its `api` is invalid (the keys only some dialects send are then not checked).
// `base_dir` resolves a relative prompts_file ("" = as written, i.e. the working directory).
void ReadWorkload(YamlReader& r, const YAML::Node& node, const std::string& path,
                  std::optional<ApiKind> api, const std::string& base_dir, WorkloadConfig* w);

}  // namespace llmprobe::schema
