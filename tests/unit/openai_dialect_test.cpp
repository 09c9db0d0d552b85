// The OpenAI dialects: request bodies, and the stream decoder on recorded streams (whole, split
// at every byte, one byte at a time) and on single chunks of every kind.
#include "protocol/OpenAiDialect.h"

#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "dialect_test_support.h"
#include "protocol/Dialect.h"

namespace llmprobe {
namespace {

using namespace dialect_test;  // NOLINT(build/namespaces)

std::string Chat(std::string_view json) {
  return One(ApiKind::kOpenAiChat, "data: " + std::string(json) + "\n\n");
}

constexpr ApiKind kChat = ApiKind::kOpenAiChat;
constexpr ApiKind kCompletions = ApiKind::kOpenAiCompletions;

struct ApiFixtureCase {
  const char* file;
  ApiKind api;
  std::vector<std::string> expected;
};

const std::vector<ApiFixtureCase> kFixtureCases = {
    {"openai_chat.sse",
     kChat,
     {"none", "content", "content", "content", "content", "content", "content", "content",
      "finish=stop", "usage=14/7/0", "done"}},
    {"openai_completions.sse",
     kCompletions,
     {"content", "content", "content", "content", "content", "finish=length", "usage=5/5/-1",
      "done"}},
    {"vllm_reasoning.sse",
     kChat,
     {"none", "reasoning", "reasoning", "reasoning", "reasoning", "reasoning", "reasoning",
      "content", "content", "content+finish=stop", "usage=18/9/-1", "done"}},
    {"openai_tool_calls.sse",
     kChat,
     {"tool", "tool", "tool", "tool", "tool", "tool", "tool", "finish=tool_calls", "usage=81/15/64",
      "done"}},
    {"openai_error_midstream.sse",
     kChat,
     {"none", "content",
      "error=The server had an error while processing your request. Sorry about that!"}},
    {"sse_error_event.sse", kChat, {"content", "error=upstream request timed out"}},
    {"crlf_keepalive.sse",
     kChat,
     {"none", "content", "content", "content", "finish=length", "usage=12/3/-1", "done"}},
};

TEST_CASE("openai dialect: each recorded stream decodes to the expected events") {
  for (const ApiFixtureCase& c : kFixtureCases) {
    CAPTURE(c.file);
    const Decoded d = DecodeWhole(c.api, ReadFixture(c.file));
    CHECK_MESSAGE(d.ok, d.error.detail);
    CHECK(Join(d.events) == Join(c.expected));
  }
}

TEST_CASE("openai dialect: recorded streams decode the same under every split") {
  for (const ApiFixtureCase& c : kFixtureCases) {
    CAPTURE(c.file);
    const std::string body = ReadFixture(c.file);
    const std::string whole = Join(DecodeWhole(c.api, body).events);
    for (size_t i = 0; i <= body.size(); ++i) {
      const std::string_view b = body;
      const Decoded d = Decode(c.api, {b.substr(0, i), b.substr(i)});
      if (!d.ok || Join(d.events) != whole) {
        FAIL_CHECK("split at " << i << ": " << d.error.detail << "\n" << Join(d.events));
        break;
      }
    }
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < body.size(); ++i) bytes.push_back(std::string_view(body).substr(i, 1));
    const Decoded d = Decode(c.api, bytes);
    CHECK(d.ok);
    CHECK(Join(d.events) == whole);
  }
}

TEST_CASE("openai dialect: chat deltas and which of them carry a token") {
  CHECK(Chat(R"({"choices":[{"index":0,"delta":{"role":"assistant"}}]})") == "none");
  CHECK(Chat(R"({"choices":[{"delta":{"role":"assistant","content":""}}]})") == "none");
  CHECK(Chat(R"({"choices":[{"delta":{"content":null}}]})") == "none");
  CHECK(Chat(R"({"choices":[{"delta":{"content":"x"}}]})") == "content");
  CHECK(Chat(R"({"choices":[{"delta":{"content":"\n"}}]})") == "content");
  CHECK(Chat(R"({"choices":[{"delta":{"reasoning_content":"hm"}}]})") == "reasoning");
  CHECK(Chat(R"({"choices":[{"delta":{"reasoning":"hm"}}]})") == "reasoning");
  CHECK(Chat(R"({"choices":[{"delta":{"reasoning_content":"","content":""}}]})") == "none");
  CHECK(Chat(R"({"choices":[{"delta":{"reasoning":"a","content":"b"}}]})") == "content+reasoning");
  CHECK(Chat(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function",)"
             R"("function":{"name":"","arguments":""}}]}}]})") == "none");
  CHECK(Chat(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"f"}}]}}]})") ==
        "tool");
  CHECK(Chat(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":""}},)"
             R"({"index":1,"function":{"arguments":"{"}}]}}]})") == "tool");
  CHECK(Chat(R"({"choices":[{"delta":{"tool_calls":null}}]})") == "none");
  CHECK(Chat(R"({"choices":[{"delta":{"function_call":{"arguments":"{}"}}}]})") == "tool");
  CHECK(Chat(R"({"choices":[{"delta":null}]})") == "none");
  CHECK(Chat(R"({"choices":[{"delta":{"refusal":null,"x":{"y":[1,{"z":2}]}}}]})") == "none");
  // Only the first choice is read.
  CHECK(Chat(R"({"choices":[{"delta":{}},{"delta":{"content":"x"}}]})") == "none");
  // The chat decoder reads `delta`, not the completions `text`.
  CHECK(Chat(R"({"choices":[{"text":"x"}]})") == "none");
}

