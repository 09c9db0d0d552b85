// The prompt of each request, synthetic or from workload.prompts_file.
//
// Synthetic prompts are words of a fixed vocabulary (five-letter common English words: most
// tokenizers make one token of each, and the built-in mock counts words), laid out as
//   [shared prefix] [nonce] [body]
// - shared prefix (workload.shared_prefix_tokens > 0): the same text in every prompt of the
//   target, about that many tokens, so a server's prefix cache can hit it on purpose. It is
//   resized only when the calibrated estimate moves its length by more than 2%, and then only
//   its tail changes (it is the start of one fixed word stream);
// - nonce (workload.unique_prefix, default on): 16 hex digits unique to the request, so nothing
//   after it can come from a prefix cache;
// - body: words up to the request's target length, drawn by PromptLengthSampler.
// The text is sized in characters from a characters-per-token estimate that starts at 4.0 and
// is calibrated from the server's usage.prompt_tokens (TokenCalibrator.h): after the first few
// responses the server counts the target length (within 2%).
//
// prompts_file prompts are sent as written (in file order, cycling, or at random), the nonce
// and a space put before the text (or before the first message's content). Their token
// estimate, used when the server reports no usage, comes from the same calibrator.
//
// Thread-safe: Next() and Observe() may be called concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "config/Config.h"
#include "load/PromptLengthSampler.h"
#include "load/TokenCalibrator.h"
#include "stats/RequestResult.h"

namespace llmprobe {

struct Prompt {
  std::string text;  // the whole prompt; for messages, their contents joined by blank lines
  // A prompts_file conversation, to be sent as messages by the chat dialects; empty = `text`
  // is the prompt (one user message for the chat dialects).
  std::vector<ChatMessage> messages;
  int64_t chars = 0;             // bytes the server tokenizes: text, or the messages' contents
  int64_t target_tokens = 0;     // synthetic: the length aimed at; 0 for prompts_file prompts
  int64_t estimated_tokens = 0;  // target_tokens, or the calibrated estimate of a file prompt
};

class PromptGenerator {
 public:
  PromptGenerator(const WorkloadConfig& workload, uint64_t seed);

  Prompt Next();

  // Feeds the server's count of a prompt of `prompt_chars` characters (Prompt::chars) back to
  // the calibrator, when the result carries one (input_tokens_from_server).
  void Observe(int64_t prompt_chars, const RequestResult& result);

  const TokenCalibrator& calibrator() const { return calibrator_; }
  // The shared prefix as the next prompt will start with it ("" without one).
  std::string SharedPrefix();

 private:
  Prompt NextSynthetic(uint64_t n);
  Prompt NextFromFile(uint64_t n);
  std::string Nonce(uint64_t n) const;
  // Refreshes the shared prefix from the calibrator if it drifted; returns a copy.
  std::string SharedPrefixLocked();

  const WorkloadConfig workload_;
  const uint64_t seed_;
  const PromptLengthSampler lengths_;
  TokenCalibrator calibrator_;
  std::atomic<uint64_t> counter_{0};

  std::mutex prefix_mu_;       // guards the two below
  int64_t prefix_words_ = -1;  // words in shared_prefix_ (-1 = not built yet)
  std::string shared_prefix_;
};

}  // namespace llmprobe
