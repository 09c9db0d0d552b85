// Synthetic prompts of a chosen length: an optional unique nonce word first (defeats prefix
// caching) followed by words from a fixed vocabulary. Length is counted in words, which is the
// built-in mock's token rule; real tokenizers differ, and the server's usage.prompt_tokens is
// what gets reported when it is sent.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "config/Config.h"

namespace llmprobe {

struct Prompt {
  std::string text;
  int64_t estimated_tokens = 0;  // words in `text`
};

// Thread-safe: Next() may be called concurrently.
class PromptGenerator {
 public:
  PromptGenerator(const WorkloadConfig& workload, uint64_t seed);
  Prompt Next();

 private:
  const WorkloadConfig workload_;
  const uint64_t seed_;
  std::atomic<uint64_t> counter_{0};
  std::string body_;  // the shared words after the nonce
};

}  // namespace llmprobe
