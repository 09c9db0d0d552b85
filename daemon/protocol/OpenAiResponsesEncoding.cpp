#include "protocol/OpenAiResponsesEncoding.h"

#include "protocol/OpenAiEncoding.h"

namespace llmprobe {
namespace {

void AppendUsage(const TokenUsage& usage, std::string* out) {
  out->append(R"("usage":{)");
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
  field("input_tokens", usage.prompt_tokens);
  if (usage.cached_tokens >= 0) {
    if (!first) out->push_back(',');
    first = false;
    out->append(R"("input_tokens_details":{"cached_tokens":)" +
                std::to_string(usage.cached_tokens) + "}");
  }
  field("output_tokens", usage.completion_tokens);
  if (usage.prompt_tokens >= 0 && usage.completion_tokens >= 0) {
    field("total_tokens", usage.prompt_tokens + usage.completion_tokens);
  }
  out->push_back('}');
}

}  // namespace

OpenAiResponsesEncoder::OpenAiResponsesEncoder(std::string_view response_id, std::string_view model,
                                               int64_t created_at_unix_seconds)
    : id_(response_id), model_(model), created_at_(created_at_unix_seconds) {}

void OpenAiResponsesEncoder::Begin(std::string_view type, std::string* out) const {
  out->append("event: ");
  out->append(type);
  out->append("\ndata: {\"type\":\"");
  out->append(type);
  out->push_back('"');
}

void OpenAiResponsesEncoder::End(std::string* out) {
  out->append(",\"sequence_number\":");
  out->append(std::to_string(sequence_++));
  out->append("}\n\n");
}

void OpenAiResponsesEncoder::AppendItemRef(std::string* out) const {
  out->append(R"(,"item_id":)");
  AppendJsonString(item_id_, out);
  out->append(R"(,"output_index":)" + std::to_string(output_index_));
}

void OpenAiResponsesEncoder::AppendResponse(std::string_view status, const TokenUsage* usage,
                                            std::string_view extra, std::string* out) const {
  out->append(R"(,"response":{"id":)");
  AppendJsonString(id_, out);
  out->append(R"(,"object":"response","created_at":)" + std::to_string(created_at_) +
              R"(,"status":")");
  out->append(status);
  out->append(R"(","model":)");
  AppendJsonString(model_, out);
  out->append(R"(,"output":[])");
  out->append(extra);
  out->push_back(',');
  if (usage == nullptr) {
    out->append(R"("usage":null)");
  } else {
    AppendUsage(*usage, out);
  }
  out->push_back('}');
}

void OpenAiResponsesEncoder::AppendCreated(std::string* out) {
  Begin("response.created", out);
  AppendResponse("in_progress", nullptr, "", out);
  End(out);
  Begin("response.in_progress", out);
  AppendResponse("in_progress", nullptr, "", out);
  End(out);
}

void OpenAiResponsesEncoder::OpenItem(Item item, std::string* out) {
  if (item_ == item) return;
  CloseItem(out);
  item_ = item;
  ++output_index_;
  const std::string n = std::to_string(output_index_);
  Begin("response.output_item.added", out);
  out->append(R"(,"output_index":)" + n + R"(,"item":)");
  switch (item) {
    case Item::kMessage:
      item_id_ = "msg_" + id_ + "_" + n;
      out->append(R"({"id":)");
      AppendJsonString(item_id_, out);
      out->append(R"(,"type":"message","status":"in_progress","role":"assistant","content":[]})");
      End(out);
      Begin("response.content_part.added", out);
      AppendItemRef(out);
      out->append(R"(,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]})");
      break;
    case Item::kReasoning:
      item_id_ = "rs_" + id_ + "_" + n;
      out->append(R"({"id":)");
      AppendJsonString(item_id_, out);
      out->append(R"(,"type":"reasoning","summary":[]})");
      break;
    case Item::kFunctionCall:
    case Item::kNone:
      break;  // AppendFunctionCall writes its own item
  }
  End(out);
}

void OpenAiResponsesEncoder::CloseItem(std::string* out) {
  if (item_ == Item::kNone) return;
  Begin("response.output_item.done", out);
  out->append(R"(,"output_index":)" + std::to_string(output_index_) + R"(,"item":{"id":)");
  AppendJsonString(item_id_, out);
  out->append(R"(,"status":"completed"})");
  End(out);
  item_ = Item::kNone;
}

void OpenAiResponsesEncoder::AppendOutputTextDelta(std::string_view text, std::string* out) {
  OpenItem(Item::kMessage, out);
  Begin("response.output_text.delta", out);
  AppendItemRef(out);
  out->append(R"(,"content_index":0,"delta":)");
  AppendJsonString(text, out);
  out->append(R"(,"logprobs":[])");
  End(out);
}

void OpenAiResponsesEncoder::AppendReasoningDelta(std::string_view text, bool summary,
                                                  std::string* out) {
  OpenItem(Item::kReasoning, out);
  Begin(summary ? "response.reasoning_summary_text.delta" : "response.reasoning_text.delta", out);
  AppendItemRef(out);
  out->append(summary ? R"(,"summary_index":0,"delta":)" : R"(,"content_index":0,"delta":)");
  AppendJsonString(text, out);
  End(out);
}

void OpenAiResponsesEncoder::AppendFunctionCall(std::string_view call_id, std::string_view name,
                                                std::string* out) {
  CloseItem(out);
  item_ = Item::kFunctionCall;
  ++output_index_;
  item_id_ = "fc_" + id_ + "_" + std::to_string(output_index_);
  Begin("response.output_item.added", out);
  out->append(R"(,"output_index":)" + std::to_string(output_index_) + R"(,"item":{"id":)");
  AppendJsonString(item_id_, out);
  out->append(R"(,"type":"function_call","status":"in_progress","arguments":"","call_id":)");
  AppendJsonString(call_id, out);
  out->append(R"(,"name":)");
  AppendJsonString(name, out);
  out->push_back('}');
  End(out);
}

void OpenAiResponsesEncoder::AppendFunctionCallArgumentsDelta(std::string_view arguments,
                                                              std::string* out) {
  Begin("response.function_call_arguments.delta", out);
  AppendItemRef(out);
  out->append(R"(,"delta":)");
  AppendJsonString(arguments, out);
  End(out);
}

void OpenAiResponsesEncoder::AppendCompleted(const TokenUsage& usage, std::string* out) {
  CloseItem(out);
  Begin("response.completed", out);
  AppendResponse("completed", &usage, R"(,"incomplete_details":null,"error":null)", out);
  End(out);
}

void OpenAiResponsesEncoder::AppendIncomplete(std::string_view reason, const TokenUsage& usage,
                                              std::string* out) {
  CloseItem(out);
  std::string extra = R"(,"incomplete_details":{"reason":)";
  AppendJsonString(reason, &extra);
  extra += R"(},"error":null)";
  Begin("response.incomplete", out);
  AppendResponse("incomplete", &usage, extra, out);
  End(out);
}

void OpenAiResponsesEncoder::AppendFailed(std::string_view code, std::string_view message,
                                          std::string* out) {
  std::string extra = R"(,"incomplete_details":null,"error":{"code":)";
  AppendJsonString(code, &extra);
  extra += R"(,"message":)";
  AppendJsonString(message, &extra);
  extra += "}";
  Begin("response.failed", out);
  AppendResponse("failed", nullptr, extra, out);
  End(out);
}

void OpenAiResponsesEncoder::AppendError(std::string_view code, std::string_view message,
                                         std::string* out) {
  Begin("error", out);
  out->append(R"(,"code":)");
  AppendJsonString(code, out);
  out->append(R"(,"message":)");
  AppendJsonString(message, out);
  out->append(R"(,"param":null)");
  End(out);
}

namespace {

class ResponsesStreamEncoder final : public StreamEncoder {
 public:
  explicit ResponsesStreamEncoder(const EncoderInit& init)
      : events_(init.id, init.model, init.created_unix_seconds) {}

