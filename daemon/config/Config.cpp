#include "config/Config.h"

#include <optional>
#include <string_view>
#include <vector>

namespace llmprobe {

const char* ApiKindName(ApiKind kind) {
  switch (kind) {
    case ApiKind::kOpenAiChat:
      return "openai-chat";
    case ApiKind::kOpenAiCompletions:
      return "openai-completions";
    case ApiKind::kOpenAiResponses:
      return "openai-responses";
    case ApiKind::kAnthropicMessages:
      return "anthropic-messages";
    case ApiKind::kTgi:
      return "tgi";
    case ApiKind::kOllama:
      return "ollama";
  }
  return "unknown";
}

std::vector<ApiKind> AllApiKinds() {
  return {ApiKind::kOpenAiChat,
          ApiKind::kOpenAiCompletions,
          ApiKind::kOpenAiResponses,
          ApiKind::kAnthropicMessages,
          ApiKind::kTgi,
          ApiKind::kOllama};
}

std::optional<ApiKind> ApiKindFromName(std::string_view name) {
  for (ApiKind kind : AllApiKinds()) {
    if (name == ApiKindName(kind)) return kind;
  }
  return std::nullopt;
}

const char* AuthHeaderName(AuthHeader header) {
  switch (header) {
    case AuthHeader::kDefault:
      return "default";
    case AuthHeader::kBearer:
      return "bearer";
    case AuthHeader::kApiKey:
      return "api-key";
    case AuthHeader::kXApiKey:
      return "x-api-key";
  }
  return "unknown";
}

std::optional<AuthHeader> AuthHeaderFromName(std::string_view name) {
  for (AuthHeader h :
       {AuthHeader::kDefault, AuthHeader::kBearer, AuthHeader::kApiKey, AuthHeader::kXApiKey}) {
    if (name == AuthHeaderName(h)) return h;
  }
  return std::nullopt;
}

// The three bucket lists are vLLM's (vllm/engine/metrics.py), so that client-side and
// server-side histograms of the same request can be compared bucket by bucket.

const std::vector<double>& DefaultTtftBuckets() {
  static const std::vector<double> kBuckets = {0.001, 0.005, 0.01, 0.02,  0.04,  0.06,  0.08, 0.1,
                                               0.25,  0.5,   0.75, 1.0,   2.5,   5.0,   7.5,  10.0,
                                               20.0,  40.0,  80.0, 160.0, 640.0, 2560.0};
  return kBuckets;
}

const std::vector<double>& DefaultTpotBuckets() {
  static const std::vector<double> kBuckets = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,
                                               0.3,  0.4,   0.5,  0.75,  1.0, 2.5,  5.0,
                                               7.5,  10.0,  20.0, 40.0,  80.0};
  return kBuckets;
}

const std::vector<double>& DefaultRequestDurationBuckets() {
  static const std::vector<double> kBuckets = {0.1,   0.25,  0.5,   1.0,    2.5,    5.0,   10.0,
                                               15.0,  20.0,  30.0,  40.0,   50.0,   60.0,  120.0,
                                               240.0, 480.0, 960.0, 1920.0, 3840.0, 7680.0};
  return kBuckets;
}

}  // namespace llmprobe
