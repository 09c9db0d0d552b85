// Characters per token without a tokenizer: learnt per target from the server's own count.
//
// The prompt generator sizes prompt text in characters (bytes of UTF-8). How many tokens a
// server makes of them depends on its tokenizer and chat template, which llmprobe does not
// have, so it starts from a guess of kInitialCharsPerToken (4.0, the usual figure for English
// with BPE tokenizers) and refits after every response that reports usage.prompt_tokens.
//
// The model over the last `window` observations (chars x, tokens t) is
//   t = overhead + x / chars_per_token
// where overhead stands for what the server counts besides the text (chat template tokens;
// negative when a part of the text, like the nonce, makes fewer tokens than its length says).
// It is a least-squares fit when the window's prompt lengths vary enough to tell the two
// apart (length distributions, or the first few requests of a fixed length), else the ratio
// sum(x) / sum(t) with no overhead. At a fixed target T the ratio is exact at its fixed point
// (x = T * sum(x) / sum(t) gives t = T), so both converge to prompts of T tokens; the fit also
// keeps short and long prompts of a distribution right when the server adds an overhead.
//
// Thread-safe: Observe and the readers may run concurrently (results arrive on transport
// threads, prompts are built on the scheduler thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace llmprobe {

class TokenCalibrator {
 public:
  static constexpr double kInitialCharsPerToken = 4.0;
  static constexpr size_t kDefaultWindow = 32;
  // Prompt lengths in the window must vary by this coefficient of variation for the fit.
  static constexpr double kMinSpreadForFit = 0.1;

  explicit TokenCalibrator(double initial_chars_per_token = kInitialCharsPerToken,
                           size_t window = kDefaultWindow);

  struct Estimate {
    double chars_per_token = kInitialCharsPerToken;  // > 0
    double overhead_tokens = 0;                      // 0 unless fitted
    int64_t samples = 0;                             // observations in the window
    bool fitted = false;                             // least squares (else the ratio)
  };

  // One response: a prompt of `chars` characters was counted as `tokens` tokens by the server.
  // Non-positive values are ignored.
  void Observe(int64_t chars, int64_t tokens);

  Estimate Current() const;
  // Characters of text for a whole prompt the server should count as `tokens` (>= 0).
  int64_t CharsForPrompt(double tokens) const;
  // Tokens the server is expected to count for a whole prompt of `chars` characters.
  double TokensForPrompt(int64_t chars) const;

 private:
  struct Sample {
    double chars;
    double tokens;
  };
  void RefitLocked();

  const double initial_chars_per_token_;
  const size_t window_;
  mutable std::mutex mu_;        // guards everything below
  std::vector<Sample> samples_;  // ring buffer of the last window_ observations
  size_t next_ = 0;              // where the next observation goes once the ring is full
  Estimate estimate_;
};

}  // namespace llmprobe
