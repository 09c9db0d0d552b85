// The ollama dialect (/api/chat, NDJSON): the line splitter, recorded-stream fixtures (whole and
// under every split), single lines, the request, and the encoder round trip.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dialect_test_support.h"
#include "protocol/LineSplitter.h"
#include "protocol/OllamaEncoding.h"

namespace llmprobe {
namespace {

using namespace dialect_test;  // NOLINT(build/namespaces)

constexpr ApiKind kOllama = ApiKind::kOllama;

std::string Lines(const std::vector<std::string_view>& chunks, size_t max = 16,
                  bool* ok = nullptr) {
  LineSplitter splitter(max);
  std::string out;
  const LineSplitter::LineSink sink = [&out](std::string_view line) {
    out += "[" + std::string(line) + "]";
  };
  bool good = true;
  for (std::string_view c : chunks) {
    good = splitter.Feed(c, sink);
    if (!good) break;
  }
  if (good) good = splitter.Finish(sink);
  if (ok != nullptr) *ok = good;
  return out;
}

TEST_CASE("ndjson decoder: line splitting under every split") {
  const std::string input = "{\"a\":1}\n\n{\"b\":2}\r\nlast";
  const std::string whole = Lines({input});
  CHECK(whole == "[{\"a\":1}][][{\"b\":2}][last]");
  for (size_t i = 0; i <= input.size(); ++i) {
    const std::string_view v = input;
    CHECK(Lines({v.substr(0, i), v.substr(i)}) == whole);
  }
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < input.size(); ++i) bytes.push_back(std::string_view(input).substr(i, 1));
  CHECK(Lines(bytes) == whole);
  CHECK(Lines({"x\r"}) == "[x]");
  CHECK(Lines({""}).empty());
}

TEST_CASE("ndjson decoder: lines are bounded whatever the split") {
  bool ok = true;
  CHECK(Lines({std::string(16, 'a') + "\n"}, 16, &ok) == "[" + std::string(16, 'a') + "]");
  CHECK(ok);
  CHECK(Lines({std::string(16, 'a') + "\r\n"}, 16, &ok) == "[" + std::string(16, 'a') + "]");
  CHECK(ok);
  const std::string long_line = "ok\n" + std::string(17, 'b') + "\nnever\n";
  for (size_t i = 0; i <= long_line.size(); ++i) {
    const std::string_view v = long_line;
    CHECK(Lines({v.substr(0, i), v.substr(i)}, 16, &ok) == "[ok]");
    CHECK_FALSE(ok);
  }
  Lines({std::string(17, 'c')}, 16, &ok);  // unterminated at the end of the body
  CHECK_FALSE(ok);
  LineSplitter splitter(16);
  CHECK_FALSE(splitter.Feed(std::string(40, 'd'), [](std::string_view) {}));
  CHECK(splitter.error_message() == "NDJSON line longer than 16 bytes");
  CHECK_FALSE(splitter.Feed("\n", [](std::string_view) {}));
}

TEST_CASE("ollama dialect: recorded streams decode exactly, under every split") {
  CheckFixtures(
      kOllama,
      {
          {"ollama_chat.ndjson",
           {"content", "content", "content", "content", "content", "content", "content", "content",
            "content", "usage=26/9/-1+finish=stop+done"}},
          {"ollama_thinking.ndjson",
           {"reasoning", "reasoning", "reasoning", "reasoning", "reasoning", "content", "content",
            "content", "usage=12/8/-1+finish=stop+done"}},
          {"ollama_tool_call.ndjson", {"tool", "usage=217/27/-1+finish=stop+done"}},
          {"ollama_length_crlf.ndjson",
           {"content", "content", "content", "usage=9/3/-1+finish=length+done"}},
          {"ollama_error.ndjson",
           {"content", "error=an error was encountered while running the model: unexpected EOF"}},
      });
}

std::string Line(const std::string& json) { return One(kOllama, json + "\n"); }

TEST_CASE("ollama dialect: lines and which of them carry a token") {
  CHECK(Line(R"({"model":"m","message":{"role":"assistant","content":"Hi"},"done":false})") ==
        "content");
  CHECK(Line(R"({"message":{"role":"assistant","content":""},"done":false})") == "none");
  // Thinking moves time-to-first-token, never time-to-first-content.
  CHECK(Line(R"({"message":{"role":"assistant","content":"","thinking":"hmm"},"done":false})") ==
        "reasoning");
  CHECK(Line(R"({"message":{"content":"a","thinking":"b"},"done":false})") == "content+reasoning");
  CHECK(Line(R"({"message":{"content":"","tool_calls":[{"function":{"name":"f",)"
             R"("arguments":{}}}]},"done":false})") == "tool");
  CHECK(Line(R"({"message":{"content":"","tool_calls":null,"images":null},"done":false})") ==
        "none");
  CHECK(Line(R"({"message":{"content":""},"done":true})") == "done");
  CHECK(Line(R"({"message":{"content":""},"done":true,"done_reason":"load"})") ==
        "finish=other+done");
  // Ollama leaves prompt_eval_count out when the prompt came from its cache.
  CHECK(Line(R"({"done":true,"done_reason":"stop","eval_count":5})") ==
        "usage=-1/5/-1+finish=stop+done");
  // A done line that still carries text: the token first, then the end.
  CHECK(Join(DecodeWhole(kOllama, R"({"message":{"content":"."},"done":true,)"
                                  R"("done_reason":"stop","eval_count":2,"prompt_eval_count":3})")
                 .events) == "content\nusage=3/2/-1+finish=stop+done\n");
  CHECK(DecodeWhole(kOllama, "\n  \n\r\n").events.empty());
}

TEST_CASE("ollama dialect: errors") {
  CHECK(Line(R"({"error":"model 'llama9' not found"})") == "error=model 'llama9' not found");
  CHECK(Line(R"({"error":{"message":"proxy timeout"}})") == "error=proxy timeout");
  CHECK(Line(R"({"error":{}})") == "error=error object without a message");
  const Decoded sse = DecodeWhole(kOllama, "data: {\"done\":true}\n\n");
  CHECK_FALSE(sse.ok);  // SSE is not NDJSON
  CHECK(sse.error.kind == DecodeError::Kind::kMalformedJson);
  const Decoded shape = DecodeWhole(kOllama, "{\"done\":\"yes\"}\n");
  CHECK_FALSE(shape.ok);
  CHECK(shape.error.kind == DecodeError::Kind::kUnexpectedShape);
  const Decoded huge = DecodeWhole(kOllama, std::string((1 << 20) + 1, ' '));
  CHECK_FALSE(huge.ok);
  CHECK(huge.error.kind == DecodeError::Kind::kLineTooLong);
  CHECK(huge.error.detail == "NDJSON line longer than 1048576 bytes");
}

TEST_CASE("ollama dialect: request") {
  TargetConfig target = MakeTarget(kOllama, "/api/chat");
  target.workload.max_tokens = 42;
  const HttpRequestSpec no_auth =
      DialectFor(kOllama).BuildRequest({&target, "Why is the sky blue?", ""});
  const std::vector<std::pair<std::string, std::string>> expected_headers = {
      {"Content-Type", "application/json"},
      {"Accept", "application/x-ndjson"},
  };
  CHECK(no_auth.headers == expected_headers);
  CHECK(no_auth.path == "/api/chat");
  const nlohmann::json body = nlohmann::json::parse(no_auth.body);
  CHECK(body.size() == 4);
  CHECK(body.at("model") == "test-model");
  CHECK(body.at("messages") ==
        nlohmann::json::array({{{"role", "user"}, {"content", "Why is the sky blue?"}}}));
  CHECK(body.at("stream") == true);
  CHECK(body.at("options") == nlohmann::json{{"num_predict", 42}});
  const HttpRequestSpec with_auth = DialectFor(kOllama).BuildRequest({&target, "p", "olla"});
  CHECK(Header(with_auth, "Authorization") == "Bearer olla");

  target.workload.extra_body = R"({"think":true,"options":{"num_ctx":8192}})";
  const nlohmann::json merged =
      nlohmann::json::parse(DialectFor(kOllama).BuildRequest({&target, "p", ""}).body);
  CHECK(merged.at("think") == true);
  CHECK(merged.at("options") == nlohmann::json{{"num_predict", 42}, {"num_ctx", 8192}});
}

TEST_CASE("ollama dialect: encoder lines decode to what was meant") {
  const OllamaEncoder enc("llama3.2", 1700000000);
  std::string body;
  enc.AppendMessage("thinking...", "", &body);
  enc.AppendMessage("", "Hello \"you\"\n", &body);
  enc.AppendMessage("", "", &body);
  enc.AppendToolCall("get_weather", R"({"city":"Paris"})", &body);
  enc.AppendDone("length", 30, 3, &body);
  const Decoded d = DecodeWhole(kOllama, body);
  REQUIRE(d.ok);
  CHECK(Join(d.events) == "reasoning\ncontent\nnone\ntool\nusage=30/3/-1+finish=length+done\n");
  CheckEverySplit(kOllama, body);
  size_t lines = 0;
  size_t start = 0;
  for (size_t nl; (nl = body.find('\n', start)) != std::string::npos; start = nl + 1, ++lines) {
    const nlohmann::json j = nlohmann::json::parse(body.substr(start, nl - start));
    CHECK(j.at("model") == "llama3.2");
    CHECK(j.at("created_at") == "2023-11-14T22:13:20Z");
  }
  CHECK(lines == 5);
  CHECK(start == body.size());

  std::string counts_left_out;
  enc.AppendDone("stop", -1, -1, &counts_left_out);
  CHECK(One(kOllama, counts_left_out) == "finish=stop+done");
  std::string err;
  OllamaEncoder::AppendError("out of memory", &err);
  CHECK(One(kOllama, err) == "error=out of memory");
}

}  // namespace
}  // namespace llmprobe
