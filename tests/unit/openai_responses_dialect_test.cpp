// The openai-responses dialect: recorded-stream fixtures (whole and under every split), single
// events of every kind, the request body, and the encoder round trip.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dialect_test_support.h"
#include "protocol/OpenAiResponsesEncoding.h"

namespace llmprobe {
namespace {

using namespace dialect_test;  // NOLINT(build/namespaces)

constexpr ApiKind kResponses = ApiKind::kOpenAiResponses;

std::vector<std::string> Repeat(const std::string& s, int n) {
  return std::vector<std::string>(static_cast<size_t>(n), s);
}

std::vector<std::string> Concat(std::initializer_list<std::vector<std::string>> parts) {
  std::vector<std::string> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// One SSE event with the JSON's own type as the event name.
std::string Event(const std::string& json) {
  const std::string type = nlohmann::json::parse(json).value("type", "");
  return (type.empty() ? "" : "event: " + type + "\n") + "data: " + json + "\n\n";
}

std::string Ev(const std::string& json) { return One(kResponses, Event(json)); }

TEST_CASE("openai-responses dialect: recorded streams decode exactly, under every split") {
  CheckFixtures(
      kResponses,
      {
          {"openai_responses_text.sse", Concat({Repeat("none", 4),
                                                Repeat("content", 9),
                                                Repeat("none", 3),
                                                {"usage=37/11/0+finish=stop+done"}})},
          {"openai_responses_incomplete.sse", Concat({Repeat("none", 4),
                                                      Repeat("content", 4),
                                                      Repeat("none", 3),
                                                      {"usage=22/4/0+finish=length+done"}})},
          {"openai_responses_reasoning.sse", Concat({Repeat("none", 4),
                                                     Repeat("reasoning", 4),
                                                     Repeat("none", 5),
                                                     Repeat("content", 4),
                                                     Repeat("none", 3),
                                                     {"usage=18/212/0+finish=stop+done"}})},
          {"openai_responses_reasoning_text.sse", Concat({Repeat("none", 3),
                                                          Repeat("reasoning", 4),
                                                          Repeat("none", 4),
                                                          Repeat("content", 2),
                                                          Repeat("none", 2),
                                                          {"usage=68/12/64+finish=stop+done"}})},
          {"openai_responses_function_call.sse",
           Concat({Repeat("none", 2),
                   Repeat("tool", 7),
                   Repeat("none", 2),
                   {"usage=291/23/256+finish=tool_calls+done"}})},
          {"openai_responses_error.sse",
           Concat({Repeat("none", 4),
                   Repeat("content", 2),
                   {"error=The server had an error processing your request. Sorry about that!"}})},
          {"openai_responses_failed.sse",
           Concat({Repeat("none", 2), {"error=The model failed to generate a response."}})},
      });
}

TEST_CASE("openai-responses dialect: deltas and which of them carry a token") {
  CHECK(Ev(R"({"type":"response.output_text.delta","item_id":"m","output_index":0,)"
           R"("content_index":0,"delta":"Hi","logprobs":[],"sequence_number":4})") == "content");
  CHECK(Ev(R"({"type":"response.output_text.delta","delta":""})") == "none");
  CHECK(Ev(R"({"type":"response.output_text.delta","delta":null})") == "none");
  CHECK(Ev(R"({"type":"response.refusal.delta","delta":"I can't"})") == "content");
  // Reasoning moves time-to-first-token, never time-to-first-content.
  CHECK(Ev(R"({"type":"response.reasoning_text.delta","delta":"hm"})") == "reasoning");
  CHECK(Ev(R"({"type":"response.reasoning_summary_text.delta","delta":"**Plan**"})") ==
        "reasoning");
  CHECK(Ev(R"({"type":"response.function_call_arguments.delta","delta":"{\""})") == "tool");
  CHECK(Ev(R"({"type":"response.custom_tool_call_input.delta","delta":"x"})") == "tool");
  CHECK(Ev(R"({"type":"response.output_item.added","item":{"type":"function_call",)"
           R"("name":"get_weather","arguments":""}})") == "tool");
  CHECK(Ev(R"({"type":"response.output_item.added","item":{"type":"message","content":[]}})") ==
        "none");
  // A finished item repeats the name: not a new token.
  CHECK(Ev(R"({"type":"response.output_item.done","item":{"name":"get_weather"}})") == "none");
  CHECK(Ev(R"({"type":"response.output_text.done","text":"Hello"})") == "none");
  CHECK(Ev(R"({"type":"response.audio.delta","delta":"AAAA"})") == "none");
  // Deltas of other shapes belong to events this decoder does not read.
  CHECK(Ev(R"({"type":"response.something.delta","delta":{"a":1}})") == "none");
  // The SSE event name is used when the JSON has no type.
  CHECK(One(kResponses, "event: response.output_text.delta\ndata: {\"delta\":\"x\"}\n\n") ==
        "content");
  // The JSON type wins over the SSE name.
  CHECK(One(kResponses,
            "event: response.output_text.delta\n"
            "data: {\"type\":\"response.output_text.done\",\"delta\":\"x\"}\n\n") == "none");
  CHECK(DecodeWhole(kResponses, ": keep-alive\n\ndata:\n\n").events.empty());
}

TEST_CASE("openai-responses dialect: terminal events, usage and finish reasons") {
  CHECK(Ev(R"({"type":"response.completed","response":{"status":"completed","usage":)"
           R"({"input_tokens":5,"input_tokens_details":{"cached_tokens":2},"output_tokens":7,)"
           R"("output_tokens_details":{"reasoning_tokens":3},"total_tokens":12}}})") ==
        "usage=5/7/2+finish=stop+done");
  CHECK(Ev(R"({"type":"response.completed","response":{"usage":null}})") == "finish=stop+done");
  auto incomplete = [](const std::string& reason) {
    return Ev(R"({"type":"response.incomplete","response":{"incomplete_details":{"reason":")" +
              reason + R"("},"usage":{"input_tokens":1,"output_tokens":2}}})");
  };
  CHECK(incomplete("max_output_tokens") == "usage=1/2/-1+finish=length+done");
  CHECK(incomplete("content_filter") == "usage=1/2/-1+finish=content_filter+done");
  CHECK(incomplete("interrupted") == "usage=1/2/-1+finish=other+done");
  CHECK(Ev(R"({"type":"response.created","response":{"status":"in_progress","usage":null,)"
           R"("error":null,"incomplete_details":null}})") == "none");

  // After a function call, completion means the model asked for a tool.
  const std::string stream =
      Event(R"({"type":"response.function_call_arguments.delta","delta":"{}"})") +
      Event(R"({"type":"response.completed","response":{}})");
  CHECK(Join(DecodeWhole(kResponses, stream).events) == "tool\nfinish=tool_calls+done\n");
}

TEST_CASE("openai-responses dialect: errors") {
  CHECK(Ev(R"({"type":"error","code":"rate_limit_exceeded","message":"Slow down","param":null,)"
           R"("sequence_number":2})") == "error=Slow down");
  CHECK(Ev(R"({"type":"error","code":"ERR_SOMETHING","message":null})") == "error=ERR_SOMETHING");
  CHECK(Ev(R"({"type":"error"})") == "error=response failed");
  CHECK(Ev(R"({"type":"response.failed","response":{"status":"failed","error":)"
           R"({"code":"server_error","message":"boom"}}})") == "error=boom");
  CHECK(Ev(R"({"type":"response.failed","response":{"error":{"code":"rate_limit_exceeded"}}})") ==
        "error=rate_limit_exceeded");
  // A proxy's OpenAI-style error object, or a bare string.
  CHECK(One(kResponses, "data: {\"error\":{\"message\":\"upstream timeout\"}}\n\n") ==
        "error=upstream timeout");
  CHECK(One(kResponses, "data: {\"error\":\"bad gateway\"}\n\n") == "error=bad gateway");
  CHECK(One(kResponses, "event: error\ndata: overloaded\n\n") == "error=overloaded");
}

TEST_CASE("openai-responses dialect: malformed and mistyped events fail the stream") {
  const Decoded broken = DecodeWhole(kResponses, "data: {\"type\":\"response.completed\"\n\n");
  CHECK_FALSE(broken.ok);
  CHECK(broken.error.kind == DecodeError::Kind::kMalformedJson);
  const Decoded trailing = DecodeWhole(kResponses, "data: {\"type\":\"x\"} 1\n\n");
  CHECK_FALSE(trailing.ok);
  CHECK(trailing.error.kind == DecodeError::Kind::kMalformedJson);
  const Decoded shape =
      DecodeWhole(kResponses,
                  "data: {\"type\":\"response.completed\",\"response\":{\"usage\":"
                  "{\"output_tokens\":\"7\"}}}\n\n");
  CHECK_FALSE(shape.ok);
  CHECK(shape.error.kind == DecodeError::Kind::kUnexpectedShape);
  CHECK(shape.error.detail.find("usage") != std::string::npos);
  const Decoded type = DecodeWhole(kResponses, "data: {\"type\":5}\n\n");
  CHECK_FALSE(type.ok);
  CHECK(type.error.kind == DecodeError::Kind::kUnexpectedShape);
  // Events stay bounded (4 MiB lines: the terminal event repeats the whole output).
  const Decoded huge = DecodeWhole(kResponses, "data: \"" + std::string((4 << 20) + 1, 'x'));
  CHECK_FALSE(huge.ok);
  CHECK(huge.error.kind == DecodeError::Kind::kLineTooLong);
  std::string big_completed = R"({"type":"response.completed","response":{"output":[{"text":")";
  big_completed += std::string(2 << 20, 'y') + R"("}],"usage":{"output_tokens":9}}})";
  CHECK(One(kResponses, "data: " + big_completed + "\n\n") == "usage=-1/9/-1+finish=stop+done");
}

