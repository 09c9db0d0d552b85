// The registry of dialects by ApiKind: a new dialect adds one case here.
#include "config/Config.h"
#include "protocol/Dialect.h"
#include "protocol/OpenAiDialect.h"

namespace llmprobe {

const Dialect& DialectFor(ApiKind kind) {
  // Never destroyed: callers may hold the reference during static destruction.
  static const Dialect* const kChat = new OpenAiDialect(ApiKind::kOpenAiChat);
  static const Dialect* const kCompletions = new OpenAiDialect(ApiKind::kOpenAiCompletions);
  switch (kind) {
    case ApiKind::kOpenAiChat:
      return *kChat;
    case ApiKind::kOpenAiCompletions:
      return *kCompletions;
  }
  return *kChat;  // unreachable for valid enum values
}

}  // namespace llmprobe
