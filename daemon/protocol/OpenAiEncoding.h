// Encodes OpenAI streaming chunks as SSE text: the inverse of OpenAiStreamDecoder, kept beside
// it so the built-in mock server and the decoder agree on one wire format. Chunk shapes follow
// OpenAI's documented `chat.completion.chunk` and `text_completion` objects.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/JsonString.h"
#include "config/Config.h"
#include "protocol/StreamEncoder.h"
#include "protocol/StreamEvent.h"

namespace llmprobe {

// The fixed part of every chunk of one response. Immutable after construction; const methods
// are safe for concurrent use. Each Append* appends one complete SSE event
// ("data: <json>\n\n") to *out and never clears it. Text must be valid UTF-8; it is
// JSON-escaped here.
class OpenAiChunkEncoder {
 public:
  // `api` selects the chunk shape; `id` e.g. "chatcmpl-123" / "cmpl-123"; `created` is Unix
  // seconds, the same in every chunk.
  OpenAiChunkEncoder(ApiKind api, std::string_view id, std::string_view model,
                     int64_t created_unix_seconds);

  ApiKind api() const { return api_; }

  // Chat: the role-only first chunk, delta {"role":"assistant","content":""} (no token).
  // Completions has no such chunk: appends nothing.
  void AppendRole(std::string* out) const;
  // Chat: delta {"content": text}. Completions: {"text": text}.
  void AppendContent(std::string_view text, std::string* out) const;
  // Chat: delta {"reasoning_content": text} (vLLM's field). Completions: appends nothing.
  void AppendReasoning(std::string_view text, std::string* out) const;
  // The general token chunk, for coalesced or final chunks. Chat: delta with
  // "reasoning_content" when `reasoning` is non-empty and "content" when `content` is non-empty
  // or `reasoning` is empty. Completions: "text" = content (reasoning cannot be expressed and is
  // dropped). `finish` goes into the same choice (vLLM sends the last token that way); a
  // non-null `usage` is added as the chunk's "usage" (vLLM's continuous_usage_stats).
  void AppendTokenChunk(std::string_view reasoning, std::string_view content, FinishReason finish,
                        const TokenUsage* usage, std::string* out) const;
  // An empty delta (chat) or empty text (completions) with finish_reason set. kNone encodes as
  // null, kOther as "abort".
  void AppendFinish(FinishReason reason, std::string* out) const;
  // The include_usage chunk: "choices": [] and the usage object. Counts of -1 are omitted;
  // total_tokens is written when both counts are known; cached_tokens (when >= 0) goes into
  // prompt_tokens_details.
  void AppendUsage(const TokenUsage& usage, std::string* out) const;

  // {"error": {"message", "type", "param": null, "code": null}}, as OpenAI sends mid-stream.
  static void AppendError(std::string_view message, std::string_view type, std::string* out);
  // `data: [DONE]`, the end-of-stream marker.
  static void AppendDone(std::string* out);

 private:
  // Closes a choice object: logprobs, finish_reason, "]", optional usage, "}" and the blank line.
  static void AppendChoiceEnd(FinishReason finish, const TokenUsage* usage, std::string* out);
  static void AppendUsageField(const TokenUsage& usage, std::string* out);

  ApiKind api_;
  std::string prefix_;  // `data: {"id":..,"object":..,"created":..,"model":..,"choices":[`
};

// The StreamEncoder of openai-chat and openai-completions, on OpenAiChunkEncoder. Start: the
// role chunk (chat only). Tokens: one AppendTokenChunk (completions cannot carry reasoning and
// drops it). End: AppendFinish, AppendUsage, AppendDone. Error: AppendError(type
// "server_error").
std::unique_ptr<StreamEncoder> NewOpenAiStreamEncoder(ApiKind api, const EncoderInit& init);

}  // namespace llmprobe
