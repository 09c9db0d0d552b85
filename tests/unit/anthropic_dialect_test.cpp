// The anthropic-messages dialect: recorded-stream fixtures (whole and under every split),
// single events of every kind, the request, and the encoder round trip.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dialect_test_support.h"
#include "protocol/AnthropicDialect.h"
#include "protocol/AnthropicEncoding.h"

namespace llmprobe {
namespace {

using namespace dialect_test;  // NOLINT(build/namespaces)

constexpr ApiKind kAnthropic = ApiKind::kAnthropicMessages;

std::string Ev(const std::string& json) {
  const std::string type = nlohmann::json::parse(json).value("type", "");
  return One(kAnthropic, "event: " + type + "\ndata: " + json + "\n\n");
}

TEST_CASE("anthropic dialect: recorded streams decode exactly, under every split") {
  CheckFixtures(
      kAnthropic,
      {
          {"anthropic_text.sse",
           {"usage=25/-1/-1", "none", "none", "content", "content", "content", "content", "none",
            "usage=-1/15/-1+finish=stop", "done"}},
          {"anthropic_thinking.sse",
           {"usage=423/-1/0", "none", "none", "reasoning", "reasoning", "reasoning", "reasoning",
            "none", "none", "none", "content", "content", "none", "usage=-1/87/-1+finish=stop",
            "done"}},
          {"anthropic_tool_use.sse",
           {"usage=472/-1/-1", "none", "content", "none", "none", "tool", "none", "tool", "tool",
            "tool", "tool", "none", "usage=-1/89/-1+finish=tool_calls", "done"}},
          {"anthropic_error.sse", {"usage=12/-1/-1", "none", "content", "error=Overloaded"}},
          {"anthropic_max_tokens_cached.sse",
           {"usage=2069/-1/2048", "none", "none", "content", "content", "content", "none",
            "usage=2069/4/2048+finish=length", "done"}},
      });
}

TEST_CASE("anthropic dialect: content block deltas and which of them carry a token") {
  CHECK(
      Ev(R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}})") ==
      "content");
  CHECK(Ev(R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""}})") ==
        "none");
  // Thinking moves time-to-first-token, never time-to-first-content.
  CHECK(Ev(R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta",)"
           R"("thinking":"Let me"}})") == "reasoning");
  CHECK(Ev(R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta",)"
           R"("signature":"EqQBCgIYAhIM"}})") == "none");
  CHECK(Ev(R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta",)"
           R"("partial_json":"{\"loc"}})") == "tool");
  CHECK(Ev(R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta",)"
           R"("partial_json":""}})") == "none");
  CHECK(Ev(R"({"type":"content_block_delta","index":0,"delta":{"type":"citations_delta",)"
           R"("citation":{"type":"char_location","cited_text":"x"}}})") == "none");
  CHECK(
      Ev(R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})") ==
      "none");
  CHECK(Ev(R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking",)"
           R"("thinking":"","signature":""}})") == "none");
  CHECK(Ev(R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use",)"
           R"("id":"toolu_1","name":"get_weather","input":{}}})") == "tool");
  CHECK(Ev(R"({"type":"content_block_start","index":0,"content_block":)"
           R"({"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"}})") == "reasoning");
  CHECK(Ev(R"({"type":"content_block_stop","index":0})") == "none");
  CHECK(Ev(R"({"type":"ping"})") == "none");
  CHECK(Ev(R"({"type":"some_future_event","delta":{}})") == "none");
  // The SSE event name is used when the JSON has no type.
  CHECK(One(kAnthropic, "event: message_stop\ndata: {}\n\n") == "done");
}

TEST_CASE("anthropic dialect: usage, stop reasons and the end of the message") {
  // message_start: output_tokens is a placeholder; cached input is added back to the prompt.
  CHECK(
      Ev(R"({"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":10,)"
         R"("cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":1}}})") ==
      "usage=115/-1/100");
  CHECK(
      Ev(R"({"type":"message_start","message":{"usage":{"input_tokens":3,"output_tokens":2}}})") ==
      "usage=3/-1/-1");
  CHECK(Ev(R"({"type":"message_start","message":{"usage":{"input_tokens":3,)"
           R"("cache_creation_input_tokens":null,"cache_read_input_tokens":null}}})") ==
        "usage=3/-1/-1");
  auto stop = [](const std::string& reason) {
    return Ev(R"({"type":"message_delta","delta":{"stop_reason":)" + reason +
              R"(,"stop_sequence":null},"usage":{"output_tokens":9}})");
  };
  CHECK(stop(R"("end_turn")") == "usage=-1/9/-1+finish=stop");
  CHECK(stop(R"("stop_sequence")") == "usage=-1/9/-1+finish=stop");
  CHECK(stop(R"("max_tokens")") == "usage=-1/9/-1+finish=length");
  CHECK(stop(R"("tool_use")") == "usage=-1/9/-1+finish=tool_calls");
  CHECK(stop(R"("refusal")") == "usage=-1/9/-1+finish=content_filter");
  CHECK(stop(R"("pause_turn")") == "usage=-1/9/-1+finish=other");
  CHECK(stop("null") == "usage=-1/9/-1");
  CHECK(Ev(R"({"type":"message_stop"})") == "done");
}

TEST_CASE("anthropic dialect: errors") {
  CHECK(Ev(R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})") ==
        "error=Overloaded");
  CHECK(Ev(R"({"type":"error","error":{"type":"api_error"}})") == "error=api_error");
  CHECK(Ev(R"({"type":"error"})") == "error=error event");
  CHECK(One(kAnthropic, "event: error\ndata: upstream connect error\n\n") ==
        "error=upstream connect error");
  CHECK(One(kAnthropic, "data: {\"error\":\"proxy said no\"}\n\n") == "error=proxy said no");
}