TEST_CASE("openai dialect: completions text") {
  auto completions = [](std::string_view json) {
    return One(kCompletions, "data: " + std::string(json) + "\n\n");
  };
  CHECK(completions(R"({"choices":[{"text":"Hi","index":0,"finish_reason":null}]})") == "content");
  CHECK(completions(R"({"choices":[{"text":"","index":0,"finish_reason":"stop"}]})") ==
        "finish=stop");
  CHECK(completions(R"({"choices":[{"delta":{"content":"x"}}]})") == "none");
}

TEST_CASE("openai dialect: finish reasons") {
  auto finish = [](std::string_view reason) {
    return Chat(R"({"choices":[{"delta":{},"finish_reason":)" + std::string(reason) + "}]}");
  };
  CHECK(finish("null") == "none");
  CHECK(finish(R"("stop")") == "finish=stop");
  CHECK(finish(R"("length")") == "finish=length");
  CHECK(finish(R"("tool_calls")") == "finish=tool_calls");
  CHECK(finish(R"("function_call")") == "finish=tool_calls");
  CHECK(finish(R"("content_filter")") == "finish=content_filter");
  CHECK(finish(R"("abort")") == "finish=other");
  CHECK(finish(R"("stopped")") == "finish=other");
}

TEST_CASE("openai dialect: usage") {
  CHECK(
      Chat(
          R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}})") ==
      "usage=3/4/-1");
  CHECK(Chat(R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,)"
             R"("prompt_tokens_details":{"cached_tokens":2,"audio_tokens":0}}})") == "usage=3/4/2");
  CHECK(Chat(R"({"choices":[],"usage":{"prompt_tokens":3,"prompt_tokens_details":null}})") ==
        "usage=3/-1/-1");
  CHECK(Chat(R"({"choices":[{"delta":{"content":"x"}}],"usage":null})") == "content");
  CHECK(Chat(R"({"choices":null,"usage":{"prompt_tokens":1,"completion_tokens":2}})") ==
        "usage=1/2/-1");
  CHECK(Chat(R"({"usage":{"prompt_tokens":1,"completion_tokens":2}})") == "usage=1/2/-1");
  // Per-chunk usage (vLLM continuous_usage_stats) rides on token chunks.
  CHECK(Chat(R"({"choices":[{"delta":{"content":"x"}}],"usage":{"prompt_tokens":9,)"
             R"("completion_tokens":1}})") == "content+usage=9/1/-1");
}

