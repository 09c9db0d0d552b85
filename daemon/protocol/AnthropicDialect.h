// The `anthropic-messages` dialect: Anthropic's Messages API (POST /v1/messages), streamed as
// SSE events (see AnthropicStreamDecoder.h). Served by Anthropic, and by gateways and servers
// that speak its API (Bedrock/Vertex proxies, vLLM, llama.cpp).
#pragma once

#include <memory>

#include "protocol/Dialect.h"

namespace llmprobe {

// The API version sent in `anthropic-version` (a target header of that name replaces it).
inline constexpr const char* kAnthropicVersion = "2023-06-01";

// Stateless; safe for concurrent use.
class AnthropicDialect final : public Dialect {
 public:
  // StartRequest (RequestCommon.h) with Accept: text/event-stream, anthropic-version, and the
  // secret as `x-api-key` unless auth.header says otherwise. Body:
  //   {model, max_tokens, messages:[{role:"user",content:prompt}], stream:true}
  // then workload.extra_body merged in (e.g. {"thinking":{"type":"enabled",
  // "budget_tokens":1024}}). ignore_eos and min_tokens have no Anthropic equivalent: not sent.
  HttpRequestSpec BuildRequest(const RequestInputs& in) const override;
  std::unique_ptr<StreamDecoder> NewDecoder() const override;
  std::unique_ptr<StreamEncoder> NewEncoder(const EncoderInit& init) const override;
};

}  // namespace llmprobe
