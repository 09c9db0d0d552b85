#include "protocol/OpenAiDialect.h"

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "protocol/OpenAiEncoding.h"
#include "protocol/OpenAiStreamDecoder.h"
#include "protocol/RequestCommon.h"

namespace llmprobe {

HttpRequestSpec OpenAiDialect::BuildRequest(const RequestInputs& in) const {
  const WorkloadConfig& workload = in.target->workload;
  HttpRequestSpec spec = StartRequest(in, "text/event-stream", AuthHeader::kBearer);

  // ordered_json keeps the documented field order, which is easier to read in logs.
  nlohmann::ordered_json body;
  body["model"] = in.target->model;
  if (api_ == ApiKind::kOpenAiChat) {
    body["messages"] = MessagesJson(in);
  } else {
    body["prompt"] = in.prompt;
  }
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  body["max_tokens"] = workload.max_tokens;
  // Both names: older servers know only max_tokens, OpenAI deprecated it for
  // max_completion_tokens. OpenAI's o-series models answer 400 when max_tokens is sent: such a
  // target drops it with extra_body {"max_tokens": null}.
  if (api_ == ApiKind::kOpenAiChat && workload.send_max_completion_tokens) {
    body["max_completion_tokens"] = workload.max_tokens;
  }
  if (workload.ignore_eos) body["ignore_eos"] = true;
  if (workload.min_tokens > 0) body["min_tokens"] = workload.min_tokens;
  spec.body = SerializeBody(std::move(body), workload);
  return spec;
}

std::unique_ptr<StreamDecoder> OpenAiDialect::NewDecoder() const {
  return NewOpenAiStreamDecoder(api_);
}

std::unique_ptr<StreamEncoder> OpenAiDialect::NewEncoder(const EncoderInit& init) const {
  return NewOpenAiStreamEncoder(api_, init);
}

}  // namespace llmprobe
