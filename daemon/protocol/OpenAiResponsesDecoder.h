// The stream decoder of `openai-responses` (POST /v1/responses with stream:true): SSE whose
// events each carry a JSON object with a "type" (the same as the SSE `event:` name, which is
// used when the JSON has no type). There is no [DONE]: the stream ends with a terminal event.
//
// Mapping (one StreamEvent per SSE event):
//   response.output_text.delta, response.refusal.delta           non-empty delta -> content
//   response.reasoning_text.delta,
//   response.reasoning_summary_text.delta                        non-empty delta -> reasoning
//   response.function_call_arguments.delta,
//   response.custom_tool_call_input.delta                        non-empty delta -> tool_call
//   response.output_item.added with a non-empty item.name (a function call starts, as the
//   first chat tool-call chunk carries the name)                                 -> tool_call
//   response.completed      response.usage -> usage; finish stop (tool_calls after a function
//                           call); done
//   response.incomplete     usage; incomplete_details.reason max_output_tokens -> finish length,
//                           content_filter -> content_filter, other -> other; done
//   response.failed         error, message from response.error.{message,code}
//   error                   error, message from the top-level message (or code)
//   any event with a non-null top-level "error" (object or string, as proxies send) -> error
// usage: input_tokens -> prompt_tokens, output_tokens -> completion_tokens,
// input_tokens_details.cached_tokens -> cached_tokens. Every other event (response.created,
// in_progress, *.done, content_part.*, ...) carries nothing. Lines may be up to 4 MiB long:
// the terminal event repeats the whole output.
#pragma once

#include <memory>

#include "protocol/Dialect.h"

namespace llmprobe {

// A new decoder for one response stream. Allocates only while its buffers grow.
std::unique_ptr<StreamDecoder> NewOpenAiResponsesDecoder();

}  // namespace llmprobe
