#include "protocol/AnthropicDialect.h"

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "protocol/AnthropicEncoding.h"
#include "protocol/AnthropicStreamDecoder.h"
#include "protocol/RequestCommon.h"

namespace llmprobe {

HttpRequestSpec AnthropicDialect::BuildRequest(const RequestInputs& in) const {
  HttpRequestSpec spec = StartRequest(in, "text/event-stream", AuthHeader::kXApiKey,
                                      {{"anthropic-version", kAnthropicVersion}});
  nlohmann::ordered_json body;
  body["model"] = in.target->model;
  body["max_tokens"] = in.target->workload.max_tokens;
  std::string system;
  nlohmann::ordered_json messages = MessagesJson(in, &system);
  if (!system.empty()) body["system"] = system;
  body["messages"] = std::move(messages);
  body["stream"] = true;
  spec.body = SerializeBody(std::move(body), in.target->workload);
  return spec;
}

std::unique_ptr<StreamDecoder> AnthropicDialect::NewDecoder() const {
  return NewAnthropicStreamDecoder();
}

std::unique_ptr<StreamEncoder> AnthropicDialect::NewEncoder(const EncoderInit& init) const {
  return NewAnthropicStreamEncoder(init);
}

}  // namespace llmprobe
