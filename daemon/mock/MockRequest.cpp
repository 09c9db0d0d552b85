#include "mock/MockRequest.h"

#include <algorithm>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace llmprobe {
namespace {

using nlohmann::json;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Counts the prompt tokens of one message `content` (string, null or array of parts). Parts
// count when they have a string `text` and their `type` is one of `text_types`.
Result<int64_t> CountContent(const json& content,
                             std::initializer_list<std::string_view> text_types = {"text"}) {
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
    if (type == part.end() || !type->is_string() || text == part.end() || !text->is_string()) {
      continue;
    }
    const std::string& name = type->get_ref<const std::string&>();
    if (std::find(text_types.begin(), text_types.end(), name) != text_types.end()) {
      total += MockCountPromptTokens(text->get_ref<const std::string&>());
    }
  }
  return total;
}

// Sums CountContent over a non-empty array of message objects; `missing` is the error when
// `messages` is absent or null.
Result<int64_t> CountMessageList(const json& messages, const char* missing,
                                 std::initializer_list<std::string_view> text_types = {"text"}) {
  if (messages.is_null()) return Status::Error(missing);
  if (!messages.is_array() || messages.empty()) {
    return Status::Error("'messages' must be a non-empty array");
  }
  int64_t total = 0;
  for (const json& message : messages) {
    if (!message.is_object()) return Status::Error("each message must be an object");
    auto content = message.find("content");
    if (content == message.end()) continue;
    Result<int64_t> n = CountContent(*content, text_types);
    if (!n.ok()) return n.status();
    total += n.value();
  }
  return total;
}

