#include "load/PromptGenerator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "load/SplitMix.h"

namespace llmprobe {
namespace {

// All of one length, so text length and word count go together exactly (the mock counts
// words; BPE tokenizers make one token of each of these with its leading space).
constexpr std::array<const char*, 64> kWords = {
    "about", "above", "after", "again", "along", "among", "apple", "basic", "beach", "begin",
    "black", "board", "brain", "bread", "brief", "bring", "brown", "build", "carry", "cause",
    "chair", "cheap", "check", "clean", "clear", "close", "cloud", "color", "count", "cover",
    "dance", "dream", "drink", "early", "earth", "field", "final", "first", "floor", "focus",
    "force", "fresh", "front", "fruit", "glass", "grand", "green", "group", "guide", "happy",
    "heart", "horse", "house", "light", "river", "stone", "table", "today", "water", "world",
    "write", "young", "smile", "sound"};
constexpr int64_t kCharsPerWord = 6;  // five letters and the space before the next word

// Independent streams of Mix(seed, stream, n).
constexpr uint64_t kNonceStream = 0x6e6f6e6365ULL;
constexpr uint64_t kBodyStream = 0x626f6479ULL;
constexpr uint64_t kPrefixStream = 0x707265666978ULL;
constexpr uint64_t kOrderStream = 0x6f72646572ULL;
// The shared prefix is the same in every run, not only within one: a server's prefix cache
// stays warm across llmprobe restarts.
constexpr uint64_t kPrefixSeed = 0x6c6c6d70726f6265ULL;

// Appends words [0, count) of `stream` under `seed`, space-separated (and separated from
// what *out already holds).
void AppendWords(std::string* out, uint64_t seed, uint64_t stream, int64_t count) {
  out->reserve(out->size() + static_cast<size_t>(count * kCharsPerWord));
  for (int64_t i = 0; i < count; ++i) {
    if (!out->empty()) out->push_back(' ');
    out->append(kWords[Mix(seed, stream, static_cast<uint64_t>(i)) % kWords.size()]);
  }
}

}  // namespace

PromptGenerator::PromptGenerator(const WorkloadConfig& workload, uint64_t seed)
    : workload_(workload), seed_(seed), lengths_(workload, seed) {}

Prompt PromptGenerator::Next() {
  const uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  return workload_.prompts.empty() ? NextSynthetic(n) : NextFromFile(n);
}

void PromptGenerator::Observe(int64_t prompt_chars, const RequestResult& result) {
  if (result.input_tokens_from_server) calibrator_.Observe(prompt_chars, result.input_tokens);
}

std::string PromptGenerator::Nonce(uint64_t n) const {
  char nonce[24];
  std::snprintf(nonce, sizeof nonce, "%016llx",
                static_cast<unsigned long long>(Mix(seed_, kNonceStream, n)));
  return nonce;
}

std::string PromptGenerator::SharedPrefix() {
  if (workload_.shared_prefix_tokens <= 0 || !workload_.prompts.empty()) return "";
  std::lock_guard<std::mutex> lock(prefix_mu_);
  return SharedPrefixLocked();
}

std::string PromptGenerator::SharedPrefixLocked() {
  // The prefix is a part of the prompt: it takes the slope of the estimate, not the overhead.
  const double chars_per_token = calibrator_.Current().chars_per_token;
  const int64_t want =
      std::max<int64_t>(1, std::llround(workload_.shared_prefix_tokens * chars_per_token /
                                        static_cast<double>(kCharsPerWord)));
  // Hysteresis: every resize costs the server's cache a miss, and calibration noise is < 2%.
  if (prefix_words_ < 0 ||
      std::abs(want - prefix_words_) > 0.02 * static_cast<double>(prefix_words_)) {
    prefix_words_ = want;
    shared_prefix_.clear();
    AppendWords(&shared_prefix_, kPrefixSeed, kPrefixStream, want);
  }
  return shared_prefix_;
}

Prompt PromptGenerator::NextSynthetic(uint64_t n) {
  Prompt p;
  p.target_tokens = lengths_.Sample(n);
  p.estimated_tokens = p.target_tokens;
  std::string text;
  if (workload_.shared_prefix_tokens > 0) {
    std::lock_guard<std::mutex> lock(prefix_mu_);
    text = SharedPrefixLocked();
  }
  if (workload_.unique_prefix) {
    if (!text.empty()) text.push_back(' ');
    text += Nonce(n);
  }
  // The body fills the rest of the estimated length; each word costs kCharsPerWord with its
  // separator (the first word of a prompt has none, hence the +1).
  const int64_t budget = calibrator_.CharsForPrompt(static_cast<double>(p.target_tokens));
  const int64_t rest = budget - static_cast<int64_t>(text.size()) + (text.empty() ? 1 : 0);
  int64_t words = std::max<int64_t>(
      0, std::llround(static_cast<double>(rest) / static_cast<double>(kCharsPerWord)));
  if (text.empty()) words = std::max<int64_t>(words, 1);  // never an empty prompt
  AppendWords(&text, seed_, kBodyStream, words);
  p.chars = static_cast<int64_t>(text.size());
  p.text = std::move(text);
  return p;
}

Prompt PromptGenerator::NextFromFile(uint64_t n) {
  const std::vector<PromptEntry>& entries = *workload_.prompts.entries;
  const size_t index = workload_.prompts_order == PromptsOrder::kRandom
                           ? static_cast<size_t>(Mix(seed_, kOrderStream, n) % entries.size())
                           : static_cast<size_t>(n % entries.size());
  const PromptEntry& entry = entries[index];
  const std::string nonce = workload_.unique_prefix ? Nonce(n) + " " : "";
  Prompt p;
  if (entry.messages.empty()) {
    p.text = nonce + entry.text;
    p.chars = static_cast<int64_t>(p.text.size());
  } else {
    p.messages = entry.messages;
    p.messages.front().content.insert(0, nonce);
    for (const ChatMessage& m : p.messages) {
      if (!p.text.empty()) p.text += "\n\n";
      p.text += m.content;
      p.chars += static_cast<int64_t>(m.content.size());
    }
  }
  p.estimated_tokens = std::max<int64_t>(1, std::llround(calibrator_.TokensForPrompt(p.chars)));
  return p;
}

}  // namespace llmprobe
