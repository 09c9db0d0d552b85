#include "mock/MockEncoder.h"

#include <utility>

#include "protocol/Dialect.h"
#include "protocol/OpenAiEncoding.h"

namespace llmprobe {
namespace {

// openai-chat and openai-completions as vLLM streams them (see the header).
class OpenAiMockEncoder final : public MockEncoder {
 public:
  OpenAiMockEncoder(const MockRequest& request, const MockOptions& options, std::string_view id,
                    int64_t created)
      : chunks_(MockEndpointApi(request.endpoint), id, request.model, created),
        role_chunk_(request.endpoint == MockEndpoint::kChat && options.role_chunk),
        continuous_usage_(request.continuous_usage),
        usage_pending_(request.include_usage),
        prompt_tokens_(request.prompt_tokens),
        max_tokens_(request.max_tokens) {}

  const char* content_type() const override { return "text/event-stream"; }

  void AppendStart(std::string* out) override {
    if (role_chunk_) chunks_.AppendRole(out);
  }

  void AppendChunk(const MockChunk& chunk, std::string* out) override {
    TokenUsage usage;  // continuous_usage_stats: cumulative usage on every chunk (vLLM)
    usage.prompt_tokens = prompt_tokens_;
    usage.completion_tokens = chunk.end_token;
    chunks_.AppendTokenChunk(chunk.reasoning, chunk.content,
                             chunk.last ? FinishReason::kLength : FinishReason::kNone,
                             continuous_usage_ ? &usage : nullptr, out);
  }

  bool NextTrailer(std::string* out) override {
    if (usage_pending_) {
      usage_pending_ = false;
      TokenUsage usage;
      usage.prompt_tokens = prompt_tokens_;
      usage.completion_tokens = max_tokens_;
      chunks_.AppendUsage(usage, out);
      return true;
    }
    if (done_pending_) {
      done_pending_ = false;
      OpenAiChunkEncoder::AppendDone(out);
      return true;
    }
    return false;
  }

 private:
  const OpenAiChunkEncoder chunks_;
  const bool role_chunk_;
  const bool continuous_usage_;
  bool usage_pending_;  // stream_options.include_usage, not yet sent
  bool done_pending_ = true;
  const int64_t prompt_tokens_;
  const int64_t max_tokens_;
};

// Any other dialect: its own StreamEncoder.
class DialectMockEncoder final : public MockEncoder {
 public:
  DialectMockEncoder(const MockRequest& request, std::string_view id, int64_t created)
      : encoder_(DialectFor(MockEndpointApi(request.endpoint))
                     .NewEncoder(EncoderInit{std::string(id), request.model, created,
                                             request.prompt_tokens})) {
    end_.finish = FinishReason::kLength;  // exactly max_tokens are generated
    end_.usage.prompt_tokens = request.prompt_tokens;
    end_.usage.completion_tokens = request.max_tokens;
  }

  const char* content_type() const override { return encoder_->content_type(); }
  void AppendStart(std::string* out) override { encoder_->AppendStart(out); }
  void AppendChunk(const MockChunk& chunk, std::string* out) override {
    if (chunk.last) {
      encoder_->AppendLastTokens(chunk.reasoning, chunk.content, end_, out);
    } else {
      encoder_->AppendTokens(chunk.reasoning, chunk.content, out);
    }
  }
  bool NextTrailer(std::string*) override { return false; }

 private:
  std::unique_ptr<StreamEncoder> encoder_;
  StreamEnd end_;
};

}  // namespace

std::unique_ptr<MockEncoder> NewMockEncoder(const MockRequest& request, const MockOptions& options,
                                            std::string_view id, int64_t created) {
  switch (request.endpoint) {
    case MockEndpoint::kChat:
    case MockEndpoint::kCompletions:
      return std::make_unique<OpenAiMockEncoder>(request, options, id, created);
    case MockEndpoint::kResponses:
    case MockEndpoint::kMessages:
    case MockEndpoint::kGenerateStream:
    case MockEndpoint::kOllamaChat:
      break;
  }
  return std::make_unique<DialectMockEncoder>(request, id, created);
}

}  // namespace llmprobe
