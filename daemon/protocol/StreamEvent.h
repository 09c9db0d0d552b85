// What a stream decoder reports for one decoded unit of a response stream (one SSE event, one
// NDJSON line): which token channels it carried, usage, finish, errors, end of stream.
// Plain data; no timestamps (the caller knows when the bytes arrived).
#pragma once

#include <cstdint>
#include <string>

namespace llmprobe {

enum class FinishReason { kNone, kStop, kLength, kToolCalls, kContentFilter, kOther };

struct TokenUsage {
  int64_t prompt_tokens = -1;      // -1 = not reported
  int64_t completion_tokens = -1;  // -1 = not reported
  int64_t cached_tokens = -1;      // prompt_tokens_details.cached_tokens; -1 = not reported
  bool present() const { return prompt_tokens >= 0 || completion_tokens >= 0; }
};

struct StreamEvent {
  // Token-bearing channels: a non-empty delta on any of them makes this chunk carry a token.
  bool content = false;    // non-empty visible content delta (or completions `text`)
  bool reasoning = false;  // non-empty `reasoning_content` / `reasoning` delta
  bool tool_call = false;  // a tool-call delta with a non-empty name or arguments fragment
  TokenUsage usage;        // usage object in this event, if any
  FinishReason finish = FinishReason::kNone;
  bool done = false;          // end-of-stream marker (`data: [DONE]`)
  bool error = false;         // the server sent an error object in the stream
  std::string error_message;  // server's error message, truncated to 256 bytes

  bool carries_token() const { return content || reasoning || tool_call; }
};

}  // namespace llmprobe