TEST_CASE("anthropic dialect: malformed and mistyped events fail the stream") {
  const Decoded broken = DecodeWhole(kAnthropic, "event: ping\ndata: {\"type\": \"ping\"\n\n");
  CHECK_FALSE(broken.ok);
  CHECK(broken.error.kind == DecodeError::Kind::kMalformedJson);
  const Decoded shape = DecodeWhole(
      kAnthropic, "data: {\"type\":\"content_block_delta\",\"delta\":{\"text\":5}}\n\n");
  CHECK_FALSE(shape.ok);
  CHECK(shape.error.kind == DecodeError::Kind::kUnexpectedShape);
  CHECK(shape.error.detail.find("delta.text") != std::string::npos);
  const Decoded usage = DecodeWhole(
      kAnthropic, "data: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":1.5}}\n\n");
  CHECK_FALSE(usage.ok);
  CHECK(usage.error.kind == DecodeError::Kind::kUnexpectedShape);
}

TEST_CASE("anthropic dialect: request") {
  TargetConfig target = MakeTarget(kAnthropic, "/v1/messages");
  target.workload.max_tokens = 256;
  target.workload.ignore_eos = true;  // no Anthropic equivalent: not sent
  target.workload.min_tokens = 8;
  const HttpRequestSpec spec =
      DialectFor(kAnthropic).BuildRequest({&target, "Hello, Claude", "sk-ant-1"});
  CHECK(spec.path == "/v1/messages");
  const std::vector<std::pair<std::string, std::string>> expected_headers = {
      {"Content-Type", "application/json"},
      {"Accept", "text/event-stream"},
      {"anthropic-version", "2023-06-01"},
      {"x-api-key", "sk-ant-1"},
  };
  CHECK(spec.headers == expected_headers);
  const nlohmann::json body = nlohmann::json::parse(spec.body);
  CHECK(body.size() == 4);
  CHECK(body.at("model") == "test-model");
  CHECK(body.at("max_tokens") == 256);
  CHECK(body.at("messages") ==
        nlohmann::json::array({{{"role", "user"}, {"content", "Hello, Claude"}}}));
  CHECK(body.at("stream") == true);

  // A target header pins another API version; Bearer auth for gateways that want it.
  target.headers = {{"Anthropic-Version", "2024-01-01"}};
  target.auth.header = AuthHeader::kBearer;
  const HttpRequestSpec gateway = DialectFor(kAnthropic).BuildRequest({&target, "p", "tok"});
  CHECK(Header(gateway, "anthropic-version") == "2024-01-01");
  CHECK(Header(gateway, "Authorization") == "Bearer tok");
  CHECK(Header(gateway, "x-api-key").empty());

  // Extended thinking through extra_body.
  target.workload.extra_body = R"({"thinking":{"type":"enabled","budget_tokens":1024}})";
  const nlohmann::json thinking =
      nlohmann::json::parse(DialectFor(kAnthropic).BuildRequest({&target, "p", ""}).body);
  CHECK(thinking.at("thinking").at("budget_tokens") == 1024);
  CHECK(thinking.at("max_tokens") == 256);
}

TEST_CASE("anthropic dialect: encoder events decode to what was meant") {
  AnthropicEncoder enc("msg_1", "mock-model");
  std::string body;
  enc.AppendMessageStart(40, 32, &body);
  AnthropicEncoder::AppendPing(&body);
  enc.AppendThinkingDelta("hmm", &body);
  enc.AppendTextDelta("Hi \"there\"\n", &body);
  enc.AppendTextDelta(" again", &body);
  enc.AppendToolUse("toolu_1", "lookup", &body);
  enc.AppendInputJsonDelta("{\"q\":1}", &body);
  enc.AppendMessageDelta(AnthropicEncoder::StopReasonName(FinishReason::kToolCalls), 12, &body);
  AnthropicEncoder::AppendMessageStop(&body);
  const Decoded d = DecodeWhole(kAnthropic, body);
  REQUIRE(d.ok);
  // start, ping | block start, thinking, signature, stop | block start, text, text, stop |
  // tool start, json, stop | message_delta, message_stop
  CHECK(Join(d.events) == Join({"usage=72/-1/32", "none", "none", "reasoning", "none", "none",
                                "none", "content", "content", "none", "tool", "tool", "none",
                                "usage=-1/12/-1+finish=tool_calls", "done"}));
  CheckEverySplit(kAnthropic, body);
  // Every event name matches its JSON type.
  size_t pos = 0;
  int events = 0;
  while ((pos = body.find("event: ", pos)) != std::string::npos) {
    const size_t eol = body.find('\n', pos);
    const size_t end = body.find("\n\n", eol);
    const nlohmann::json data = nlohmann::json::parse(body.substr(eol + 7, end - eol - 7));
    CHECK(data.at("type") == body.substr(pos + 7, eol - pos - 7));
    ++events;
    pos = end;
  }
  CHECK(events == 15);

  std::string err;
  AnthropicEncoder::AppendError("overloaded_error", "Overloaded", &err);
  CHECK(One(kAnthropic, err) == "error=Overloaded");
  for (FinishReason f : {FinishReason::kStop, FinishReason::kLength, FinishReason::kToolCalls,
                         FinishReason::kContentFilter, FinishReason::kOther}) {
    std::string end;
    AnthropicEncoder("m", "x").AppendMessageDelta(AnthropicEncoder::StopReasonName(f), 1, &end);
    CHECK(One(kAnthropic, end) == std::string("usage=-1/1/-1+finish=") + FinishName(f));
  }
}

}  // namespace
}  // namespace llmprobe
