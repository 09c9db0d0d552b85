#include "protocol/RequestCommon.h"

#include <algorithm>
#include <cctype>

namespace llmprobe {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

void SetHeader(HeaderList* headers, std::string_view name, std::string_view value) {
  for (auto& [n, v] : *headers) {
    if (EqualsIgnoreCase(n, name)) {
      v.assign(value);
      return;
    }
  }
  headers->emplace_back(std::string(name), std::string(value));
}

std::pair<std::string, std::string> AuthHeaderFor(AuthHeader header, AuthHeader dialect_default,
                                                  std::string_view secret) {
  if (header == AuthHeader::kDefault) header = dialect_default;
  switch (header) {
    case AuthHeader::kApiKey:
      return {"api-key", std::string(secret)};
    case AuthHeader::kXApiKey:
      return {"x-api-key", std::string(secret)};
    case AuthHeader::kDefault:  // a dialect default of kDefault means Bearer
    case AuthHeader::kBearer:
      break;
  }
  return {"Authorization", "Bearer " + std::string(secret)};
}

HttpRequestSpec StartRequest(
    const RequestInputs& in, std::string_view accept, AuthHeader dialect_default,
    std::initializer_list<std::pair<std::string_view, std::string_view>> dialect_headers) {
  const TargetConfig& target = *in.target;
  HttpRequestSpec spec;
  spec.method = "POST";
  spec.path = target.url_parts.path.empty() ? "/" : target.url_parts.path;
  spec.headers.reserve(4 + dialect_headers.size() + target.headers.size());
  spec.headers.emplace_back("Content-Type", "application/json");
  spec.headers.emplace_back("Accept", std::string(accept));
  for (const auto& [name, value] : dialect_headers) SetHeader(&spec.headers, name, value);
  for (const auto& [name, value] : target.headers) SetHeader(&spec.headers, name, value);
  if (!in.bearer_token.empty()) {
    const auto [name, value] = AuthHeaderFor(target.auth.header, dialect_default, in.bearer_token);
    SetHeader(&spec.headers, name, value);
  }
  return spec;
}

nlohmann::ordered_json MessagesJson(const RequestInputs& in, std::string* system_out) {
  if (in.messages.empty()) {
    return nlohmann::ordered_json::array({{{"role", "user"}, {"content", in.prompt}}});
  }
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  for (const ChatMessage& m : in.messages) {
    if (system_out != nullptr && m.role == "system") {
      if (!system_out->empty()) *system_out += "\n\n";
      *system_out += m.content;
      continue;
    }
    messages.push_back({{"role", m.role}, {"content", m.content}});
  }
  return messages;
}

std::string SerializeBody(nlohmann::ordered_json body, const WorkloadConfig& workload) {
  if (!workload.extra_body.empty()) {
    // Parsed per request: the loader validated it, and a body is built once per request anyway.
    const nlohmann::ordered_json patch =
        nlohmann::ordered_json::parse(workload.extra_body, nullptr, /*allow_exceptions=*/false);
    if (patch.is_object()) body.merge_patch(patch);
  }
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace llmprobe