TEST_CASE("openai dialect: [DONE], keep-alives and the absence of a final blank line") {
  CHECK(One(kChat, "data: [DONE]\n\n") == "done");
  CHECK(One(kChat, "data:[DONE]\r\n\r\n") == "done");
  CHECK(One(kCompletions, ": ping\n\ndata: [DONE]") == "done");
  CHECK(DecodeWhole(kChat, "data:\n\ndata:  \n\n: keep-alive\n\n").events.empty());
}

TEST_CASE("openai dialect: errors sent in the stream") {
  CHECK(Chat(R"({"error":{"message":"Rate limit","type":"requests","param":null,"code":null}})") ==
        "error=Rate limit");
  CHECK(Chat(R"({"error":{"type":"server_error"}})") == "error=server_error");
  CHECK(Chat(R"({"error":{}})") == "error=error object without a message");
  CHECK(Chat(R"({"error":"Input validation error"})") == "error=Input validation error");
  CHECK(Chat(R"({"choices":[{"delta":{"content":"x"}}],"error":null})") == "content");
  // vLLM before 0.6 sent a bare ErrorResponse.
  CHECK(Chat(R"({"object":"error","message":"max_tokens too large","type":"BadRequestError",)"
             R"("param":null,"code":400})") == "error=max_tokens too large");
  CHECK(Chat(R"({"message":"not an error by itself"})") == "none");
  // An SSE `event: error`, whatever its data.
  CHECK(One(kChat, "event: error\ndata: overloaded, try later\n\n") ==
        "error=overloaded, try later");
  CHECK(One(kChat, "event: error\ndata: {\"error\":{\"message\":\"boom\"}}\n\n") == "error=boom");
  CHECK(One(kChat, "event: error\ndata: {\"code\":503}\n\n") == "error={\"code\":503}");
  CHECK(One(kChat, "event: error\ndata:\n\n") == "error=SSE error event");
  CHECK(One(kChat, "event: error\ndata: {broken\n\n") == "error={broken");
}

TEST_CASE("openai dialect: error messages are truncated to 256 bytes on a UTF-8 boundary") {
  const std::string ascii(300, 'a');
  CHECK(Chat(R"({"error":{"message":")" + ascii + "\"}}") == "error=" + ascii.substr(0, 256));
  std::string accents;
  for (int i = 0; i < 200; ++i) accents += "\xC3\xA9";  // U+00E9, 2 bytes each
  const Decoded d = DecodeWhole(kChat, "data: {\"error\":{\"message\":\"" + accents + "\"}}\n\n");
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0] == "error=" + accents.substr(0, 256));
  // A cut inside a 3-byte sequence backs up to its start: 85 * 3 = 255 bytes.
  std::string euros;
  for (int i = 0; i < 100; ++i) euros += "\xE2\x82\xAC";
  CHECK(Chat(R"({"error":{"message":")" + euros + "\"}}") == "error=" + euros.substr(0, 255));
}

Decoded Fails(ApiKind api, std::string_view body) {
  Decoded d = DecodeWhole(api, body);
  CHECK_FALSE(d.ok);
  CHECK(d.error.detail.size() <= 400);
  return d;
}

TEST_CASE("openai dialect: malformed JSON") {
  const std::vector<std::string> bad = {
      R"({"choices":[{"delta":{"content":"hi"}})",  // truncated
      R"({"choices":[]}})",                         // trailing brace
      R"({"choices":[],})",                         // trailing comma
      R"({"choices" []})",                          // missing colon
      R"({"a":"unterminated})",
      "hello",
      R"([1,2])",
      R"("a string")",
  };
  for (const std::string& json : bad) {
    CAPTURE(json);
    const Decoded d = Fails(kChat, "data: " + json + "\n\n");
    CHECK(d.error.kind == DecodeError::Kind::kMalformedJson);
    CHECK(d.error.detail.find("malformed JSON") != std::string::npos);
    CHECK(d.error.detail.find(json) != std::string::npos);  // short payloads are quoted whole
  }
  // Long payloads: at most 128 bytes of them appear in the detail.
  const std::string garbage(10000, 'g');
  const Decoded d = Fails(kChat, "data: " + garbage + "\n\n");
  CHECK(d.error.detail.find(std::string(128, 'g')) != std::string::npos);
  CHECK(d.error.detail.find(std::string(129, 'g')) == std::string::npos);
}

