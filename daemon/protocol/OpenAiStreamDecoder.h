// The stream decoder shared by the OpenAI chat and completions dialects: SSE framing
// (SseParser), then one JSON chunk per event, read with simdjson's on-demand API.
//
// Mapping (one StreamEvent per SSE event; events with only whitespace as data are keep-alives
// and produce none):
//   chat         choices[0].delta.content non-empty                     -> content
//                choices[0].delta.reasoning_content / .reasoning        -> reasoning
//                choices[0].delta.tool_calls[*].function.{name,arguments}
//                (or the legacy delta.function_call) non-empty          -> tool_call
//   completions  choices[0].text non-empty                              -> content
//   both         choices[0].finish_reason                               -> finish
//                usage.{prompt_tokens,completion_tokens,
//                       prompt_tokens_details.cached_tokens}            -> usage (null = absent)
//                `data: [DONE]`                                         -> done
//                {"error": {...} | "text"}, {"object":"error","message":..} (vLLM before 0.6)
//                or an SSE `event: error` (its data: such an object, an object with a
//                top-level "message", or plain text)                    -> error + message
// Role-only deltas, empty strings and nulls carry no token. `choices` may be empty or null.
// Unknown fields are skipped without being validated (on-demand parsing): a chunk is malformed
// when its structure is broken, it has trailing content, or it is not a JSON object.
#pragma once

#include <memory>

#include "config/Config.h"
#include "protocol/Dialect.h"

namespace llmprobe {

// A new decoder for one response stream of `api` (an OpenAI kind). The decoder owns one reused
// padded buffer and one simdjson parser; it allocates only while they grow.
std::unique_ptr<StreamDecoder> NewOpenAiStreamDecoder(ApiKind api);

}  // namespace llmprobe