TEST_CASE("openai-responses dialect: request") {
  TargetConfig target = MakeTarget(kResponses, "/v1/responses");
  target.workload.max_tokens = 64;
  const HttpRequestSpec spec = DialectFor(kResponses).BuildRequest({&target, "Say hi", "sk-1"});
  CHECK(spec.method == "POST");
  CHECK(spec.path == "/v1/responses");
  const std::vector<std::pair<std::string, std::string>> expected_headers = {
      {"Content-Type", "application/json"},
      {"Accept", "text/event-stream"},
      {"Authorization", "Bearer sk-1"},
  };
  CHECK(spec.headers == expected_headers);
  const nlohmann::json body = nlohmann::json::parse(spec.body);
  CHECK(body.size() == 5);
  CHECK(body.at("model") == "test-model");
  CHECK(body.at("input") == "Say hi");
  CHECK(body.at("stream") == true);
  CHECK(body.at("store") == false);
  CHECK(body.at("max_output_tokens") == 64);

  target.workload.ignore_eos = true;
  target.workload.min_tokens = 32;
  const nlohmann::json extras =
      nlohmann::json::parse(DialectFor(kResponses).BuildRequest({&target, "p", ""}).body);
  CHECK(extras.at("ignore_eos") == true);
  CHECK(extras.at("min_tokens") == 32);
  CHECK_FALSE(extras.contains("max_tokens"));
}

