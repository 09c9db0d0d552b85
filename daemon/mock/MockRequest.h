// Parsing of one completion request as the mock server understands it, in every dialect it
// speaks, and the mock's prompt-token rule. Pure functions: no sockets, no clocks; safe from any
// thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/Status.h"
#include "config/Config.h"

namespace llmprobe {

// Largest number of output tokens the mock generates for one request.
constexpr int64_t kMockMaxTokensCap = 65536;

// The mock's completion routes, one per dialect (MockServer.h).
enum class MockEndpoint {
  kChat,            // POST /v1/chat/completions   openai-chat
  kCompletions,     // POST /v1/completions        openai-completions
  kResponses,       // POST /v1/responses          openai-responses
  kMessages,        // POST /v1/messages           anthropic-messages
  kGenerateStream,  // POST /generate_stream       tgi
  kOllamaChat,      // POST /api/chat              ollama
};

// The dialect an endpoint speaks.
ApiKind MockEndpointApi(MockEndpoint endpoint);

// What the mock needs from a request body.
struct MockRequest {
  MockEndpoint endpoint = MockEndpoint::kChat;
  std::string model;  // empty for tgi (the server serves one model: MockOptions::model)
  bool stream = false;
  bool include_usage = false;     // stream_options.include_usage: a final usage-only chunk
  bool continuous_usage = false;  // stream_options.continuous_usage_stats: usage on every chunk
  int64_t max_tokens = 0;         // tokens to generate, >= 1, capped at kMockMaxTokensCap
  int64_t prompt_tokens = 0;      // by MockCountPromptTokens over the prompt text
};

// Parses and validates a request body of `endpoint`. Errors carry a message for a 400 response
// (MockErrorBody in MockReplies.h puts it into the dialect's error shape). Per dialect:
//  - chat, completions: `model` required; max_tokens from `max_tokens`, else
//    `max_completion_tokens`, else default_max_tokens (a value present but not a positive
//    integer is an error); `stream` (default false); `stream_options.include_usage` and
//    `stream_options.continuous_usage_stats`.
//  - responses: `model` and `input` required; max_tokens from `max_output_tokens`, else the
//    default; `stream` (default false).
//  - messages (anthropic): `model`, `messages` and `max_tokens` required; `stream` (default
//    false).
//  - generate_stream (tgi): `inputs` required; max_tokens from `parameters.max_new_tokens`, else
//    the default; always streamed.
//  - api/chat (ollama): `model` and `messages` required; max_tokens from `options.num_predict`
//    (-1 and -2, Ollama's "no limit", mean the default), else the default; `stream` (default
//    true).
Result<MockRequest> ParseMockRequest(MockEndpoint endpoint, std::string_view body,
                                     int default_max_tokens);

// The mock's prompt-token rule: the number of whitespace-separated words (maximal runs of
// characters other than space, \t, \n, \v, \f, \r). Summed over the prompt text of the request:
//  - chat, ollama: every message's `content` (a string, or an array of parts of which
//    {"type":"text","text":...} parts count);
//  - completions: `prompt` (a string or an array of strings; an array of token ids counts one
//    token per id);
//  - responses: `instructions` and `input` (a string, or a list of message items whose
//    `content` is a string or an array of parts with a `text`);
//  - messages (anthropic): `system` (a string or an array of text blocks) and every message's
//    `content` (a string, or an array of blocks of which {"type":"text","text":...} count);
//  - generate_stream (tgi): `inputs`.
int64_t MockCountPromptTokens(std::string_view text);

}  // namespace llmprobe
