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

int64_t MockTokenDueNs(const MockOptions& options, int64_t k) {
  return options.ttft_ns + k * options.tpot_ns;
}

MockStream::MockStream(MockRequest request, const MockOptions& options, std::string id,
                       int64_t created)
    : request_(std::move(request)),
      options_(options),
      id_(std::move(id)),
      created_(created),
      encoder_(ApiOf(request_), id_, request_.model, created),
      phase_(IsChat(request_) && options.role_chunk ? Phase::kRole : Phase::kTokens) {
  options_.tokens_per_chunk = std::max(1, options_.tokens_per_chunk);
  options_.reasoning_tokens = IsChat(request_) ? std::max(0, options_.reasoning_tokens) : 0;
}

bool MockStream::Next(MockStreamEvent* event) {
  const int64_t n = request_.max_tokens;
  event->text.clear();
  switch (phase_) {
    case Phase::kRole:
      event->due_ns = 0;
      encoder_.AppendRole(&event->text);
      phase_ = Phase::kTokens;
      return true;
    case Phase::kTokens: {
      const int64_t first = next_token_;
      const int64_t end = std::min(n, first + options_.tokens_per_chunk);
      event->due_ns = MockTokenDueNs(options_, end - 1);
      event->text = TokenChunk(first, end);
      next_token_ = end;
      if (end >= n) phase_ = request_.include_usage ? Phase::kUsage : Phase::kDone;
      return true;
    }
    case Phase::kUsage: {
      TokenUsage usage;
      usage.prompt_tokens = request_.prompt_tokens;
      usage.completion_tokens = n;
      event->due_ns = MockTokenDueNs(options_, n - 1);
      encoder_.AppendUsage(usage, &event->text);
      phase_ = Phase::kDone;
      return true;
    }
    case Phase::kDone:
      event->due_ns = MockTokenDueNs(options_, n - 1);
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
  const int64_t split = std::clamp<int64_t>(options_.reasoning_tokens, first, end);
  const bool last = end >= request_.max_tokens;
  const bool mixed = split > first && split < end;
  if (last || mixed || request_.continuous_usage) return ExtendedTokenChunk(first, split, end);
  std::string out;
  if (split == end) {
    encoder_.AppendReasoning(TokenRange(first, end), &out);
  } else {
    encoder_.AppendContent(TokenRange(first, end), &out);
  }
  return out;
}

std::string MockStream::ExtendedTokenChunk(int64_t first, int64_t split, int64_t end) const {
  const bool chat = IsChat(request_);
  std::string out = R"(data: {"id":)";
  AppendJsonString(id_, &out);
  out += chat ? R"(,"object":"chat.completion.chunk")" : R"(,"object":"text_completion")";
  out += R"(,"created":)" + std::to_string(created_) + R"(,"model":)";
  AppendJsonString(request_.model, &out);
  if (chat) {
    out += R"(,"choices":[{"index":0,"delta":{)";
    if (split > first) {
      out += R"("reasoning_content":)";
      AppendJsonString(TokenRange(first, split), &out);
    }
    if (end > split) {
      out += split > first ? R"(,"content":)" : R"("content":)";
      AppendJsonString(TokenRange(split, end), &out);
    }
    out += '}';
  } else {
    out += R"(,"choices":[{"text":)";
    AppendJsonString(TokenRange(first, end), &out);
    out += R"(,"index":0)";
  }
  out += R"(,"logprobs":null,"finish_reason":)";
  out += end >= request_.max_tokens ? R"("length"}])" : "null}]";
  if (request_.continuous_usage) {
    out += R"(,"usage":)" + Usage(request_, end).dump();
  }
  out += "}\n\n";
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
