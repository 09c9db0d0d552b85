// The OpenAI-compatible dialects: `openai-chat` (POST /v1/chat/completions) and
// `openai-completions` (POST /v1/completions), both streamed as SSE with a final usage chunk
// (`stream_options.include_usage`). Served by OpenAI, Azure OpenAI, Databricks, vLLM, SGLang,
// TGI, llama.cpp, Ollama...
#pragma once

#include <memory>

#include "config/Config.h"
#include "protocol/Dialect.h"

namespace llmprobe {

// Stateless; safe for concurrent use. `api` must be kOpenAiChat or kOpenAiCompletions.
class OpenAiDialect final : public Dialect {
 public:
  explicit OpenAiDialect(ApiKind api) : api_(api) {}

  // StartRequest (RequestCommon.h) with Accept: text/event-stream and the secret as
  // `Authorization: Bearer` unless auth.header says otherwise (Azure: api-key). Body:
  //   chat:        {model, messages:[{role:"user",content:prompt}], stream:true,
  //                 stream_options:{include_usage:true}, max_tokens, max_completion_tokens}
  //                 (max_completion_tokens only when workload.send_max_completion_tokens)
  //   completions: {model, prompt, stream:true, stream_options:{include_usage:true}, max_tokens}
  // plus the vLLM/SGLang extras "ignore_eos": true (workload.ignore_eos) and "min_tokens"
  // (workload.min_tokens > 0), then workload.extra_body merged in.
  HttpRequestSpec BuildRequest(const RequestInputs& in) const override;

  // An OpenAiStreamDecoder (see OpenAiStreamDecoder.h).
  std::unique_ptr<StreamDecoder> NewDecoder() const override;
  // NewOpenAiStreamEncoder (see OpenAiEncoding.h).
  std::unique_ptr<StreamEncoder> NewEncoder(const EncoderInit& init) const override;

 private:
  ApiKind api_;
};

}  // namespace llmprobe
