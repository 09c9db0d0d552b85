#include "protocol/OllamaDialect.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "protocol/OllamaEncoding.h"
#include "protocol/OllamaStreamDecoder.h"
#include "protocol/RequestCommon.h"

namespace llmprobe {

HttpRequestSpec OllamaDialect::BuildRequest(const RequestInputs& in) const {
  HttpRequestSpec spec = StartRequest(in, "application/x-ndjson", AuthHeader::kBearer);
  nlohmann::ordered_json body;
  body["model"] = in.target->model;
  body["messages"] = MessagesJson(in);
  body["stream"] = true;
  body["options"] = {{"num_predict", in.target->workload.max_tokens}};
  spec.body = SerializeBody(std::move(body), in.target->workload);
  return spec;
}

std::unique_ptr<StreamDecoder> OllamaDialect::NewDecoder() const {
  return NewOllamaStreamDecoder();
}

std::unique_ptr<StreamEncoder> OllamaDialect::NewEncoder(const EncoderInit& init) const {
  return NewOllamaStreamEncoder(init);
}

}  // namespace llmprobe
