#include "load/PromptGenerator.h"

#include <array>
#include <cstdio>

namespace llmprobe {
namespace {

constexpr std::array<const char*, 32> kWords = {
    "the",    "quick",  "brown",  "fox",     "jumps",  "over",   "lazy",    "dog",
    "while",  "seven",  "clever", "robots",  "write",  "short",  "poems",   "about",
    "rivers", "under",  "bright", "winter",  "skies",  "and",    "distant", "hills",
    "please", "answer", "with",   "careful", "detail", "using",  "plain",   "words"};

// splitmix64: a cheap, well-mixed 64-bit hash for nonces.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

PromptGenerator::PromptGenerator(const WorkloadConfig& workload, uint64_t seed)
    : workload_(workload), seed_(seed) {
  const int words = workload_.prompt_tokens - (workload_.unique_prefix ? 1 : 0);
  for (int i = 0; i < words; ++i) {
    if (!body_.empty()) body_.push_back(' ');
    body_.append(kWords[static_cast<size_t>(i) % kWords.size()]);
  }
}

Prompt PromptGenerator::Next() {
  Prompt p;
  p.estimated_tokens = workload_.prompt_tokens;
  if (!workload_.unique_prefix) {
    p.text = body_;
    return p;
  }
  const uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  char nonce[24];
  std::snprintf(nonce, sizeof nonce, "%016llx",
                static_cast<unsigned long long>(Mix(seed_ ^ Mix(n))));
  p.text.reserve(body_.size() + 20);
  p.text.append(nonce);
  if (!body_.empty()) {
    p.text.push_back(' ');
    p.text.append(body_);
  }
  return p;
}

}  // namespace llmprobe
