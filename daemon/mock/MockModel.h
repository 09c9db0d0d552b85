// The formulas of the mock's timing model (described in MockOptions.h) in one place: the server's
// schedule uses them, and so does the analytic closed-loop prediction that tests compare the
// daemon's and the bench's measurements against. Pure functions; safe from any thread.
#pragma once

#include <cstdint>

#include "common/Clock.h"
#include "mock/MockOptions.h"

namespace llmprobe {

// Admission -> first token: ttft + prefill_per_token * prompt_tokens.
int64_t MockFirstTokenDelayNs(const MockOptions& options, int64_t prompt_tokens);

// The time from one token's due time to the next while `active` (>= 1) requests are active:
// tpot + tpot_per_stream * (active - 1).
int64_t MockStepNs(const MockOptions& options, int active);

// The due times of one request's tokens, from its admission time, step by step: token 0 at
// admitted_at + MockFirstTokenDelayNs, token k at token (k-1)'s due time + MockStepNs(active),
// with `active` as passed when token k's due time is computed. Not thread-safe.
class MockTokenSchedule {
 public:
  MockTokenSchedule(const MockOptions& options, int64_t prompt_tokens, MonoNanos admitted_at);
  // Due time of token k, computing the steps of the tokens up to k that were not computed yet
  // with `active` requests active. k must not decrease from call to call.
  MonoNanos DueOf(int64_t k, int active);

 private:
  int64_t tpot_ns_;
  int64_t tpot_per_stream_ns_;
  int64_t next_token_ = 1;  // the first token whose due time is not computed yet
  MonoNanos last_due_;      // due time of token next_token_ - 1
};

// Steady state of the mock under a closed-loop client that keeps `concurrency` requests in flight,
// each asking for `output_tokens` tokens with a prompt of `prompt_tokens` tokens (by the mock's
// rule), sending the next request the moment the previous one ends (client turnaround and network
// time count as zero). With B = max_batch (unlimited when 0), c = concurrency, N = output_tokens,
// F = ttft + prefill_per_token * prompt_tokens:
//   c <= B: tpot = tpot + tpot_per_stream * (c - 1), ttft = F, e2e = F + (N - 1) * tpot,
//           throughput = c * N / e2e
//   c >  B: tpot = tpot + tpot_per_stream * (B - 1), service S = F + (N - 1) * tpot,
//           throughput = B * N / S, e2e = c * S / B (Little's law), ttft = e2e - (N - 1) * tpot,
//           queue = e2e - S
// The very first requests of a run (the first B) are not queued; the prediction is for the
// requests after them.
struct MockPrediction {
  double ttft_seconds = 0;   // arrival -> first token, queueing included
  double tpot_seconds = 0;   // mean time between tokens of one request
  double e2e_seconds = 0;    // arrival -> last token
  double queue_seconds = 0;  // arrival -> admission
  // Output tokens per second of all requests together, and requests completed per second.
  double throughput_tokens_per_second = 0;
  double throughput_requests_per_second = 0;
  int active = 0;  // requests active at once: min(c, B)
};
MockPrediction PredictClosedLoop(const MockOptions& options, int concurrency, int output_tokens,
                                 int prompt_tokens);

}  // namespace llmprobe
