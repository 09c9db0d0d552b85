#include "protocol/OpenAiResponsesDialect.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "protocol/OpenAiResponsesDecoder.h"
#include "protocol/OpenAiResponsesEncoding.h"
#include "protocol/RequestCommon.h"

namespace llmprobe {

HttpRequestSpec OpenAiResponsesDialect::BuildRequest(const RequestInputs& in) const {
  const WorkloadConfig& workload = in.target->workload;
  HttpRequestSpec spec = StartRequest(in, "text/event-stream", AuthHeader::kBearer);
  nlohmann::ordered_json body;
  body["model"] = in.target->model;
  // A conversation goes as the input item list ({"role", "content"} items), a prompt as text.
  if (in.messages.empty()) {
    body["input"] = in.prompt;
  } else {
    body["input"] = MessagesJson(in);
  }
  body["stream"] = true;
  body["store"] = false;
  body["max_output_tokens"] = workload.max_tokens;
  if (workload.ignore_eos) body["ignore_eos"] = true;
  if (workload.min_tokens > 0) body["min_tokens"] = workload.min_tokens;
  spec.body = SerializeBody(std::move(body), workload);
  return spec;
}

std::unique_ptr<StreamDecoder> OpenAiResponsesDialect::NewDecoder() const {
  return NewOpenAiResponsesDecoder();
}

std::unique_ptr<StreamEncoder> OpenAiResponsesDialect::NewEncoder(const EncoderInit& init) const {
  return NewOpenAiResponsesStreamEncoder(init);
}

}  // namespace llmprobe
