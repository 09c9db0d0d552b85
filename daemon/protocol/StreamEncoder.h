// The server side of a dialect: writes the bytes of one streamed response from token-level
// intentions, so that the built-in mock speaks every dialect the decoders read. The inverse of
// a StreamDecoder: decoding what an encoder wrote gives back the intended events (tested per
// dialect). Each dialect also has its own event-level encoder (e.g. AnthropicEncoding.h) for
// shapes this interface does not express (tool calls, errors of a given type).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/StreamEvent.h"

namespace llmprobe {

// How a response ends: the finish reason and the final usage (-1 counts are not sent, where
// the dialect allows leaving them out).
struct StreamEnd {
  FinishReason finish = FinishReason::kStop;
  TokenUsage usage;
};

// Fixed per response: ids and the model name echoed in the events.
struct EncoderInit {
  std::string id;                    // response id, e.g. "chatcmpl-1", "msg_1", "resp_1"
  std::string model;                 // model name echoed back
  int64_t created_unix_seconds = 0;  // creation time where the dialect sends one
  int64_t prompt_tokens = -1;        // sent at the start by dialects that do (anthropic)
};

// One response. Not thread-safe: encoders keep per-response state (sequence numbers, open
// content blocks, the generated text so far). Every Append* appends complete units (SSE events
// or NDJSON lines) to *out and never clears it. Text must be valid UTF-8.
class StreamEncoder {
 public:
  virtual ~StreamEncoder() = default;

  // The response's Content-Type: "text/event-stream" or "application/x-ndjson".
  virtual const char* content_type() const = 0;

  // Units before the first token that carry none (role chunk, message_start, response.created).
  // May append nothing.
  virtual void AppendStart(std::string* out) = 0;

  // One token-bearing step: `reasoning` on the reasoning channel, `content` on the visible one;
  // either may be empty. Dialects without a reasoning channel say so in their header.
  virtual void AppendTokens(std::string_view reasoning, std::string_view content,
                            std::string* out) = 0;

  // Everything after the last token: finish reason, usage, end-of-stream marker.
  virtual void AppendEnd(const StreamEnd& end, std::string* out) = 0;

  // The last token step and the end together, as the server would write them. Default:
  // AppendTokens then AppendEnd; TGI puts the end into the last token's event.
  virtual void AppendLastTokens(std::string_view reasoning, std::string_view content,
                                const StreamEnd& end, std::string* out) {
    AppendTokens(reasoning, content, out);
    AppendEnd(end, out);
  }

  // An error in the stream, in the dialect's own error shape. The stream ends after it.
  virtual void AppendError(std::string_view message, std::string* out) = 0;
};

}  // namespace llmprobe
