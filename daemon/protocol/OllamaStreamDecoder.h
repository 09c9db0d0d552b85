// The stream decoder of `ollama`: Ollama's POST /api/chat with stream:true, newline-delimited
// JSON (not SSE), one object per line:
//   {"model","created_at","message":{"role","content","thinking"?,"tool_calls"?},"done":false}
// and a last line with "done":true, "done_reason" and the counts and durations.
//
// Mapping (one StreamEvent per non-blank line):
//   message.content non-empty                                   -> content
//   message.thinking non-empty                                  -> reasoning
//   message.tool_calls[*].function.name non-empty (Ollama sends each call whole) -> tool_call
//   done true                                                   -> done
//   done_reason: stop -> stop; length -> length; other (load, unload, ...) -> other
//   eval_count -> completion_tokens; prompt_eval_count -> prompt_tokens (Ollama leaves it out
//   when the whole prompt came from its cache)
//   "error" non-null (string or {message}) -> error
// A done line that also carries a token is reported as two events (the token, then the end),
// see Dialect.h. Lines are bounded at 1 MiB; blank lines are skipped.
#pragma once

#include <memory>

#include "protocol/Dialect.h"

namespace llmprobe {

// A new decoder for one response stream. Allocates only while its buffers grow.
std::unique_ptr<StreamDecoder> NewOllamaStreamDecoder();

}  // namespace llmprobe
