// The stream decoder of `tgi`: Hugging Face Text Generation Inference's POST /generate_stream,
// SSE whose data is one JSON object per generated token:
//   {"index":n, "token":{"id","text","logprob","special"}, "generated_text":null|"...",
//    "details":null|{"finish_reason","generated_tokens","seed","input_length"}}
// or, when generation fails, {"error":"...", "error_type":"..."}.
//
// Mapping:
//   token.text non-empty and token.special false                   -> content
//   (special tokens such as EOS are not shown to the user: no token)
//   details.finish_reason: length -> length; eos_token, stop_sequence -> stop; other -> other
//   details.generated_tokens -> completion_tokens; details.input_length (prompt_tokens in
//   older TGI) -> prompt_tokens
//   generated_text non-null (the last event)                       -> done
//   "error" non-null (or an SSE `event: error`) -> error, message = error (or error_type)
// TGI has no reasoning or tool-call channel. The last event usually carries a token as well as
// details: it is reported as two events (the token, then usage/finish/done), see Dialect.h.
// Lines may be up to 4 MiB long: the last event repeats the whole generated text.
#pragma once

#include <memory>

#include "protocol/Dialect.h"

namespace llmprobe {

// A new decoder for one response stream. Allocates only while its buffers grow.
std::unique_ptr<StreamDecoder> NewTgiStreamDecoder();

}  // namespace llmprobe
