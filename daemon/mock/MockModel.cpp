#include "mock/MockModel.h"

#include <algorithm>

namespace llmprobe {
namespace {

int64_t StepNs(int64_t tpot_ns, int64_t tpot_per_stream_ns, int active) {
  return tpot_ns + tpot_per_stream_ns * std::max(0, active - 1);
}

}  // namespace

int64_t MockFirstTokenDelayNs(const MockOptions& options, int64_t prompt_tokens) {
  return options.ttft_ns + options.prefill_per_token_ns * std::max<int64_t>(0, prompt_tokens);
}

int64_t MockStepNs(const MockOptions& options, int active) {
  return StepNs(options.tpot_ns, options.tpot_per_stream_ns, active);
}

MockTokenSchedule::MockTokenSchedule(const MockOptions& options, int64_t prompt_tokens,
                                     MonoNanos admitted_at)
    : tpot_ns_(options.tpot_ns),
      tpot_per_stream_ns_(options.tpot_per_stream_ns),
      last_due_(admitted_at + MockFirstTokenDelayNs(options, prompt_tokens)) {}

MonoNanos MockTokenSchedule::DueOf(int64_t k, int active) {
  // Absolute: each step is added to the previous DUE time, never to the time of a write.
  for (; next_token_ <= k; ++next_token_) {
    last_due_ += StepNs(tpot_ns_, tpot_per_stream_ns_, active);
  }
  return last_due_;
}

MockPrediction PredictClosedLoop(const MockOptions& options, int concurrency, int output_tokens,
                                 int prompt_tokens) {
  const int c = std::max(1, concurrency);
  const int n = std::max(1, output_tokens);
  const bool queueing = options.max_batch > 0 && c > options.max_batch;
  MockPrediction p;
  p.active = queueing ? options.max_batch : c;
  const double first = NanosToSeconds(MockFirstTokenDelayNs(options, prompt_tokens));
  p.tpot_seconds = NanosToSeconds(MockStepNs(options, p.active));
  // Admission to last token: the time one request holds a slot.
  const double service = first + (n - 1) * p.tpot_seconds;
  p.e2e_seconds = queueing ? service * c / p.active : service;
  p.queue_seconds = p.e2e_seconds - service;
  p.ttft_seconds = p.e2e_seconds - (n - 1) * p.tpot_seconds;
  p.throughput_requests_per_second = service > 0 ? p.active / service : 0;
  p.throughput_tokens_per_second = p.throughput_requests_per_second * n;
  return p;
}

}  // namespace llmprobe
