#include "protocol/AnthropicEncoding.h"

#include "protocol/OpenAiEncoding.h"

namespace llmprobe {
namespace {

void Begin(std::string_view type, std::string* out) {
  out->append("event: ");
  out->append(type);
  out->append("\ndata: {\"type\":\"");
  out->append(type);
  out->push_back('"');
}

void End(std::string* out) { out->append("}\n\n"); }

}  // namespace

AnthropicEncoder::AnthropicEncoder(std::string_view message_id, std::string_view model)
    : id_(message_id), model_(model) {}

const char* AnthropicEncoder::StopReasonName(FinishReason finish) {
  switch (finish) {
    case FinishReason::kNone:
    case FinishReason::kStop:
      return "end_turn";
    case FinishReason::kLength:
      return "max_tokens";
    case FinishReason::kToolCalls:
      return "tool_use";
    case FinishReason::kContentFilter:
      return "refusal";
    case FinishReason::kOther:
      return "pause_turn";
  }
  return "end_turn";
}

void AnthropicEncoder::AppendMessageStart(int64_t input_tokens, int64_t cache_read_input_tokens,
                                          std::string* out) {
  Begin("message_start", out);
  out->append(R"(,"message":{"id":)");
  AppendJsonString(id_, out);
  out->append(R"(,"type":"message","role":"assistant","model":)");
  AppendJsonString(model_, out);
  out->append(R"(,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":)");
  out->append(std::to_string(input_tokens < 0 ? 0 : input_tokens));
  if (cache_read_input_tokens >= 0) {
    out->append(R"(,"cache_creation_input_tokens":0,"cache_read_input_tokens":)");
    out->append(std::to_string(cache_read_input_tokens));
  }
  out->append(R"(,"output_tokens":1}})");
  End(out);
}

void AnthropicEncoder::AppendPing(std::string* out) {
  Begin("ping", out);
  End(out);
}

void AnthropicEncoder::OpenBlock(Block block, std::string* out) {
  if (block_ == block) return;
  CloseBlock(out);
  block_ = block;
  ++index_;
  Begin("content_block_start", out);
  out->append(R"(,"index":)" + std::to_string(index_) + R"(,"content_block":)");
  out->append(block == Block::kThinking ? R"({"type":"thinking","thinking":"","signature":""})"
                                        : R"({"type":"text","text":""})");
  End(out);
}

void AnthropicEncoder::CloseBlock(std::string* out) {
  if (block_ == Block::kNone) return;
  const std::string index = std::to_string(index_);
  if (block_ == Block::kThinking) {
    // The server signs a thinking block before closing it; the signature carries no token.
    Begin("content_block_delta", out);
    out->append(R"(,"index":)" + index +
                R"(,"delta":{"type":"signature_delta","signature":"bW9jay1zaWduYXR1cmU="})");
    End(out);
  }
  Begin("content_block_stop", out);
  out->append(R"(,"index":)" + index);
  End(out);
  block_ = Block::kNone;
}

void AnthropicEncoder::AppendTextDelta(std::string_view text, std::string* out) {
  OpenBlock(Block::kText, out);
  Begin("content_block_delta", out);
  out->append(R"(,"index":)" + std::to_string(index_) + R"(,"delta":{"type":"text_delta","text":)");
  AppendJsonString(text, out);
  out->push_back('}');
  End(out);
}

void AnthropicEncoder::AppendThinkingDelta(std::string_view thinking, std::string* out) {
  OpenBlock(Block::kThinking, out);
  Begin("content_block_delta", out);
  out->append(R"(,"index":)" + std::to_string(index_) +
              R"(,"delta":{"type":"thinking_delta","thinking":)");
  AppendJsonString(thinking, out);
  out->push_back('}');
  End(out);
}

void AnthropicEncoder::AppendToolUse(std::string_view tool_use_id, std::string_view name,
                                     std::string* out) {
  CloseBlock(out);
  block_ = Block::kToolUse;
  ++index_;
  Begin("content_block_start", out);
  out->append(R"(,"index":)" + std::to_string(index_) +
              R"(,"content_block":{"type":"tool_use","id":)");
  AppendJsonString(tool_use_id, out);
  out->append(R"(,"name":)");
  AppendJsonString(name, out);
  out->append(R"(,"input":{}})");
  End(out);
}

void AnthropicEncoder::AppendInputJsonDelta(std::string_view partial_json, std::string* out) {
  Begin("content_block_delta", out);
  out->append(R"(,"index":)" + std::to_string(index_) +
              R"(,"delta":{"type":"input_json_delta","partial_json":)");
  AppendJsonString(partial_json, out);
  out->push_back('}');
  End(out);
}

void AnthropicEncoder::AppendMessageDelta(std::string_view stop_reason, int64_t output_tokens,
                                          std::string* out) {
  CloseBlock(out);
  Begin("message_delta", out);
  out->append(R"(,"delta":{"stop_reason":)");
  AppendJsonString(stop_reason, out);
  out->append(R"(,"stop_sequence":null},"usage":{"output_tokens":)");
  out->append(std::to_string(output_tokens < 0 ? 0 : output_tokens));
  out->push_back('}');
  End(out);
}

void AnthropicEncoder::AppendMessageStop(std::string* out) {
  Begin("message_stop", out);
  End(out);
}

void AnthropicEncoder::AppendError(std::string_view error_type, std::string_view message,
                                   std::string* out) {
  Begin("error", out);
  out->append(R"(,"error":{"type":)");
  AppendJsonString(error_type, out);
  out->append(R"(,"message":)");
  AppendJsonString(message, out);
  out->push_back('}');
  End(out);
}

namespace {

class AnthropicStreamEncoder final : public StreamEncoder {
 public:
  explicit AnthropicStreamEncoder(const EncoderInit& init)
      : events_(init.id, init.model), prompt_tokens_(init.prompt_tokens) {}

  const char* content_type() const override { return "text/event-stream"; }
  void AppendStart(std::string* out) override {
    events_.AppendMessageStart(prompt_tokens_, -1, out);
    AnthropicEncoder::AppendPing(out);
  }
  void AppendTokens(std::string_view reasoning, std::string_view content,
                    std::string* out) override {
    if (!reasoning.empty()) events_.AppendThinkingDelta(reasoning, out);
    if (!content.empty() || reasoning.empty()) events_.AppendTextDelta(content, out);
  }
  void AppendEnd(const StreamEnd& end, std::string* out) override {
    events_.AppendMessageDelta(AnthropicEncoder::StopReasonName(end.finish),
                               end.usage.completion_tokens, out);
    AnthropicEncoder::AppendMessageStop(out);
  }
  void AppendError(std::string_view message, std::string* out) override {
    AnthropicEncoder::AppendError("api_error", message, out);
  }

 private:
  AnthropicEncoder events_;
  int64_t prompt_tokens_;
};

}  // namespace

std::unique_ptr<StreamEncoder> NewAnthropicStreamEncoder(const EncoderInit& init) {
  return std::make_unique<AnthropicStreamEncoder>(init);
}

}  // namespace llmprobe
