#include "protocol/TgiDialect.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "protocol/RequestCommon.h"
#include "protocol/TgiEncoding.h"
#include "protocol/TgiStreamDecoder.h"

namespace llmprobe {

HttpRequestSpec TgiDialect::BuildRequest(const RequestInputs& in) const {
  HttpRequestSpec spec = StartRequest(in, "text/event-stream", AuthHeader::kBearer);
  nlohmann::ordered_json body;
  body["inputs"] = in.prompt;
  // details: the last event then carries finish_reason and generated_tokens.
  body["parameters"] = {{"max_new_tokens", in.target->workload.max_tokens}, {"details", true}};
  body["stream"] = true;
  spec.body = SerializeBody(std::move(body), in.target->workload);
  return spec;
}

std::unique_ptr<StreamDecoder> TgiDialect::NewDecoder() const { return NewTgiStreamDecoder(); }

std::unique_ptr<StreamEncoder> TgiDialect::NewEncoder(const EncoderInit& init) const {
  return NewTgiStreamEncoder(init);
}

}  // namespace llmprobe
