#include "protocol/OpenAiEncoding.h"

namespace llmprobe {
namespace {

constexpr std::string_view kChoiceTail = R"(,"logprobs":null,"finish_reason":null})";

const char* FinishName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kNone:
      return nullptr;
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kToolCalls:
      return "tool_calls";
    case FinishReason::kContentFilter:
      return "content_filter";
    case FinishReason::kOther:
      return "abort";
  }
  return nullptr;
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the current run of bytes that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xF]);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

OpenAiChunkEncoder::OpenAiChunkEncoder(ApiKind api, std::string_view id, std::string_view model,
                                       int64_t created_unix_seconds)
    : api_(api) {
  prefix_ = R"(data: {"id":)";
  AppendJsonString(id, &prefix_);
  prefix_ += api == ApiKind::kOpenAiChat ? R"(,"object":"chat.completion.chunk")"
                                         : R"(,"object":"text_completion")";
  prefix_ += R"(,"created":)" + std::to_string(created_unix_seconds) + R"(,"model":)";
  AppendJsonString(model, &prefix_);
  prefix_ += R"(,"choices":[)";
}

void OpenAiChunkEncoder::AppendChunk(std::string_view choice, std::string_view tail,
                                     std::string* out) const {
  out->append(prefix_);
  out->append(choice);
  out->push_back(']');
  out->append(tail);
  out->append("}\n\n");
}

void OpenAiChunkEncoder::AppendRole(std::string* out) const {
  if (api_ != ApiKind::kOpenAiChat) return;
  std::string choice = R"({"index":0,"delta":{"role":"assistant","content":""})";
  choice += kChoiceTail;
  AppendChunk(choice, "", out);
}

void OpenAiChunkEncoder::AppendContent(std::string_view text, std::string* out) const {
  std::string choice;
  if (api_ == ApiKind::kOpenAiChat) {
    choice = R"({"index":0,"delta":{"content":)";
    AppendJsonString(text, &choice);
    choice += '}';
  } else {
    choice = R"({"text":)";
    AppendJsonString(text, &choice);
    choice += R"(,"index":0)";
  }
  choice += kChoiceTail;
  AppendChunk(choice, "", out);
}

void OpenAiChunkEncoder::AppendReasoning(std::string_view text, std::string* out) const {
  if (api_ != ApiKind::kOpenAiChat) return;
  std::string choice = R"({"index":0,"delta":{"reasoning_content":)";
  AppendJsonString(text, &choice);
  choice += '}';
  choice += kChoiceTail;
  AppendChunk(choice, "", out);
}

void OpenAiChunkEncoder::AppendFinish(FinishReason reason, std::string* out) const {
  std::string choice =
      api_ == ApiKind::kOpenAiChat ? R"({"index":0,"delta":{})" : R"({"text":"","index":0)";
  choice += R"(,"logprobs":null,"finish_reason":)";
  const char* name = FinishName(reason);
  choice += name == nullptr ? std::string("null") : '"' + std::string(name) + '"';
  choice += '}';
  AppendChunk(choice, "", out);
}

void OpenAiChunkEncoder::AppendUsage(const TokenUsage& usage, std::string* out) const {
  std::string tail = R"(,"usage":{)";
  bool first = true;
  auto field = [&](std::string_view name, int64_t value) {
    if (value < 0) return;
    if (!first) tail += ',';
    first = false;
    tail += '"';
    tail += name;
    tail += "\":" + std::to_string(value);
  };
  field("prompt_tokens", usage.prompt_tokens);
  field("completion_tokens", usage.completion_tokens);
  if (usage.prompt_tokens >= 0 && usage.completion_tokens >= 0) {
    field("total_tokens", usage.prompt_tokens + usage.completion_tokens);
  }
  if (usage.cached_tokens >= 0) {
    if (!first) tail += ',';
    tail +=
        R"("prompt_tokens_details":{"cached_tokens":)" + std::to_string(usage.cached_tokens) + "}";
  }
  tail += '}';
  AppendChunk("", tail, out);
}

void OpenAiChunkEncoder::AppendError(std::string_view message, std::string_view type,
                                     std::string* out) {
  out->append(R"(data: {"error":{"message":)");
  AppendJsonString(message, out);
  out->append(R"(,"type":)");
  AppendJsonString(type, out);
  out->append(R"(,"param":null,"code":null}})");
  out->append("\n\n");
}

void OpenAiChunkEncoder::AppendDone(std::string* out) { out->append("data: [DONE]\n\n"); }

}  // namespace llmprobe
