// The response the mock streams for one request, as data: its units in order (SSE events or
// NDJSON lines, written by the route's MockEncoder), each saying which tokens it carries. The
// writer in MockServer decides when each is due, by the timing model of MockOptions.h. Knows no
// sockets and no clocks.
//
// Events: the start units (openai-chat: the role-only chunk with options.role_chunk; anthropic:
// message_start and ping; openai-responses: response.created and response.in_progress), due at
// arrival, left out when there are none; token chunks of options.tokens_per_chunk tokens each
// (the last may be shorter), each due at its last token's time, the first
// options.reasoning_tokens tokens on the reasoning channel (all on content for
// openai-completions, which has none); then, due with the last token, the trailer units
// (openai: the usage chunk with stream_options.include_usage, and `[DONE]`; the other dialects
// end within the last token chunk). Token k's text is MockTokenText(k).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "mock/MockEncoder.h"
#include "mock/MockOptions.h"
#include "mock/MockRequest.h"

namespace llmprobe {

// Text of token k: a short word and a space, "tok<k> ", never empty.
std::string MockTokenText(int64_t k);
// Concatenated text of tokens [first, end).
std::string MockTokenRange(int64_t first, int64_t end);

struct MockStreamEvent {
  enum class Kind {
    kStart,    // units before the first token, due at arrival, before admission
    kTokens,   // tokens [first_token, end_token), due at token end_token - 1's time
    kTrailer,  // after the last token chunk: due with it
  };
  Kind kind = Kind::kTokens;
  int64_t first_token = 0;
  int64_t end_token = 0;
  bool last_tokens = false;  // kTokens: this chunk carries the request's last token
  std::string text;          // complete units: SSE events or NDJSON lines
};

// Generates the events of one streamed response lazily, in order. Not thread-safe.
class MockStream {
 public:
  // Uses the content options (role_chunk, reasoning_tokens, tokens_per_chunk) of `options`, none
  // of its timing. `encoder` writes the request's dialect (NewMockEncoder).
  MockStream(MockRequest request, const MockOptions& options, std::unique_ptr<MockEncoder> encoder);

  const MockRequest& request() const { return request_; }
  const char* content_type() const { return encoder_->content_type(); }

  // Fills *event with the next event and returns true, or returns false after the last one.
  bool Next(MockStreamEvent* event);

 private:
  enum class Phase { kStart, kTokens, kTrailers, kEnd };

  MockRequest request_;
  int64_t reasoning_tokens_;
  int64_t tokens_per_chunk_;
  std::unique_ptr<MockEncoder> encoder_;
  Phase phase_ = Phase::kStart;
  int64_t next_token_ = 0;
};

}  // namespace llmprobe
