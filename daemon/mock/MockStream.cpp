#include "mock/MockStream.h"

#include <algorithm>
#include <utility>

namespace llmprobe {

std::string MockTokenText(int64_t k) { return "tok" + std::to_string(k) + " "; }

std::string MockTokenRange(int64_t first, int64_t end) {
  std::string text;
  for (int64_t k = first; k < end; ++k) text += MockTokenText(k);
  return text;
}

MockStream::MockStream(MockRequest request, const MockOptions& options,
                       std::unique_ptr<MockEncoder> encoder)
    : request_(std::move(request)),
      // openai-completions has no reasoning channel: its tokens are all content.
      reasoning_tokens_(request_.endpoint == MockEndpoint::kCompletions
                            ? 0
                            : std::max(0, options.reasoning_tokens)),
      tokens_per_chunk_(std::max(1, options.tokens_per_chunk)),
      encoder_(std::move(encoder)) {}

bool MockStream::Next(MockStreamEvent* event) {
  const int64_t n = request_.max_tokens;
  event->text.clear();
  event->kind = MockStreamEvent::Kind::kTrailer;
  event->first_token = event->end_token = next_token_;
  event->last_tokens = false;
  switch (phase_) {
    case Phase::kStart:
      phase_ = Phase::kTokens;
      encoder_->AppendStart(&event->text);
      if (!event->text.empty()) {
        event->kind = MockStreamEvent::Kind::kStart;
        return true;
      }
      [[fallthrough]];  // no start units
    case Phase::kTokens: {
      const int64_t first = next_token_;
      const int64_t end = std::min(n, first + tokens_per_chunk_);
      // Tokens below reasoning_tokens go to the reasoning channel, the rest to content.
      const int64_t split = std::clamp<int64_t>(reasoning_tokens_, first, end);
      const std::string reasoning = MockTokenRange(first, split);
      const std::string content = MockTokenRange(split, end);
      event->kind = MockStreamEvent::Kind::kTokens;
      event->first_token = first;
      event->end_token = end;
      event->last_tokens = end >= n;
      encoder_->AppendChunk(MockChunk{first, end, reasoning, content, end >= n}, &event->text);
      next_token_ = end;
      if (end >= n) phase_ = Phase::kTrailers;
      return true;
    }
    case Phase::kTrailers:
      if (encoder_->NextTrailer(&event->text)) return true;
      phase_ = Phase::kEnd;
      return false;
    case Phase::kEnd:
      break;
  }
  return false;
}

}  // namespace llmprobe
