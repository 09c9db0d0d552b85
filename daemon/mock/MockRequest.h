// Parsing of one OpenAI-style completion request as the mock server understands it, and the
// mock's prompt-token rule. Pure functions: no sockets, no clocks; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/Status.h"

namespace llmprobe {

// Largest number of output tokens the mock generates for one request.
constexpr int64_t kMockMaxTokensCap = 65536;

enum class MockEndpoint { kChat, kCompletions };  // /v1/chat/completions, /v1/completions

// What the mock needs from a request body.
struct MockRequest {
  MockEndpoint endpoint = MockEndpoint::kChat;
  std::string model;
  bool stream = false;
  bool include_usage = false;     // stream_options.include_usage: a final usage-only chunk
  bool continuous_usage = false;  // stream_options.continuous_usage_stats: usage on every chunk
  int64_t max_tokens = 0;         // tokens to generate, >= 1, capped at kMockMaxTokensCap
  int64_t prompt_tokens = 0;      // by MockCountPromptTokens over the prompt text
};

// Parses and validates a request body. max_tokens comes from `max_tokens`, else
// `max_completion_tokens`, else default_max_tokens; a value present but not a positive integer
// is an error. Errors carry an OpenAI-style message for a 400 response.
Result<MockRequest> ParseMockRequest(MockEndpoint endpoint, std::string_view body,
                                     int default_max_tokens);

// The mock's prompt-token rule: the number of whitespace-separated words (maximal runs of
// characters other than space, \t, \n, \v, \f, \r). Chat requests sum this over every message's
// `content` (a string, or an array of parts of which {"type":"text","text":...} parts count);
// completions requests over `prompt` (a string or an array of strings; an array of token ids
// counts one token per id).
int64_t MockCountPromptTokens(std::string_view text);

}  // namespace llmprobe
