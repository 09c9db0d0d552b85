#include "mock/MockRequest.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace llmprobe {
namespace {

using nlohmann::json;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Counts the prompt tokens of one chat message `content` (string, null or array of parts).
Result<int64_t> CountContent(const json& content) {
  if (content.is_null()) return int64_t{0};
  if (content.is_string()) return MockCountPromptTokens(content.get_ref<const std::string&>());
  if (!content.is_array()) {
    return Status::Error("'content' must be a string or an array of content parts");
  }
  int64_t total = 0;
  for (const json& part : content) {
    if (!part.is_object()) return Status::Error("each content part must be an object");
    auto type = part.find("type");
    auto text = part.find("text");
    if (type != part.end() && *type == "text" && text != part.end() && text->is_string()) {
      total += MockCountPromptTokens(text->get_ref<const std::string&>());
    }
  }
  return total;
}

Result<int64_t> CountMessages(const json& body) {
  auto messages = body.find("messages");
  if (messages == body.end() || messages->is_null()) {
    return Status::Error("'messages' is a required property");
  }
  if (!messages->is_array() || messages->empty()) {
    return Status::Error("'messages' must be a non-empty array");
  }
  int64_t total = 0;
  for (const json& message : *messages) {
    if (!message.is_object()) return Status::Error("each message must be an object");
    auto content = message.find("content");
    if (content == message.end()) continue;
    Result<int64_t> n = CountContent(*content);
    if (!n.ok()) return n.status();
    total += n.value();
  }
  return total;
}

Result<int64_t> CountPrompt(const json& body) {
  auto prompt = body.find("prompt");
  if (prompt == body.end() || prompt->is_null()) {
    return Status::Error("'prompt' is a required property");
  }
  if (prompt->is_string()) return MockCountPromptTokens(prompt->get_ref<const std::string&>());
  if (!prompt->is_array()) {
    return Status::Error("'prompt' must be a string, an array of strings or an array of tokens");
  }
  int64_t total = 0;
  for (const json& item : *prompt) {
    if (item.is_string()) {
      total += MockCountPromptTokens(item.get_ref<const std::string&>());
    } else if (item.is_number_integer()) {
      ++total;
    } else if (item.is_array()) {
      total += static_cast<int64_t>(item.size());
    } else {
      return Status::Error("'prompt' must be a string, an array of strings or an array of tokens");
    }
  }
  return total;
}

// Reads an optional boolean member; null counts as absent.
Result<bool> OptionalBool(const json& object, const char* key, const char* where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return false;
  if (!it->is_boolean()) return Status::Error(std::string("'") + where + "' must be a boolean");
  return it->get<bool>();
}

// max_tokens, else max_completion_tokens, else the default; capped.
Result<int64_t> MaxTokens(const json& body, int default_max_tokens) {
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_number_integer() || it->get<int64_t>() < 1) {
      return Status::Error(std::string("'") + key + "' must be an integer of at least 1");
    }
    return std::min(it->get<int64_t>(), kMockMaxTokensCap);
  }
  return std::clamp<int64_t>(default_max_tokens, 1, kMockMaxTokensCap);
}

}  // namespace

int64_t MockCountPromptTokens(std::string_view text) {
  int64_t words = 0;
  bool in_word = false;
  for (char c : text) {
    if (IsSpace(c)) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++words;
    }
  }
  return words;
}

Result<MockRequest> ParseMockRequest(MockEndpoint endpoint, std::string_view body,
                                     int default_max_tokens) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status::Error("We could not parse the JSON body of your request: invalid JSON");
  }
  if (!j.is_object()) return Status::Error("The request body must be a JSON object");

  MockRequest request;
  request.endpoint = endpoint;
  auto model = j.find("model");
  if (model == j.end() || !model->is_string() || model->get_ref<const std::string&>().empty()) {
    return Status::Error("you must provide a model parameter");
  }
  request.model = model->get<std::string>();

  Result<int64_t> prompt = endpoint == MockEndpoint::kChat ? CountMessages(j) : CountPrompt(j);
  if (!prompt.ok()) return prompt.status();
  request.prompt_tokens = prompt.value();

  Result<int64_t> max_tokens = MaxTokens(j, default_max_tokens);
  if (!max_tokens.ok()) return max_tokens.status();
  request.max_tokens = max_tokens.value();

  Result<bool> stream = OptionalBool(j, "stream", "stream");
  if (!stream.ok()) return stream.status();
  request.stream = stream.value();

  auto options = j.find("stream_options");
  if (options != j.end() && !options->is_null()) {
    if (!options->is_object()) return Status::Error("'stream_options' must be an object");
    Result<bool> include = OptionalBool(*options, "include_usage", "stream_options.include_usage");
    if (!include.ok()) return include.status();
    Result<bool> continuous =
        OptionalBool(*options, "continuous_usage_stats", "stream_options.continuous_usage_stats");
    if (!continuous.ok()) return continuous.status();
    request.include_usage = include.value();
    request.continuous_usage = continuous.value();
  }
  return request;
}

}  // namespace llmprobe
