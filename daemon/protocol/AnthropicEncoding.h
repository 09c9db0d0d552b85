// Encodes `anthropic-messages` streaming events as SSE: the inverse of AnthropicStreamDecoder,
// for the mock. Each event is "event: <type>\ndata: {"type":"<type>",...}\n\n" with the fields
// of Anthropic's documented Messages streaming events. Content blocks are opened and closed as
// the server does: content_block_start when the kind of delta changes, content_block_stop
// (after a signature_delta for thinking blocks) before the next block and before message_delta.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/StreamEncoder.h"
#include "protocol/StreamEvent.h"

namespace llmprobe {

// One response. Not thread-safe (the open content block). Each Append* appends complete events
// to *out and never clears it. Text must be valid UTF-8.
class AnthropicEncoder {
 public:
  AnthropicEncoder(std::string_view message_id, std::string_view model);

  // message_start: the message with empty content and usage {input_tokens, output_tokens: 1}
  // (plus cache_read_input_tokens when >= 0; -1 input tokens are sent as 0).
  void AppendMessageStart(int64_t input_tokens, int64_t cache_read_input_tokens, std::string* out);
  // {"type": "ping"}.
  static void AppendPing(std::string* out);
  // A text_delta (opening a text block first if needed).
  void AppendTextDelta(std::string_view text, std::string* out);
  // A thinking_delta (opening a thinking block first if needed).
  void AppendThinkingDelta(std::string_view thinking, std::string* out);
  // Opens a tool_use block {id, name, input: {}}.
  void AppendToolUse(std::string_view tool_use_id, std::string_view name, std::string* out);
  // An input_json_delta of the open tool_use block.
  void AppendInputJsonDelta(std::string_view partial_json, std::string* out);
  // Closes the open block, then message_delta {stop_reason, stop_sequence: null} with usage
  // {output_tokens}.
  void AppendMessageDelta(std::string_view stop_reason, int64_t output_tokens, std::string* out);
  static void AppendMessageStop(std::string* out);
  // The error event {"type":"error","error":{"type": error_type,"message": message}}.
  static void AppendError(std::string_view error_type, std::string_view message, std::string* out);

  // Anthropic's stop_reason for a finish reason (kLength -> "max_tokens", ...).
  static const char* StopReasonName(FinishReason finish);

 private:
  enum class Block { kNone, kText, kThinking, kToolUse };
  void OpenBlock(Block block, std::string* out);
  void CloseBlock(std::string* out);

  std::string id_;
  std::string model_;
  Block block_ = Block::kNone;
  int index_ = -1;  // of the open (or last) block
};

// The StreamEncoder of anthropic-messages. Start: message_start (init.prompt_tokens) and a
// ping. Tokens: a thinking_delta for reasoning, a text_delta for content. End: message_delta
// (StopReasonName, usage.completion_tokens) and message_stop. Error: AppendError
// ("api_error", message).
std::unique_ptr<StreamEncoder> NewAnthropicStreamEncoder(const EncoderInit& init);

}  // namespace llmprobe
