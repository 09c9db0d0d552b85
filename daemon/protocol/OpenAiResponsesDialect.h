// The `openai-responses` dialect: OpenAI's Responses API (POST /v1/responses), streamed as SSE
// semantic events (see OpenAiResponsesDecoder.h). Served by OpenAI, Azure OpenAI, vLLM, SGLang.
#pragma once

#include <memory>

#include "protocol/Dialect.h"

namespace llmprobe {

// Stateless; safe for concurrent use.
class OpenAiResponsesDialect final : public Dialect {
 public:
  // StartRequest (RequestCommon.h) with Accept: text/event-stream and the secret as
  // `Authorization: Bearer` unless auth.header says otherwise (Azure: api-key). Body:
  //   {model, input: prompt, stream: true, store: false, max_output_tokens}
  // plus "ignore_eos": true and "min_tokens" as the OpenAI dialects send them, then
  // workload.extra_body merged in. `store: false` keeps a probe's responses out of the
  // provider's stored conversations (extra_body {"store": true} turns it back on).
  HttpRequestSpec BuildRequest(const RequestInputs& in) const override;
  std::unique_ptr<StreamDecoder> NewDecoder() const override;
  std::unique_ptr<StreamEncoder> NewEncoder(const EncoderInit& init) const override;
};

}  // namespace llmprobe
