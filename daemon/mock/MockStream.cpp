#include "mock/MockStream.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

namespace llmprobe {
namespace {

using Json = nlohmann::ordered_json;  // keeps OpenAI's key order in non-streamed bodies

bool IsChat(const MockRequest& r) { return r.endpoint == MockEndpoint::kChat; }

ApiKind ApiOf(const MockRequest& r) {
  return IsChat(r) ? ApiKind::kOpenAiChat : ApiKind::kOpenAiCompletions;
}

Json Usage(const MockRequest& r, int64_t completion_tokens) {
  return Json{{"prompt_tokens", r.prompt_tokens},
              {"completion_tokens", completion_tokens},
              {"total_tokens", r.prompt_tokens + completion_tokens}};
}

Json Envelope(const MockRequest& r, const std::string& id, int64_t created, const char* object) {
  return Json{{"id", id}, {"object", object}, {"created", created}, {"model", r.model}};
}

// Concatenated text of tokens [first, end).
std::string TokenRange(int64_t first, int64_t end) {
  std::string text;
  for (int64_t k = first; k < end; ++k) text += MockTokenText(k);
  return text;
}

}  // namespace

std::string MockTokenText(int64_t k) { return "tok" + std::to_string(k) + " "; }

MockStream::MockStream(MockRequest request, const MockOptions& options, std::string id,
                       int64_t created)
    : request_(std::move(request)),
      role_chunk_(IsChat(request_) && options.role_chunk),
      reasoning_tokens_(IsChat(request_) ? std::max(0, options.reasoning_tokens) : 0),
      tokens_per_chunk_(std::max(1, options.tokens_per_chunk)),
      id_(std::move(id)),
      encoder_(ApiOf(request_), id_, request_.model, created),
      phase_(role_chunk_ ? Phase::kRole : Phase::kTokens) {}

bool MockStream::Next(MockStreamEvent* event) {
  const int64_t n = request_.max_tokens;
  event->text.clear();
  event->kind = MockStreamEvent::Kind::kTrailer;
  event->first_token = event->end_token = next_token_;
  event->last_tokens = false;
  switch (phase_) {
    case Phase::kRole:
      event->kind = MockStreamEvent::Kind::kRole;
      encoder_.AppendRole(&event->text);
      phase_ = Phase::kTokens;
      return true;
    case Phase::kTokens: {
      const int64_t first = next_token_;
      const int64_t end = std::min(n, first + tokens_per_chunk_);
      event->kind = MockStreamEvent::Kind::kTokens;
      event->first_token = first;
      event->end_token = end;
      event->last_tokens = end >= n;
      event->text = TokenChunk(first, end);
      next_token_ = end;
      if (end >= n) phase_ = request_.include_usage ? Phase::kUsage : Phase::kDone;
      return true;
    }
    case Phase::kUsage: {
      TokenUsage usage;
      usage.prompt_tokens = request_.prompt_tokens;
      usage.completion_tokens = n;
      encoder_.AppendUsage(usage, &event->text);
      phase_ = Phase::kDone;
      return true;
    }
    case Phase::kDone:
      OpenAiChunkEncoder::AppendDone(&event->text);
      phase_ = Phase::kEnd;
      return true;
    case Phase::kEnd:
      break;
  }
  return false;
}

std::string MockStream::TokenChunk(int64_t first, int64_t end) const {
  // Tokens below reasoning_tokens go to the reasoning channel, the rest to content.
  const int64_t split = std::clamp<int64_t>(reasoning_tokens_, first, end);
  const bool last = end >= request_.max_tokens;
  TokenUsage usage;  // continuous_usage_stats: cumulative usage on every chunk (vLLM)
  usage.prompt_tokens = request_.prompt_tokens;
  usage.completion_tokens = end;
  std::string out;
  encoder_.AppendTokenChunk(TokenRange(first, split), TokenRange(split, end),
                            last ? FinishReason::kLength : FinishReason::kNone,
                            request_.continuous_usage ? &usage : nullptr, &out);
  return out;
}

std::string MockCompletionBody(const MockRequest& request, const MockOptions& options,
                               const std::string& id, int64_t created) {
  const int64_t n = request.max_tokens;
  Json choice{{"index", 0}};
  Json body;
  if (IsChat(request)) {
    body = Envelope(request, id, created, "chat.completion");
    const int64_t split = std::clamp<int64_t>(options.reasoning_tokens, 0, n);
    Json message{{"role", "assistant"}};
    message["content"] = split < n ? Json(TokenRange(split, n)) : Json(nullptr);
    if (split > 0) message["reasoning_content"] = TokenRange(0, split);
    choice["message"] = std::move(message);
  } else {
    body = Envelope(request, id, created, "text_completion");
    choice["text"] = TokenRange(0, n);
  }
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = "length";
  body["choices"] = Json::array({std::move(choice)});
  body["usage"] = Usage(request, n);
  return body.dump();
}

}  // namespace llmprobe
