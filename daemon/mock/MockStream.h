// The response the mock sends for one request, as data: the SSE events of a streamed response in
// order, each saying which tokens it carries (the writer in MockServer decides when each is due,
// by the timing model of MockOptions.h), and the JSON body of a non-streamed one. Knows no
// sockets and no clocks.
//
// Events: a role-only chunk (chat, options.role_chunk), due at arrival; token chunks of
// options.tokens_per_chunk tokens each (the last may be shorter), each due at its last token's
// time, the last one with finish_reason "length"; then, due with the last token, the usage chunk
// (stream_options.include_usage) and `[DONE]`.
#pragma once

#include <cstdint>
#include <string>

#include "mock/MockOptions.h"
#include "mock/MockRequest.h"
#include "protocol/OpenAiEncoding.h"

namespace llmprobe {

// Text of token k: a short word and a space, "tok<k> ", never empty.
std::string MockTokenText(int64_t k);

struct MockStreamEvent {
  enum class Kind {
    kRole,     // due at arrival, before admission
    kTokens,   // tokens [first_token, end_token), due at token end_token - 1's time
    kTrailer,  // usage chunk or `[DONE]`: right after the last token chunk
  };
  Kind kind = Kind::kTokens;
  int64_t first_token = 0;
  int64_t end_token = 0;
  bool last_tokens = false;  // kTokens: this chunk carries the request's last token
  std::string text;          // one complete SSE event: "data: ...\n\n"
};

// Generates the events of one streamed response lazily, in order. Not thread-safe.
class MockStream {
 public:
  // id is the response id ("chatcmpl-..."), created its Unix time in seconds. Uses the content
  // options (role_chunk, reasoning_tokens, tokens_per_chunk) of `options`, none of its timing.
  MockStream(MockRequest request, const MockOptions& options, std::string id, int64_t created);

  const MockRequest& request() const { return request_; }

  // Fills *event with the next event and returns true, or returns false after `[DONE]`.
  bool Next(MockStreamEvent* event);

 private:
  enum class Phase { kRole, kTokens, kUsage, kDone, kEnd };
  std::string TokenChunk(int64_t first, int64_t end) const;  // tokens [first, end)

  MockRequest request_;
  bool role_chunk_;
  int64_t reasoning_tokens_;
  int64_t tokens_per_chunk_;
  std::string id_;
  OpenAiChunkEncoder encoder_;
  Phase phase_;
  int64_t next_token_ = 0;
};

// The JSON body of a non-streamed response (chat.completion or text_completion) with the full
// text and usage.
std::string MockCompletionBody(const MockRequest& request, const MockOptions& options,
                               const std::string& id, int64_t created);

}  // namespace llmprobe
