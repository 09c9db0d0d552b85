#include "protocol/TgiEncoding.h"

#include "protocol/OpenAiEncoding.h"

namespace llmprobe {

void TgiEncoder::AppendTokenFields(std::string_view text, bool special, std::string* out) {
  // Token ids are made up (the mock has no tokenizer); logprob is a plausible constant.
  // TGI counts tokens from 1.
  out->append(R"(data:{"index":)" + std::to_string(index_ + 1) + R"(,"token":{"id":)" +
              std::to_string(1000 + index_) + R"(,"text":)");
  AppendJsonString(text, out);
  out->append(R"(,"logprob":-0.25,"special":)");
  out->append(special ? "true" : "false");
  out->push_back('}');
  ++index_;
  if (!special) generated_text_.append(text);
}

void TgiEncoder::AppendToken(std::string_view text, bool special, std::string* out) {
  AppendTokenFields(text, special, out);
  out->append(R"(,"generated_text":null,"details":null})");
  out->append("\n\n");
}

void TgiEncoder::AppendLastToken(std::string_view text, bool special,
                                 std::string_view finish_reason, int64_t generated_tokens,
                                 int64_t input_length, std::string* out) {
  AppendTokenFields(text, special, out);
  out->append(R"(,"generated_text":)");
  AppendJsonString(generated_text_, out);
  out->append(R"(,"details":{"finish_reason":)");
  AppendJsonString(finish_reason, out);
  out->append(R"(,"generated_tokens":)" + std::to_string(generated_tokens) +
              R"(,"seed":null,"input_length":)" + std::to_string(input_length) + "}}\n\n");
}

void TgiEncoder::AppendError(std::string_view message, std::string_view error_type,
                             std::string* out) {
  out->append(R"(data:{"error":)");
  AppendJsonString(message, out);
  out->append(R"(,"error_type":)");
  AppendJsonString(error_type, out);
  out->append("}\n\n");
}

namespace {

class TgiStreamEncoder final : public StreamEncoder {
 public:
  const char* content_type() const override { return "text/event-stream"; }
  void AppendStart(std::string*) override {}
  void AppendTokens(std::string_view reasoning, std::string_view content,
                    std::string* out) override {
    events_.AppendToken(Joined(reasoning, content), false, out);
  }
  void AppendEnd(const StreamEnd& end, std::string* out) override { AppendEos(end, out); }
  void AppendLastTokens(std::string_view reasoning, std::string_view content, const StreamEnd& end,
                        std::string* out) override {
    if (end.finish == FinishReason::kLength) {
      const std::string text = Joined(reasoning, content);
      events_.AppendLastToken(text, false, "length", Generated(end, 1), Input(end), out);
      return;
    }
    AppendTokens(reasoning, content, out);
    AppendEos(end, out);
  }
  void AppendError(std::string_view message, std::string* out) override {
    TgiEncoder::AppendError(message, "generation", out);
  }

 private:
  static std::string Joined(std::string_view reasoning, std::string_view content) {
    std::string text(reasoning);
    text.append(content);
    return text;
  }
  // generated_tokens: the server's count, or the token events including `extra` more.
  int64_t Generated(const StreamEnd& end, int64_t extra) const {
    return end.usage.completion_tokens >= 0 ? end.usage.completion_tokens
                                            : events_.tokens() + extra;
  }
  static int64_t Input(const StreamEnd& end) {
    return end.usage.prompt_tokens >= 0 ? end.usage.prompt_tokens : 0;
  }
  void AppendEos(const StreamEnd& end, std::string* out) {
    const char* reason = end.finish == FinishReason::kLength ? "length" : "eos_token";
    events_.AppendLastToken("</s>", true, reason, Generated(end, 1), Input(end), out);
  }

  TgiEncoder events_;
};

}  // namespace

std::unique_ptr<StreamEncoder> NewTgiStreamEncoder(const EncoderInit&) {
  return std::make_unique<TgiStreamEncoder>();
}

}  // namespace llmprobe
