// The mock's whole-body replies in the dialect of each route: the JSON of a non-streamed
// response and of an error, and response ids. Pure functions: no sockets, no clocks; safe from
// any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mock/MockOptions.h"
#include "mock/MockRequest.h"

namespace llmprobe {

// The id of the n-th response of `endpoint`: "chatcmpl-mock-<n>", "cmpl-mock-<n>",
// "resp_mock_<n>", "msg_mock_<n>", else "mock-<n>" (tgi and ollama send none).
std::string MockResponseId(MockEndpoint endpoint, int64_t n);

// The JSON body of a non-streamed response with the full text (MockTokenRange(0, max_tokens),
// the first options.reasoning_tokens tokens on the reasoning channel where there is one) and
// usage, stopped by the token limit: chat.completion / text_completion (finish_reason "length"),
// a Responses `response` (status "incomplete", reason "max_output_tokens"), an Anthropic
// `message` (stop_reason "max_tokens"), TGI's /generate answer (finish_reason "length") or
// Ollama's final chat object (done_reason "length"). `created` is Unix seconds.
std::string MockCompletionBody(const MockRequest& request, const MockOptions& options,
                               const std::string& id, int64_t created);

// The JSON body of an error response in the endpoint's dialect, for HTTP `status`:
// openai-* {"error":{"message","type","param":null,"code":null}} (type invalid_request_error
// below 500, else server_error), anthropic {"type":"error","error":{"type","message"}}
// (invalid_request_error, api_error, overloaded_error for 503), tgi {"error","error_type"}
// (validation below 500, else generation) and ollama {"error"}.
std::string MockErrorBody(MockEndpoint endpoint, int status, std::string_view message);

}  // namespace llmprobe
