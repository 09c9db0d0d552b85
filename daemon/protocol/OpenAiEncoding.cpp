#include "protocol/OpenAiEncoding.h"

#include <memory>

namespace llmprobe {
namespace {

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

void OpenAiChunkEncoder::AppendChoiceEnd(FinishReason finish, const TokenUsage* usage,
                                         std::string* out) {
  out->append(R"(,"logprobs":null,"finish_reason":)");
  const char* name = FinishName(finish);
  if (name == nullptr) {
    out->append("null");
  } else {
    out->push_back('"');
    out->append(name);
    out->push_back('"');
  }
  out->append("}]");
  if (usage != nullptr) AppendUsageField(*usage, out);
  out->append("}\n\n");
}

void OpenAiChunkEncoder::AppendUsageField(const TokenUsage& usage, std::string* out) {
  out->append(R"(,"usage":{)");
  bool first = true;
  auto field = [&](std::string_view name, int64_t value) {
    if (value < 0) return;
    if (!first) out->push_back(',');
    first = false;
    out->push_back('"');
    out->append(name);
    out->append("\":");
    out->append(std::to_string(value));
  };
  field("prompt_tokens", usage.prompt_tokens);
  field("completion_tokens", usage.completion_tokens);
  if (usage.prompt_tokens >= 0 && usage.completion_tokens >= 0) {
    field("total_tokens", usage.prompt_tokens + usage.completion_tokens);
  }
  if (usage.cached_tokens >= 0) {
    if (!first) out->push_back(',');
    out->append(R"("prompt_tokens_details":{"cached_tokens":)");
    out->append(std::to_string(usage.cached_tokens));
    out->push_back('}');
  }
  out->push_back('}');
}

void OpenAiChunkEncoder::AppendRole(std::string* out) const {
  if (api_ != ApiKind::kOpenAiChat) return;
  out->append(prefix_);
  out->append(R"({"index":0,"delta":{"role":"assistant","content":""})");
  AppendChoiceEnd(FinishReason::kNone, nullptr, out);
}

void OpenAiChunkEncoder::AppendTokenChunk(std::string_view reasoning, std::string_view content,
                                          FinishReason finish, const TokenUsage* usage,
                                          std::string* out) const {
  out->append(prefix_);
  if (api_ == ApiKind::kOpenAiChat) {
    out->append(R"({"index":0,"delta":{)");
    if (!reasoning.empty()) {
      out->append(R"("reasoning_content":)");
      AppendJsonString(reasoning, out);
    }
    if (!content.empty() || reasoning.empty()) {
      if (!reasoning.empty()) out->push_back(',');
      out->append(R"("content":)");
      AppendJsonString(content, out);
    }
    out->push_back('}');
  } else {
    out->append(R"({"text":)");
    AppendJsonString(content, out);
    out->append(R"(,"index":0)");
  }
  AppendChoiceEnd(finish, usage, out);
}

void OpenAiChunkEncoder::AppendContent(std::string_view text, std::string* out) const {
  AppendTokenChunk({}, text, FinishReason::kNone, nullptr, out);
}

void OpenAiChunkEncoder::AppendReasoning(std::string_view text, std::string* out) const {
  if (api_ != ApiKind::kOpenAiChat) return;
  AppendTokenChunk(text, {}, FinishReason::kNone, nullptr, out);
}

void OpenAiChunkEncoder::AppendFinish(FinishReason reason, std::string* out) const {
  out->append(prefix_);
  out->append(api_ == ApiKind::kOpenAiChat ? R"({"index":0,"delta":{})"
                                           : R"({"text":"","index":0)");
  AppendChoiceEnd(reason, nullptr, out);
}

void OpenAiChunkEncoder::AppendUsage(const TokenUsage& usage, std::string* out) const {
  out->append(prefix_);
  out->push_back(']');
  AppendUsageField(usage, out);
  out->append("}\n\n");
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

namespace {

class OpenAiStreamEncoder final : public StreamEncoder {
 public:
  OpenAiStreamEncoder(ApiKind api, const EncoderInit& init)
      : chunks_(api, init.id, init.model, init.created_unix_seconds) {}

  const char* content_type() const override { return "text/event-stream"; }
  void AppendStart(std::string* out) override { chunks_.AppendRole(out); }
  void AppendTokens(std::string_view reasoning, std::string_view content,
                    std::string* out) override {
    chunks_.AppendTokenChunk(reasoning, content, FinishReason::kNone, nullptr, out);
  }
  void AppendEnd(const StreamEnd& end, std::string* out) override {
    chunks_.AppendFinish(end.finish, out);
    chunks_.AppendUsage(end.usage, out);
    OpenAiChunkEncoder::AppendDone(out);
  }
  void AppendError(std::string_view message, std::string* out) override {
    OpenAiChunkEncoder::AppendError(message, "server_error", out);
  }

 private:
  const OpenAiChunkEncoder chunks_;
};

}  // namespace

std::unique_ptr<StreamEncoder> NewOpenAiStreamEncoder(ApiKind api, const EncoderInit& init) {
  return std::make_unique<OpenAiStreamEncoder>(api, init);
}

}  // namespace llmprobe
