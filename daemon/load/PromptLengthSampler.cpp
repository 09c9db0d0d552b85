#include "load/PromptLengthSampler.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "load/SplitMix.h"

namespace llmprobe {
namespace {

constexpr uint64_t kUniformStream = 0x6c656e677468756eULL;
constexpr uint64_t kNormalStream = 0x6c656e6774686e6fULL;

}  // namespace

PromptLengthSampler::PromptLengthSampler(const WorkloadConfig& workload, uint64_t seed)
    : distribution_(workload.prompt_distribution),
      value_(workload.prompt_tokens),
      min_(workload.prompt_tokens_min),
      max_(std::max(workload.prompt_tokens_min, workload.prompt_tokens_max)),
      stddev_(workload.prompt_tokens_stddev),
      seed_(seed) {}

int64_t PromptLengthSampler::Sample(uint64_t n) const {
  switch (distribution_) {
    case PromptLengthDistribution::kFixed:
      break;
    case PromptLengthDistribution::kUniform: {
      // The modulo bias is below range / 2^64: nothing at prompt lengths.
      const auto range = static_cast<uint64_t>(max_ - min_ + 1);
      return min_ + static_cast<int64_t>(Mix(seed_, kUniformStream, n) % range);
    }
    case PromptLengthDistribution::kNormal: {
      // Box-Muller; u1 in (0, 1] keeps the log finite.
      const double u1 = 1.0 - UnitInterval(Mix(seed_, kNormalStream, 2 * n));
      const double u2 = UnitInterval(Mix(seed_, kNormalStream, 2 * n + 1));
      const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
      const double x = std::round(static_cast<double>(value_) + stddev_ * z);
      return static_cast<int64_t>(std::clamp(x, 1.0, static_cast<double>(kMaxPromptTokens)));
    }
  }
  return value_;
}

}  // namespace llmprobe