TEST_CASE("openai dialect: unexpected types of known fields") {
  auto shape = [](std::string_view json) {
    const Decoded d = Fails(kChat, "data: " + std::string(json) + "\n\n");
    CHECK(d.error.kind == DecodeError::Kind::kUnexpectedShape);
    return d.error.detail;
  };
  CHECK(shape(R"({"choices":[{"delta":{"content":5}}]})").find("delta.content") !=
        std::string::npos);
  CHECK(shape(R"({"choices":{}})").find("choices") != std::string::npos);
  CHECK(shape(R"({"choices":[{"finish_reason":1}]})").find("finish_reason") != std::string::npos);
  CHECK(shape(R"({"usage":{"prompt_tokens":"3"}})").find("usage") != std::string::npos);
  CHECK(shape(R"({"usage":{"prompt_tokens":3.5}})").find("usage") != std::string::npos);
}

TEST_CASE("openai dialect: a failed decoder keeps its events and stays failed") {
  const std::unique_ptr<StreamDecoder> decoder = DialectFor(kChat).NewDecoder();
  std::vector<StreamEvent> events;
  DecodeError error{DecodeError::Kind::kLineTooLong, ""};
  CHECK_FALSE(
      decoder->Feed("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
                    "data: nope\n\ndata: [DONE]\n\n",
                    &events, &error));
  REQUIRE(events.size() == 1);
  CHECK(events[0].content);
  CHECK(error.kind == DecodeError::Kind::kMalformedJson);
  DecodeError again{DecodeError::Kind::kLineTooLong, ""};
  CHECK_FALSE(decoder->Feed("data: [DONE]\n\n", &events, &again));
  CHECK_FALSE(decoder->Finish(&events, &again));
  CHECK(again.detail == error.detail);
  CHECK(events.size() == 1);
}

TEST_CASE("openai dialect: an SSE line over 1 MiB is kLineTooLong") {
  const std::unique_ptr<StreamDecoder> decoder = DialectFor(kChat).NewDecoder();
  std::vector<StreamEvent> events;
  DecodeError error{DecodeError::Kind::kMalformedJson, ""};
  const std::string big = "data: \"" + std::string(1 << 20, 'x');
  CHECK_FALSE(decoder->Feed(big, &events, &error));
  CHECK(error.kind == DecodeError::Kind::kLineTooLong);
  CHECK(error.detail == "SSE line longer than 1048576 bytes");
}

TargetConfig MakeTarget(ApiKind api) {
  TargetConfig t;
  t.name = "t1";
  t.api = api;
  t.url = "http://127.0.0.1:8000/v1/chat/completions?x=1";
  t.url_parts = {"http", "127.0.0.1", 8000, "/v1/chat/completions?x=1"};
  t.model = "meta-llama/Llama-3.1-8B-Instruct";
  t.workload.max_tokens = 128;
  return t;
}

std::string Header(const HttpRequestSpec& spec, std::string_view name) {
  std::string found;
  int count = 0;
  for (const auto& [n, v] : spec.headers) {
    if (n == name) {
      found = v;
      ++count;
    }
  }
  CHECK(count <= 1);
  return found;
}

