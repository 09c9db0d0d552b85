#include "mock/MockReplies.h"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <utility>

#include "mock/MockStream.h"  // MockTokenRange

namespace llmprobe {
namespace {

using Json = nlohmann::ordered_json;  // keeps each API's documented key order

Json Envelope(const MockRequest& r, const std::string& id, int64_t created, const char* object) {
  return Json{{"id", id}, {"object", object}, {"created", created}, {"model", r.model}};
}

std::string Rfc3339Utc(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Json OpenAiBody(const MockRequest& request, int64_t split, const std::string& id, int64_t created) {
  const int64_t n = request.max_tokens;
  Json choice{{"index", 0}};
  Json body;
  if (request.endpoint == MockEndpoint::kChat) {
    body = Envelope(request, id, created, "chat.completion");
    Json message{{"role", "assistant"}};
    message["content"] = split < n ? Json(MockTokenRange(split, n)) : Json(nullptr);
    if (split > 0) message["reasoning_content"] = MockTokenRange(0, split);
    choice["message"] = std::move(message);
  } else {
    body = Envelope(request, id, created, "text_completion");
    choice["text"] = MockTokenRange(0, n);
  }
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = "length";
  body["choices"] = Json::array({std::move(choice)});
  body["usage"] = Json{{"prompt_tokens", request.prompt_tokens},
                       {"completion_tokens", n},
                       {"total_tokens", request.prompt_tokens + n}};
  return body;
}

Json ResponsesBody(const MockRequest& request, int64_t split, const std::string& id,
                   int64_t created) {
  const int64_t n = request.max_tokens;
  Json output = Json::array();
  if (split > 0) {
    output.push_back(Json{{"id", "rs_" + id + "_0"},
                          {"type", "reasoning"},
                          {"summary", Json::array()},
                          {"content", Json::array({Json{{"type", "reasoning_text"},
                                                        {"text", MockTokenRange(0, split)}}})}});
  }
  if (split < n) {
    Json part{{"type", "output_text"},
              {"text", MockTokenRange(split, n)},
              {"annotations", Json::array()}};
    output.push_back(Json{{"id", "msg_" + id + "_" + std::to_string(output.size())},
                          {"type", "message"},
                          {"status", "incomplete"},
                          {"role", "assistant"},
                          {"content", Json::array({std::move(part)})}});
  }
  return Json{{"id", id},
              {"object", "response"},
              {"created_at", created},
              {"status", "incomplete"},
              {"incomplete_details", {{"reason", "max_output_tokens"}}},
              {"error", nullptr},
              {"model", request.model},
              {"output", std::move(output)},
              {"usage",
               {{"input_tokens", request.prompt_tokens},
                {"output_tokens", n},
                {"total_tokens", request.prompt_tokens + n}}}};
}

Json AnthropicBody(const MockRequest& request, int64_t split, const std::string& id) {
  const int64_t n = request.max_tokens;
  Json content = Json::array();
  if (split > 0) {
    content.push_back(Json{{"type", "thinking"},
                           {"thinking", MockTokenRange(0, split)},
                           {"signature", "bW9jay1zaWduYXR1cmU="}});
  }
  if (split < n) content.push_back(Json{{"type", "text"}, {"text", MockTokenRange(split, n)}});
  return Json{{"id", id},
              {"type", "message"},
              {"role", "assistant"},
              {"model", request.model},
              {"content", std::move(content)},
              {"stop_reason", "max_tokens"},
              {"stop_sequence", nullptr},
              {"usage", {{"input_tokens", request.prompt_tokens}, {"output_tokens", n}}}};
}

Json TgiBody(const MockRequest& request) {
  // TGI has no reasoning channel: the raw output is the text.
  return Json{{"generated_text", MockTokenRange(0, request.max_tokens)},
              {"details",
               {{"finish_reason", "length"},
                {"generated_tokens", request.max_tokens},
                {"seed", nullptr},
                {"input_length", request.prompt_tokens}}}};
}

Json OllamaBody(const MockRequest& request, int64_t split, int64_t created) {
  const int64_t n = request.max_tokens;
  Json message{{"role", "assistant"}, {"content", MockTokenRange(split, n)}};
  if (split > 0) message["thinking"] = MockTokenRange(0, split);
  return Json{{"model", request.model},
              {"created_at", Rfc3339Utc(created)},
              {"message", std::move(message)},
              {"done_reason", "length"},
              {"done", true},
              {"total_duration", 0},
              {"load_duration", 0},
              {"prompt_eval_count", request.prompt_tokens},
              {"prompt_eval_duration", 0},
              {"eval_count", n},
              {"eval_duration", 0}};
}

}  // namespace

std::string MockResponseId(MockEndpoint endpoint, int64_t n) {
  const char* prefix = "mock-";
  switch (endpoint) {
    case MockEndpoint::kChat:
      prefix = "chatcmpl-mock-";
      break;
    case MockEndpoint::kCompletions:
      prefix = "cmpl-mock-";
      break;
    case MockEndpoint::kResponses:
      prefix = "resp_mock_";
      break;
    case MockEndpoint::kMessages:
      prefix = "msg_mock_";
      break;
    case MockEndpoint::kGenerateStream:
    case MockEndpoint::kOllamaChat:
      break;
  }
  return prefix + std::to_string(n);
}

std::string MockCompletionBody(const MockRequest& request, const MockOptions& options,
                               const std::string& id, int64_t created) {
  // The first reasoning_tokens tokens are reasoning where the dialect has the channel.
  const int64_t split = std::clamp<int64_t>(options.reasoning_tokens, 0, request.max_tokens);
  switch (request.endpoint) {
    case MockEndpoint::kChat:
    case MockEndpoint::kCompletions:
      return OpenAiBody(request, split, id, created).dump();
    case MockEndpoint::kResponses:
      return ResponsesBody(request, split, id, created).dump();
    case MockEndpoint::kMessages:
      return AnthropicBody(request, split, id).dump();
    case MockEndpoint::kGenerateStream:
      return TgiBody(request).dump();
    case MockEndpoint::kOllamaChat:
      return OllamaBody(request, split, created).dump();
  }
  return "{}";
}

std::string MockErrorBody(MockEndpoint endpoint, int status, std::string_view message) {
  const bool server = status >= 500;
  switch (endpoint) {
    case MockEndpoint::kChat:
    case MockEndpoint::kCompletions:
    case MockEndpoint::kResponses:
      break;
    case MockEndpoint::kMessages: {
      const char* type = status == 503 ? "overloaded_error"
                         : server      ? "api_error"
                                       : "invalid_request_error";
      return Json{{"type", "error"}, {"error", {{"type", type}, {"message", message}}}}.dump();
    }
    case MockEndpoint::kGenerateStream:
      return Json{{"error", message}, {"error_type", server ? "generation" : "validation"}}.dump();
    case MockEndpoint::kOllamaChat:
      return Json{{"error", message}}.dump();
  }
  Json error{{"message", message},
             {"type", server ? "server_error" : "invalid_request_error"},
             {"param", nullptr},
             {"code", nullptr}};
  return Json{{"error", std::move(error)}}.dump();
}

}  // namespace llmprobe
