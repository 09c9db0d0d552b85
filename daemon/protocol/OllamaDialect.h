// The `ollama` dialect: Ollama's native POST /api/chat, streamed as newline-delimited JSON
// (see OllamaStreamDecoder.h). (Ollama also serves the OpenAI chat API at /v1: use
// `openai-chat` for that.)
#pragma once

#include <memory>

#include "protocol/Dialect.h"

namespace llmprobe {

// Stateless; safe for concurrent use.
class OllamaDialect final : public Dialect {
 public:
  // StartRequest (RequestCommon.h) with Accept: application/x-ndjson and, when a secret is
  // configured (Ollama itself has no auth; proxies and ollama.com do), `Authorization: Bearer`
  // unless auth.header says otherwise. Body:
  //   {model, messages:[{role:"user",content:prompt}], stream:true,
  //    options:{num_predict: max_tokens}}
  // then workload.extra_body merged in (e.g. {"think": true} or {"options": {"num_ctx": 8192}}).
  // Ollama has no ignore_eos or min_tokens: neither is sent.
  HttpRequestSpec BuildRequest(const RequestInputs& in) const override;
  std::unique_ptr<StreamDecoder> NewDecoder() const override;
  std::unique_ptr<StreamEncoder> NewEncoder(const EncoderInit& init) const override;
};

}  // namespace llmprobe
