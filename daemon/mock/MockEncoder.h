// How the mock writes one streamed response in the dialect of its route: the units due at
// arrival, one token chunk at a time, then the trailer units after the last token. MockStream
// decides which tokens a chunk carries; the encoder only writes them. Knows no sockets and no
// clocks.
//
// Two kinds:
//  - openai-chat and openai-completions keep the vLLM-style stream the mock always sent (on
//    OpenAiChunkEncoder): a role-only chunk only with MockOptions::role_chunk, finish_reason
//    "length" on the last token chunk, usage on every chunk with
//    stream_options.continuous_usage_stats, a usage-only chunk only with
//    stream_options.include_usage, then `data: [DONE]`; each trailer its own write.
//  - every other dialect writes exactly what its StreamEncoder (DialectFor(api).NewEncoder)
//    writes: AppendStart at arrival, AppendTokens per chunk, and AppendLastTokens for the last
//    chunk with finish kLength and usage {prompt_tokens, max_tokens}; no trailers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mock/MockOptions.h"
#include "mock/MockRequest.h"

namespace llmprobe {

// One token chunk: tokens [first_token, end_token) of the response, their text split by channel.
struct MockChunk {
  int64_t first_token = 0;
  int64_t end_token = 0;
  std::string_view reasoning;  // the chunk's reasoning tokens (come first), may be empty
  std::string_view content;    // the chunk's visible tokens, may be empty
  bool last = false;           // carries the response's last token
};

// One response. Not thread-safe. Every Append* appends complete units (SSE events or NDJSON
// lines) to *out and never clears it.
class MockEncoder {
 public:
  virtual ~MockEncoder() = default;

  // The response's Content-Type ("text/event-stream" or "application/x-ndjson").
  virtual const char* content_type() const = 0;
  // Units before the first token, due at arrival (may append nothing).
  virtual void AppendStart(std::string* out) = 0;
  // One token chunk, in order; the one with chunk.last also ends the response where the
  // dialect puts the end together with the last token.
  virtual void AppendChunk(const MockChunk& chunk, std::string* out) = 0;
  // After the last chunk: appends the next trailer unit (written on its own) and returns true,
  // or returns false when none is left.
  virtual bool NextTrailer(std::string* out) = 0;
};

// The encoder for `request` (its endpoint, model, prompt_tokens, max_tokens and stream_options).
// `options` gives role_chunk (openai-chat only); `id` and `created` (Unix seconds) are echoed
// where the dialect sends them.
std::unique_ptr<MockEncoder> NewMockEncoder(const MockRequest& request, const MockOptions& options,
                                            std::string_view id, int64_t created);

}  // namespace llmprobe
