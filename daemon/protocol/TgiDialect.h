// The `tgi` dialect: Hugging Face Text Generation Inference's native POST /generate_stream,
// streamed as one SSE event per token (see TgiStreamDecoder.h). (TGI also serves the OpenAI
// chat API: use `openai-chat` for that.)
#pragma once

#include <memory>

#include "protocol/Dialect.h"

namespace llmprobe {

// Stateless; safe for concurrent use.
class TgiDialect final : public Dialect {
 public:
  // StartRequest (RequestCommon.h) with Accept: text/event-stream and the secret as
  // `Authorization: Bearer` unless auth.header says otherwise. Body:
  //   {inputs: prompt, parameters: {max_new_tokens, details: true}, stream: true}
  // then workload.extra_body merged in (e.g. {"parameters": {"temperature": 0.7}}). TGI has no
  // ignore_eos or min_tokens parameter: neither is sent, and the model may stop early.
  HttpRequestSpec BuildRequest(const RequestInputs& in) const override;
  std::unique_ptr<StreamDecoder> NewDecoder() const override;
  std::unique_ptr<StreamEncoder> NewEncoder(const EncoderInit& init) const override;
};

}  // namespace llmprobe
