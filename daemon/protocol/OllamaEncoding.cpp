#include "protocol/OllamaEncoding.h"

#include <cstdio>
#include <ctime>

#include "protocol/OpenAiEncoding.h"

namespace llmprobe {
namespace {

std::string Rfc3339Utc(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

OllamaEncoder::OllamaEncoder(std::string_view model, int64_t created_unix_seconds) {
  head_ = R"({"model":)";
  AppendJsonString(model, &head_);
  head_ += R"(,"created_at":")" + Rfc3339Utc(created_unix_seconds) + R"(",)";
}

void OllamaEncoder::AppendHead(std::string* out) const { out->append(head_); }

void OllamaEncoder::AppendMessage(std::string_view thinking, std::string_view content,
                                  std::string* out) const {
  AppendHead(out);
  out->append(R"("message":{"role":"assistant","content":)");
  AppendJsonString(content, out);
  if (!thinking.empty()) {
    out->append(R"(,"thinking":)");
    AppendJsonString(thinking, out);
  }
  out->append("},\"done\":false}\n");
}

void OllamaEncoder::AppendToolCall(std::string_view name, std::string_view arguments_json,
                                   std::string* out) const {
  AppendHead(out);
  out->append(R"("message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":)");
  AppendJsonString(name, out);
  out->append(R"(,"arguments":)");
  out->append(arguments_json.empty() ? std::string_view("{}") : arguments_json);
  out->append("}}]},\"done\":false}\n");
}

void OllamaEncoder::AppendDone(std::string_view done_reason, int64_t prompt_eval_count,
                               int64_t eval_count, std::string* out) const {
  AppendHead(out);
  out->append(R"("message":{"role":"assistant","content":""},"done_reason":)");
  AppendJsonString(done_reason, out);
  out->append(R"(,"done":true,"total_duration":0,"load_duration":0)");
  if (prompt_eval_count >= 0) {
    out->append(R"(,"prompt_eval_count":)" + std::to_string(prompt_eval_count) +
                R"(,"prompt_eval_duration":0)");
  }
  if (eval_count >= 0) {
    out->append(R"(,"eval_count":)" + std::to_string(eval_count) + R"(,"eval_duration":0)");
  }
  out->append("}\n");
}

void OllamaEncoder::AppendError(std::string_view message, std::string* out) {
  out->append(R"({"error":)");
  AppendJsonString(message, out);
  out->append("}\n");
}

namespace {

class OllamaStreamEncoder final : public StreamEncoder {
 public:
  explicit OllamaStreamEncoder(const EncoderInit& init)
      : lines_(init.model, init.created_unix_seconds) {}

  const char* content_type() const override { return "application/x-ndjson"; }
  void AppendStart(std::string*) override {}
  void AppendTokens(std::string_view reasoning, std::string_view content,
                    std::string* out) override {
    lines_.AppendMessage(reasoning, content, out);
  }
  void AppendEnd(const StreamEnd& end, std::string* out) override {
    const char* reason = end.finish == FinishReason::kLength  ? "length"
                         : end.finish == FinishReason::kOther ? "unload"
                                                              : "stop";
    lines_.AppendDone(reason, end.usage.prompt_tokens, end.usage.completion_tokens, out);
  }
  void AppendError(std::string_view message, std::string* out) override {
    OllamaEncoder::AppendError(message, out);
  }

 private:
  const OllamaEncoder lines_;
};

}  // namespace

std::unique_ptr<StreamEncoder> NewOllamaStreamEncoder(const EncoderInit& init) {
  return std::make_unique<OllamaStreamEncoder>(init);
}

}  // namespace llmprobe
