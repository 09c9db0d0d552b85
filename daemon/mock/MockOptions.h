// Behaviour of the built-in mock server (every dialect, MockServer.h).
//
// Timing model. A request that arrives (is fully received) at t0 joins a FIFO queue. It is
// admitted as soon as fewer than max_batch requests are active (max_batch 0 = no limit); a request
// admitted on arrival has admission time a = t0, one admitted later has a = the moment a slot was
// released. From then on it is active. Its first token is due at
//   a + ttft + prefill_per_token * prompt_tokens
// (prompt_tokens by the mock's own rule, see MockRequest.h), and every next token one step after
// the previous token's DUE time (absolute: a late write does not delay the tokens after it), with
//   step = tpot + tpot_per_stream * (n - 1)
// where n is the number of active requests (this one included) at the moment the step is
// computed: when the writer starts waiting for the chunk that carries the token, i.e. right after
// the previous chunk was written (at admission for the first chunk); the steps of the tokens of
// one coalesced chunk are computed together. A request stops being active right after its last
// token chunk is written (or when it ends early: client gone, server stopping); the next queued
// request is admitted at that moment. The usage chunk and `[DONE]` follow the last token at once;
// the units before the first token (a role-only chunk, message_start, ...) are sent at t0, before
// admission. A non-streamed request goes through the same
// schedule, one token at a time, and is answered at its last token's due time.
//
// With max_batch, tpot_per_stream and prefill_per_token all 0 (the defaults) this is the fixed
// schedule: token k is due at t0 + ttft + k * tpot. PredictClosedLoop (MockModel.h) gives the
// model's steady state under a closed-loop client. The timing fields can be changed at run time
// through POST /mock/config (MockServer.h).
#pragma once

#include <cstdint>
#include <string>

#include "common/Clock.h"

namespace llmprobe {

struct MockOptions {
  // Timing (see above).
  int64_t ttft_ns = 200 * kNanosPerMilli;  // admission -> first token, prefill time aside
  int64_t tpot_ns = 20 * kNanosPerMilli;   // between tokens, with one active request
  int64_t tpot_per_stream_ns = 0;          // added to each step per additional active request
  int64_t prefill_per_token_ns = 0;        // added to the first token's time per prompt token
  int max_batch = 0;                       // requests active at once; 0 = no limit, no queue

  // Content and serving.
  int default_max_tokens = 16;  // when the request names no max_tokens
  bool role_chunk = false;      // chat: send a role-only chunk right after the headers
  // The first N tokens go to the reasoning channel: `reasoning_content` (openai-chat), reasoning
  // text deltas (openai-responses), thinking deltas (anthropic), `thinking` (ollama); tgi has
  // no such channel (they are plain text there) and openai-completions ignores it.
  int reasoning_tokens = 0;
  int tokens_per_chunk = 1;  // >1 coalesces k tokens into one chunk (sent at the k-th's time)
  std::string model = "mock-model";
  int max_connections = 4096;  // open at once; more are accepted and closed at once
  int threads = 0;             // event loops; 0 = one per online CPU, at most 4
  // TLS: both set = serve HTTPS with this certificate chain and key (PEM files).
  std::string tls_cert_file;
  std::string tls_key_file;
};

}  // namespace llmprobe