// The member `key`, or null when absent.
const json& Member(const json& object, const char* key) {
  static const json kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

Result<int64_t> CountMessages(const json& body) {
  return CountMessageList(Member(body, "messages"), "'messages' is a required property");
}

Result<int64_t> CountPrompt(const json& body) {
  const json& prompt = Member(body, "prompt");
  if (prompt.is_null()) return Status::Error("'prompt' is a required property");
  if (prompt.is_string()) return MockCountPromptTokens(prompt.get_ref<const std::string&>());
  if (!prompt.is_array()) {
    return Status::Error("'prompt' must be a string, an array of strings or an array of tokens");
  }
  int64_t total = 0;
  for (const json& item : prompt) {
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

// Responses: `instructions` (optional string) and `input` (a string or a list of items; message
// items count their content, other items nothing).
Result<int64_t> CountResponsesInput(const json& body) {
  int64_t total = 0;
  const json& instructions = Member(body, "instructions");
  if (instructions.is_string()) {
    total += MockCountPromptTokens(instructions.get_ref<const std::string&>());
  } else if (!instructions.is_null()) {
    return Status::Error("'instructions' must be a string");
  }
  const json& input = Member(body, "input");
  if (input.is_null()) return Status::Error("Missing required parameter: 'input'.");
  if (input.is_string()) return total + MockCountPromptTokens(input.get_ref<const std::string&>());
  if (!input.is_array()) return Status::Error("'input' must be a string or an array of items");
  for (const json& item : input) {
    if (!item.is_object()) return Status::Error("each 'input' item must be an object");
    auto content = item.find("content");
    if (content == item.end()) continue;
    Result<int64_t> n = CountContent(*content, {"input_text", "output_text", "text"});
    if (!n.ok()) return n.status();
    total += n.value();
  }
  return total;
}

// Anthropic: `system` (a string or text blocks) and the messages' content.
Result<int64_t> CountAnthropicPrompt(const json& body) {
  Result<int64_t> system = CountContent(Member(body, "system"));
  if (!system.ok()) return Status::Error("system: must be a string or an array of text blocks");
  Result<int64_t> messages = CountMessageList(Member(body, "messages"), "messages: Field required");
  if (!messages.ok()) return messages.status();
  return system.value() + messages.value();
}

Result<int64_t> CountTgiInputs(const json& body) {
  const json& inputs = Member(body, "inputs");
  if (inputs.is_null()) return Status::Error("missing field `inputs`");
  if (!inputs.is_string()) return Status::Error("`inputs` must be a string");
  return MockCountPromptTokens(inputs.get_ref<const std::string&>());
}

Result<int64_t> CountOllamaMessages(const json& body) {
  return CountMessageList(Member(body, "messages"), "messages is required");
}

// Reads an optional boolean member; null counts as absent.
Result<bool> OptionalBool(const json& object, const char* key, const char* where, bool dflt) {
  const json& value = Member(object, key);
  if (value.is_null()) return dflt;
  if (!value.is_boolean()) return Status::Error(std::string("'") + where + "' must be a boolean");
  return value.get<bool>();
}

// The first of `keys` present in `object` (null counts as absent), which must be an integer of
// at least 1 (`where` names it in the message; `no_limit` values mean "absent"); else the
// default. Capped.
Result<int64_t> MaxTokens(const json& object, std::initializer_list<const char*> keys,
                          const char* where, int default_max_tokens, bool ollama_no_limit = false) {
  if (object.is_object()) {
    for (const char* key : keys) {
      const json& value = Member(object, key);
      if (value.is_null()) continue;
      if (ollama_no_limit && value.is_number_integer() &&
          (value.get<int64_t>() == -1 || value.get<int64_t>() == -2)) {
        break;
      }
      if (!value.is_number_integer() || value.get<int64_t>() < 1) {
        return Status::Error(std::string("'") + (where ? where : key) +
                             "' must be an integer of at least 1");
      }
      return std::min(value.get<int64_t>(), kMockMaxTokensCap);
    }
  }
  return std::clamp<int64_t>(default_max_tokens, 1, kMockMaxTokensCap);
}

// `model`: a non-empty string, else `missing`.
Result<std::string> Model(const json& body, const char* missing) {
  const json& model = Member(body, "model");
  if (!model.is_string() || model.get_ref<const std::string&>().empty()) {
    return Status::Error(missing);
  }
  return model.get<std::string>();
}

Status ParseOpenAi(const json& j, int default_max_tokens, MockRequest* request) {
  Result<std::string> model = Model(j, "you must provide a model parameter");
  if (!model.ok()) return model.status();
  request->model = std::move(model).value();

  Result<int64_t> prompt =
      request->endpoint == MockEndpoint::kChat ? CountMessages(j) : CountPrompt(j);
  if (!prompt.ok()) return prompt.status();
  request->prompt_tokens = prompt.value();

  Result<int64_t> max_tokens =
      MaxTokens(j, {"max_tokens", "max_completion_tokens"}, nullptr, default_max_tokens);
  if (!max_tokens.ok()) return max_tokens.status();
  request->max_tokens = max_tokens.value();

  Result<bool> stream = OptionalBool(j, "stream", "stream", false);
  if (!stream.ok()) return stream.status();
  request->stream = stream.value();

  const json& options = Member(j, "stream_options");
  if (!options.is_null()) {
    if (!options.is_object()) return Status::Error("'stream_options' must be an object");
    Result<bool> include =
        OptionalBool(options, "include_usage", "stream_options.include_usage", false);
    if (!include.ok()) return include.status();
    Result<bool> continuous = OptionalBool(options, "continuous_usage_stats",
                                           "stream_options.continuous_usage_stats", false);
    if (!continuous.ok()) return continuous.status();
    request->include_usage = include.value();
    request->continuous_usage = continuous.value();
  }
  return Status::Ok();
}

Status ParseResponses(const json& j, int default_max_tokens, MockRequest* request) {
  Result<std::string> model = Model(j, "Missing required parameter: 'model'.");
  if (!model.ok()) return model.status();
  request->model = std::move(model).value();
  Result<int64_t> prompt = CountResponsesInput(j);
  if (!prompt.ok()) return prompt.status();
  request->prompt_tokens = prompt.value();
  Result<int64_t> max_tokens = MaxTokens(j, {"max_output_tokens"}, nullptr, default_max_tokens);
  if (!max_tokens.ok()) return max_tokens.status();
  request->max_tokens = max_tokens.value();
  Result<bool> stream = OptionalBool(j, "stream", "stream", false);
  if (!stream.ok()) return stream.status();
  request->stream = stream.value();
  return Status::Ok();
}

Status ParseAnthropic(const json& j, MockRequest* request) {
  Result<std::string> model = Model(j, "model: Field required");
  if (!model.ok()) return model.status();
  request->model = std::move(model).value();
  Result<int64_t> prompt = CountAnthropicPrompt(j);
  if (!prompt.ok()) return prompt.status();
  request->prompt_tokens = prompt.value();
  // Anthropic has no default: max_tokens is required.
  if (Member(j, "max_tokens").is_null()) return Status::Error("max_tokens: Field required");
  Result<int64_t> max_tokens = MaxTokens(j, {"max_tokens"}, nullptr, 1);
  if (!max_tokens.ok()) return max_tokens.status();
  request->max_tokens = max_tokens.value();
  Result<bool> stream = OptionalBool(j, "stream", "stream", false);
  if (!stream.ok()) return stream.status();
  request->stream = stream.value();
  return Status::Ok();
}

Status ParseTgi(const json& j, int default_max_tokens, MockRequest* request) {
  Result<int64_t> prompt = CountTgiInputs(j);
  if (!prompt.ok()) return prompt.status();
  request->prompt_tokens = prompt.value();
  const json& parameters = Member(j, "parameters");
  if (!parameters.is_null() && !parameters.is_object()) {
    return Status::Error("`parameters` must be an object");
  }
  Result<int64_t> max_tokens =
      MaxTokens(parameters, {"max_new_tokens"}, "parameters.max_new_tokens", default_max_tokens);
  if (!max_tokens.ok()) return max_tokens.status();
  request->max_tokens = max_tokens.value();
  request->stream = true;  // /generate_stream streams whatever `stream` says
  return Status::Ok();
}

Status ParseOllama(const json& j, int default_max_tokens, MockRequest* request) {
  Result<std::string> model = Model(j, "model is required");
  if (!model.ok()) return model.status();
  request->model = std::move(model).value();
  Result<int64_t> prompt = CountOllamaMessages(j);
  if (!prompt.ok()) return prompt.status();
  request->prompt_tokens = prompt.value();
  const json& options = Member(j, "options");
  if (!options.is_null() && !options.is_object())
    return Status::Error("'options' must be an object");
  Result<int64_t> max_tokens = MaxTokens(options, {"num_predict"}, "options.num_predict",
                                         default_max_tokens, /*ollama_no_limit=*/true);
  if (!max_tokens.ok()) return max_tokens.status();
  request->max_tokens = max_tokens.value();
  Result<bool> stream = OptionalBool(j, "stream", "stream", true);
  if (!stream.ok()) return stream.status();
  request->stream = stream.value();
  return Status::Ok();
}

}  // namespace

ApiKind MockEndpointApi(MockEndpoint endpoint) {
  switch (endpoint) {
    case MockEndpoint::kChat:
      return ApiKind::kOpenAiChat;
    case MockEndpoint::kCompletions:
      return ApiKind::kOpenAiCompletions;
    case MockEndpoint::kResponses:
      return ApiKind::kOpenAiResponses;
    case MockEndpoint::kMessages:
      return ApiKind::kAnthropicMessages;
    case MockEndpoint::kGenerateStream:
      return ApiKind::kTgi;
    case MockEndpoint::kOllamaChat:
      return ApiKind::kOllama;
  }
  return ApiKind::kOpenAiChat;  // unreachable for valid enum values
}

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
  Status st;
  switch (endpoint) {
    case MockEndpoint::kChat:
    case MockEndpoint::kCompletions:
      st = ParseOpenAi(j, default_max_tokens, &request);
      break;
    case MockEndpoint::kResponses:
      st = ParseResponses(j, default_max_tokens, &request);
      break;
    case MockEndpoint::kMessages:
      st = ParseAnthropic(j, &request);
      break;
    case MockEndpoint::kGenerateStream:
      st = ParseTgi(j, default_max_tokens, &request);
      break;
    case MockEndpoint::kOllamaChat:
      st = ParseOllama(j, default_max_tokens, &request);
      break;
  }
  if (!st.ok()) return st;
  return request;
}

}  // namespace llmprobe
