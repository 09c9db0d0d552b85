#include "protocol/OpenAiDialect.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/OpenAiStreamDecoder.h"

namespace llmprobe {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Sets header `name` to `value`, replacing an existing one of the same name.
void SetHeader(std::vector<std::pair<std::string, std::string>>* headers, const std::string& name,
               const std::string& value) {
  for (auto& [n, v] : *headers) {
    if (EqualsIgnoreCase(n, name)) {
      v = value;
      return;
    }
  }
  headers->emplace_back(name, value);
}

}  // namespace

HttpRequestSpec OpenAiDialect::BuildRequest(const RequestInputs& in) const {
  const TargetConfig& target = *in.target;
  HttpRequestSpec spec;
  spec.method = "POST";
  spec.path = target.url_parts.path.empty() ? "/" : target.url_parts.path;
  spec.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}};
  for (const auto& [name, value] : target.headers) SetHeader(&spec.headers, name, value);
  if (!in.bearer_token.empty())
    SetHeader(&spec.headers, "Authorization", "Bearer " + in.bearer_token);

  // ordered_json keeps the documented field order, which is easier to read in logs.
  nlohmann::ordered_json body;
  body["model"] = target.model;
  if (api_ == ApiKind::kOpenAiChat) {
    body["messages"] = nlohmann::ordered_json::array({{{"role", "user"}, {"content", in.prompt}}});
  } else {
    body["prompt"] = in.prompt;
  }
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  body["max_tokens"] = target.workload.max_tokens;
  // Both names: older servers know only max_tokens, OpenAI deprecated it for
  // max_completion_tokens. Caveat: OpenAI's o-series models answer 400 when max_tokens is sent.
  if (api_ == ApiKind::kOpenAiChat) body["max_completion_tokens"] = target.workload.max_tokens;
  if (target.workload.ignore_eos) body["ignore_eos"] = true;
  spec.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return spec;
}

std::unique_ptr<StreamDecoder> OpenAiDialect::NewDecoder() const {
  return NewOpenAiStreamDecoder(api_);
}

}  // namespace llmprobe
