#include "support/ChatRequest.h"

namespace llmprobe::testing {

HttpRequestSpec ChatRequest(const Endpoint& endpoint, int max_tokens) {
  TargetConfig target;
  target.name = "t";
  target.api = ApiKind::kOpenAiChat;
  target.url_parts = endpoint.url;
  target.model = "mock-model";
  target.workload.max_tokens = max_tokens;
  RequestInputs in;
  in.target = &target;
  in.prompt = "one two three four";
  return DialectFor(ApiKind::kOpenAiChat).BuildRequest(in);
}

}  // namespace llmprobe::testing
