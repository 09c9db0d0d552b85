// Target prompt lengths in tokens, drawn per request from workload.prompt_tokens: fixed,
// uniform over [min, max], or normal (mean, stddev) rounded and clamped to [1,
// kMaxPromptTokens]. Draw n depends only on the seed and n: stateless, thread-safe, repeatable.
#pragma once

#include <cstdint>

#include "config/Config.h"

namespace llmprobe {

class PromptLengthSampler {
 public:
  PromptLengthSampler(const WorkloadConfig& workload, uint64_t seed);
  int64_t Sample(uint64_t n) const;

 private:
  const PromptLengthDistribution distribution_;
  const int64_t value_;  // fixed value or mean
  const int64_t min_, max_;
  const double stddev_;
  const uint64_t seed_;
};

}  // namespace llmprobe