TEST_CASE("openai dialect: chat request") {
  const TargetConfig target = MakeTarget(kChat);
  const std::string prompt = "nonce-42 Say \"hi\"\nin \xC3\xA9 Unicode\t.";
  const HttpRequestSpec spec = DialectFor(kChat).BuildRequest({&target, prompt, ""});
  CHECK(spec.method == "POST");
  CHECK(spec.path == "/v1/chat/completions?x=1");
  REQUIRE(spec.headers.size() == 2);
  CHECK(Header(spec, "Content-Type") == "application/json");
  CHECK(Header(spec, "Accept") == "text/event-stream");

  const nlohmann::json body = nlohmann::json::parse(spec.body);
  CHECK(body.size() == 6);
  CHECK(body.at("model") == "meta-llama/Llama-3.1-8B-Instruct");
  REQUIRE(body.at("messages").size() == 1);
  CHECK(body.at("messages")[0].size() == 2);
  CHECK(body.at("messages")[0].at("role") == "user");
  CHECK(body.at("messages")[0].at("content") == prompt);
  CHECK(body.at("stream") == true);
  CHECK(body.at("stream_options") == nlohmann::json{{"include_usage", true}});
  CHECK(body.at("max_tokens") == 128);
  CHECK(body.at("max_completion_tokens") == 128);
  CHECK_FALSE(body.contains("ignore_eos"));
  CHECK_FALSE(body.contains("prompt"));
}

TEST_CASE("openai dialect: completions request") {
  TargetConfig target = MakeTarget(kCompletions);
  target.url_parts.path = "/v1/completions";
  target.workload.ignore_eos = true;
  target.workload.max_tokens = 7;
  const HttpRequestSpec spec = DialectFor(kCompletions).BuildRequest({&target, "Once upon", ""});
  CHECK(spec.path == "/v1/completions");
  const nlohmann::json body = nlohmann::json::parse(spec.body);
  CHECK(body.size() == 6);
  CHECK(body.at("model") == target.model);
  CHECK(body.at("prompt") == "Once upon");
  CHECK(body.at("stream") == true);
  CHECK(body.at("stream_options").at("include_usage") == true);
  CHECK(body.at("max_tokens") == 7);
  CHECK(body.at("ignore_eos") == true);
  CHECK_FALSE(body.contains("messages"));
  CHECK_FALSE(body.contains("max_completion_tokens"));
}

TEST_CASE("openai dialect: request headers, auth and ignore_eos") {
  TargetConfig target = MakeTarget(kChat);
  target.workload.ignore_eos = true;
  target.headers = {{"accept", "text/event-stream; charset=utf-8"}, {"X-Team", "infra"}};
  const HttpRequestSpec spec = DialectFor(kChat).BuildRequest({&target, "p", "s3cr3t"});
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"Content-Type", "application/json"},
      {"Accept", "text/event-stream; charset=utf-8"},  // replaced in place, name kept
      {"X-Team", "infra"},
      {"Authorization", "Bearer s3cr3t"},
  };
  CHECK(spec.headers == expected);
  CHECK(nlohmann::json::parse(spec.body).at("ignore_eos") == true);

  // The token replaces a configured Authorization header.
  target.headers = {{"authorization", "Basic x"}};
  const HttpRequestSpec with_token = DialectFor(kChat).BuildRequest({&target, "p", "tok"});
  REQUIRE(with_token.headers.size() == 3);
  CHECK(with_token.headers[2].second == "Bearer tok");
}

TEST_CASE("openai dialect: invalid UTF-8 in the prompt does not throw") {
  const TargetConfig target = MakeTarget(kChat);
  const HttpRequestSpec spec = DialectFor(kChat).BuildRequest({&target, "bad \xFF byte", ""});
  CHECK(nlohmann::json::parse(spec.body).at("messages")[0].at("content") ==
        "bad \xEF\xBF\xBD byte");
}

TEST_CASE("openai dialect: DialectFor returns one object per kind") {
  CHECK(&DialectFor(kChat) == &DialectFor(kChat));
  CHECK(&DialectFor(kChat) != &DialectFor(kCompletions));
}

}  // namespace
}  // namespace llmprobe
