// The registry of dialects by ApiKind: a new dialect adds one case here.
#include "config/Config.h"
#include "protocol/AnthropicDialect.h"
#include "protocol/Dialect.h"
#include "protocol/OllamaDialect.h"
#include "protocol/OpenAiDialect.h"
#include "protocol/OpenAiResponsesDialect.h"
#include "protocol/TgiDialect.h"

namespace llmprobe {

const Dialect& DialectFor(ApiKind kind) {
  // Never destroyed: callers may hold the reference during static destruction.
  static const Dialect* const kChat = new OpenAiDialect(ApiKind::kOpenAiChat);
  static const Dialect* const kCompletions = new OpenAiDialect(ApiKind::kOpenAiCompletions);
  static const Dialect* const kResponses = new OpenAiResponsesDialect();
  static const Dialect* const kAnthropic = new AnthropicDialect();
  static const Dialect* const kTgi = new TgiDialect();
  static const Dialect* const kOllama = new OllamaDialect();
  switch (kind) {
    case ApiKind::kOpenAiChat:
      return *kChat;
    case ApiKind::kOpenAiCompletions:
      return *kCompletions;
    case ApiKind::kOpenAiResponses:
      return *kResponses;
    case ApiKind::kAnthropicMessages:
      return *kAnthropic;
    case ApiKind::kTgi:
      return *kTgi;
    case ApiKind::kOllama:
      return *kOllama;
  }
  return *kChat;  // unreachable for valid enum values
}

}  // namespace llmprobe