TEST_CASE("openai-responses dialect: encoder events decode to what was meant") {
  OpenAiResponsesEncoder enc("resp_1", "mock-model", 1700000000);
  std::string body;
  enc.AppendCreated(&body);
  enc.AppendReasoningDelta("think", false, &body);
  enc.AppendReasoningDelta("more", true, &body);
  enc.AppendOutputTextDelta("Hello \"quoted\"\n", &body);
  enc.AppendOutputTextDelta("", &body);
  enc.AppendFunctionCall("call_1", "get_weather", &body);
  enc.AppendFunctionCallArgumentsDelta("{\"city\":", &body);
  enc.AppendCompleted(TokenUsage{10, 5, 4}, &body);
  const Decoded d = DecodeWhole(kResponses, body);
  REQUIRE(d.ok);
  // created, in_progress | item.added, reasoning, reasoning | item.done, item.added,
  // part.added, content, (empty) | item.done, function call, arguments | item.done, completed
  CHECK(Join(d.events) ==
        Join({"none", "none", "none", "reasoning", "reasoning", "none", "none", "none", "content",
              "none", "none", "tool", "tool", "none", "usage=10/5/4+finish=tool_calls+done"}));
  CheckEverySplit(kResponses, body);

  // Every data line is JSON whose type matches the event name, with increasing sequence numbers.
  size_t pos = 0;
  int64_t expected_seq = 0;
  while ((pos = body.find("event: ", pos)) != std::string::npos) {
    const size_t eol = body.find('\n', pos);
    const std::string name = body.substr(pos + 7, eol - pos - 7);
    REQUIRE(body.compare(eol + 1, 6, "data: ") == 0);
    const size_t end = body.find("\n\n", eol);
    const nlohmann::json data = nlohmann::json::parse(body.substr(eol + 7, end - eol - 7));
    CHECK(data.at("type") == name);
    CHECK(data.at("sequence_number") == expected_seq++);
    pos = end;
  }
  CHECK(expected_seq == 15);

  std::string tail;
  OpenAiResponsesEncoder enc2("resp_2", "m", 1);
  enc2.AppendOutputTextDelta("x", &tail);
  enc2.AppendIncomplete("max_output_tokens", TokenUsage{3, 1, -1}, &tail);
  enc2.AppendFailed("server_error", "it broke", &tail);
  enc2.AppendError("rate_limit_exceeded", "slow down", &tail);
  CHECK(Join(DecodeWhole(kResponses, tail).events) ==
        Join({"none", "none", "content", "none", "usage=3/1/-1+finish=length+done",
              "error=it broke", "error=slow down"}));
}

}  // namespace
}  // namespace llmprobe
