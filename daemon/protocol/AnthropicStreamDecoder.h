// The stream decoder of `anthropic-messages` (POST /v1/messages with stream:true): SSE events
// whose `event:` name equals the "type" of their JSON data (the JSON type wins; the SSE name is
// used when the JSON has none).
//
// Mapping (one StreamEvent per SSE event):
//   content_block_delta  delta.text non-empty (text_delta)               -> content
//                        delta.thinking non-empty (thinking_delta)       -> reasoning
//                        delta.partial_json non-empty (input_json_delta) -> tool_call
//                        signature_delta, citations_delta                -> nothing
//   content_block_start  content_block.text / .thinking / .data (redacted_thinking) / .name
//                        (tool_use) non-empty: content / reasoning / reasoning / tool_call (the
//                        tool name counts like the first chat tool-call chunk)
//   message_start        message.usage, message_delta  usage: see below
//   message_delta        delta.stop_reason: end_turn, stop_sequence -> stop; max_tokens ->
//                        length; tool_use -> tool_calls; refusal -> content_filter; other ->
//                        other
//   message_stop         done
//   error                error.message (or error.type) -> error; also any event whose "error"
//                        is non-null
//   ping, content_block_stop, unknown types: nothing
// Usage: prompt_tokens = input_tokens + cache_creation_input_tokens + cache_read_input_tokens
// (Anthropic's input_tokens leaves out the cached part, OpenAI's prompt_tokens includes it),
// cached_tokens = cache_read_input_tokens, completion_tokens = output_tokens of message_delta
// (cumulative). message_start's output_tokens is a placeholder (1 or 2) and is not reported.
#pragma once

#include <memory>

#include "protocol/Dialect.h"

namespace llmprobe {

// A new decoder for one response stream. Allocates only while its buffers grow.
std::unique_ptr<StreamDecoder> NewAnthropicStreamDecoder();

}  // namespace llmprobe