  const char* content_type() const override { return "text/event-stream"; }
  void AppendStart(std::string* out) override { events_.AppendCreated(out); }
  void AppendTokens(std::string_view reasoning, std::string_view content,
                    std::string* out) override {
    if (!reasoning.empty()) events_.AppendReasoningDelta(reasoning, false, out);
    if (!content.empty() || reasoning.empty()) events_.AppendOutputTextDelta(content, out);
  }
  void AppendEnd(const StreamEnd& end, std::string* out) override {
    switch (end.finish) {
      case FinishReason::kLength:
        events_.AppendIncomplete("max_output_tokens", end.usage, out);
        return;
      case FinishReason::kContentFilter:
        events_.AppendIncomplete("content_filter", end.usage, out);
        return;
      case FinishReason::kOther:
        events_.AppendIncomplete("other", end.usage, out);
        return;
      case FinishReason::kNone:
      case FinishReason::kStop:
      case FinishReason::kToolCalls:
        events_.AppendCompleted(end.usage, out);
        return;
    }
  }
  void AppendError(std::string_view message, std::string* out) override {
    events_.AppendError("server_error", message, out);
  }

 private:
  OpenAiResponsesEncoder events_;
};

}  // namespace

std::unique_ptr<StreamEncoder> NewOpenAiResponsesStreamEncoder(const EncoderInit& init) {
  return std::make_unique<ResponsesStreamEncoder>(init);
}

}  // namespace llmprobe
