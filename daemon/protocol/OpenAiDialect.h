// The OpenAI-compatible dialects: `openai-chat` (POST /v1/chat/completions) and
// `openai-completions` (POST /v1/completions), both streamed as SSE with a final usage chunk
// (`stream_options.include_usage`). Served by OpenAI, vLLM, SGLang, TGI, llama.cpp, Ollama...
#pragma once

#include <memory>

#include "config/Config.h"
#include "protocol/Dialect.h"

namespace llmprobe {

// Stateless; safe for concurrent use. `api` must be an OpenAI kind.
class OpenAiDialect final : public Dialect {
 public:
  explicit OpenAiDialect(ApiKind api) : api_(api) {}

  // POST to target->url_parts.path with headers, in order: Content-Type: application/json,
  // Accept: text/event-stream, the target's headers (a target header replaces a default of the
  // same name, case-insensitively), then Authorization: Bearer <token> when the token is
  // non-empty (replacing any configured Authorization). Body:
  //   chat:        {model, messages:[{role:"user",content:prompt}], stream:true,
  //                 stream_options:{include_usage:true}, max_tokens, max_completion_tokens}
  //   completions: {model, prompt, stream:true, stream_options:{include_usage:true}, max_tokens}
  // plus "ignore_eos": true when workload.ignore_eos. Invalid UTF-8 in the prompt is replaced
  // with U+FFFD rather than failing.
  HttpRequestSpec BuildRequest(const RequestInputs& in) const override;

  // An OpenAiStreamDecoder (see OpenAiStreamDecoder.h).
  std::unique_ptr<StreamDecoder> NewDecoder() const override;

 private:
  ApiKind api_;
};

}  // namespace llmprobe
