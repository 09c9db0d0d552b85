#include "load/TokenCalibrator.h"

#include <algorithm>
#include <cmath>

namespace llmprobe {

TokenCalibrator::TokenCalibrator(double initial_chars_per_token, size_t window)
    : initial_chars_per_token_(initial_chars_per_token > 0 ? initial_chars_per_token
                                                           : kInitialCharsPerToken),
      window_(std::max<size_t>(1, window)) {
  samples_.reserve(window_);
  estimate_.chars_per_token = initial_chars_per_token_;
}

void TokenCalibrator::Observe(int64_t chars, int64_t tokens) {
  if (chars <= 0 || tokens <= 0) return;
  const Sample s{static_cast<double>(chars), static_cast<double>(tokens)};
  std::lock_guard<std::mutex> lock(mu_);
  if (samples_.size() < window_) {
    samples_.push_back(s);
  } else {
    samples_[next_] = s;
    next_ = (next_ + 1) % window_;
  }
  RefitLocked();
}

void TokenCalibrator::RefitLocked() {
  Estimate e;
  e.samples = static_cast<int64_t>(samples_.size());
  double sum_x = 0, sum_t = 0;
  for (const Sample& s : samples_) {
    sum_x += s.chars;
    sum_t += s.tokens;
  }
  e.chars_per_token = sum_x / sum_t;  // the ratio, the fallback
  const double n = static_cast<double>(samples_.size());
  if (samples_.size() >= 3) {
    const double mean_x = sum_x / n, mean_t = sum_t / n;
    double var_x = 0, cov = 0;
    for (const Sample& s : samples_) {
      var_x += (s.chars - mean_x) * (s.chars - mean_x);
      cov += (s.chars - mean_x) * (s.tokens - mean_t);
    }
    var_x /= n;
    cov /= n;
    if (std::sqrt(var_x) >= kMinSpreadForFit * mean_x) {
      const double tokens_per_char = cov / var_x;
      const double overhead = mean_t - tokens_per_char * mean_x;
      // A fit dominated by noise (a slope of the wrong sign, an overhead as large as half the
      // prompts) is worse than the ratio.
      if (tokens_per_char > 0 && std::abs(overhead) <= 0.5 * mean_t) {
        e.chars_per_token = 1 / tokens_per_char;
        e.overhead_tokens = overhead;
        e.fitted = true;
      }
    }
  }
  estimate_ = e;
}

TokenCalibrator::Estimate TokenCalibrator::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return estimate_;
}

int64_t TokenCalibrator::CharsForPrompt(double tokens) const {
  const Estimate e = Current();
  const double chars = (tokens - e.overhead_tokens) * e.chars_per_token;
  return chars <= 0 ? 0 : std::llround(chars);
}

double TokenCalibrator::TokensForPrompt(int64_t chars) const {
  const Estimate e = Current();
  return e.overhead_tokens + static_cast<double>(chars) / e.chars_per_token;
}

}  // namespace llmprobe
