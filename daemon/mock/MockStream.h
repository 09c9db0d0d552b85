// The response the mock sends for one request, as data: the SSE events of a streamed response,
// each with the time (relative to t0, the moment the request was fully received) at which it is
// due, and the JSON body of a non-streamed one. Knows no sockets and no clocks.
//
// Schedule: token k (0-based) is due at ttft + k * tpot. With tokens_per_chunk = c > 1, tokens
// are grouped c at a time and a chunk is due at the time of its last token. A role-only chunk
// (chat, options.role_chunk) is due at 0; the usage chunk and `[DONE]` follow the last token
// chunk immediately. A non-streamed response is due at ttft + (max_tokens - 1) * tpot.
#pragma once

#include <cstdint>
#include <string>

#include "mock/MockOptions.h"
#include "mock/MockRequest.h"
#include "protocol/OpenAiEncoding.h"

namespace llmprobe {

// Text of token k: a short word and a space, "tok<k> ", never empty.
std::string MockTokenText(int64_t k);

// Due time (ns after t0) of token k.
int64_t MockTokenDueNs(const MockOptions& options, int64_t k);

struct MockStreamEvent {
  int64_t due_ns = 0;  // after t0
  std::string text;    // one complete SSE event: "data: ...\n\n"
};

// Generates the events of one streamed response lazily, in order. Not thread-safe.
class MockStream {
 public:
  // id is the response id ("chatcmpl-..."), created its Unix time in seconds.
  MockStream(MockRequest request, const MockOptions& options, std::string id, int64_t created);

  // Fills *event with the next event and returns true, or returns false after `[DONE]`.
  bool Next(MockStreamEvent* event);

 private:
  enum class Phase { kRole, kTokens, kUsage, kDone, kEnd };
  std::string TokenChunk(int64_t first, int64_t end) const;  // tokens [first, end)
  // A token chunk the shared encoder cannot express: finish_reason set, per-chunk usage, or
  // reasoning and content in one delta. Same key order as OpenAiChunkEncoder.
  std::string ExtendedTokenChunk(int64_t first, int64_t split, int64_t end) const;

  MockRequest request_;
  MockOptions options_;
  std::string id_;
  int64_t created_;
  OpenAiChunkEncoder encoder_;
  Phase phase_;
  int64_t next_token_ = 0;
};

// The JSON body of a non-streamed response (chat.completion or text_completion) with the full
// text and usage.
std::string MockCompletionBody(const MockRequest& request, const MockOptions& options,
                               const std::string& id, int64_t created);

}  // namespace llmprobe
