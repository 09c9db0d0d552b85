// OpenAiChunkEncoder: the chunks are valid OpenAI-shaped JSON, and decoding what was encoded
// gives back exactly the events that were meant.
#include "protocol/OpenAiEncoding.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "protocol/Dialect.h"

namespace llmprobe {
namespace {

std::vector<StreamEvent> DecodeAll(ApiKind api, const std::string& body) {
  const std::unique_ptr<StreamDecoder> decoder = DialectFor(api).NewDecoder();
  std::vector<StreamEvent> events;
  DecodeError error{DecodeError::Kind::kMalformedJson, ""};
  const bool ok = decoder->Feed(body, &events, &error) && decoder->Finish(&events, &error);
  CHECK_MESSAGE(ok, error.detail);
  return events;
}

// The JSON payloads of the `data:` events of an encoded body (except [DONE]).
std::vector<nlohmann::json> Payloads(const std::string& body) {
  std::vector<nlohmann::json> out;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const size_t end = body.find("\n\n", pos);
    REQUIRE(end != std::string::npos);
    const std::string data = body.substr(pos + 6, end - pos - 6);
    if (data != "[DONE]") out.push_back(nlohmann::json::parse(data));
    pos = end + 2;
  }
  return out;
}

TEST_CASE("openai encoding: chat stream round trip") {
  const OpenAiChunkEncoder enc(ApiKind::kOpenAiChat, "chatcmpl-1", "mock-model", 1700000000);
  std::string body;
  enc.AppendRole(&body);
  enc.AppendReasoning("Let me think", &body);
  enc.AppendContent("Hello", &body);
  enc.AppendContent(" \"quoted\"\n\tnew\\line \x01 \xC3\xA9", &body);
  enc.AppendContent("", &body);
  enc.AppendFinish(FinishReason::kStop, &body);
  enc.AppendUsage(TokenUsage{10, 3, 4}, &body);
  OpenAiChunkEncoder::AppendDone(&body);

  const std::vector<StreamEvent> ev = DecodeAll(ApiKind::kOpenAiChat, body);
  REQUIRE(ev.size() == 8);
  CHECK_FALSE(ev[0].carries_token());  // role-only
  CHECK(ev[1].reasoning);
  CHECK_FALSE(ev[1].content);
  CHECK(ev[2].content);
  CHECK_FALSE(ev[2].reasoning);
  CHECK(ev[3].content);
  CHECK_FALSE(ev[4].carries_token());  // empty content
  CHECK(ev[5].finish == FinishReason::kStop);
  CHECK_FALSE(ev[5].carries_token());
  CHECK(ev[6].usage.prompt_tokens == 10);
  CHECK(ev[6].usage.completion_tokens == 3);
  CHECK(ev[6].usage.cached_tokens == 4);
  CHECK_FALSE(ev[6].carries_token());
  CHECK(ev[7].done);
  for (size_t i = 0; i < 7; ++i) CHECK_FALSE(ev[i].done);

  const std::vector<nlohmann::json> chunks = Payloads(body);
  REQUIRE(chunks.size() == 7);
  for (const nlohmann::json& c : chunks) {
    CHECK(c.at("id") == "chatcmpl-1");
    CHECK(c.at("object") == "chat.completion.chunk");
    CHECK(c.at("created") == 1700000000);
    CHECK(c.at("model") == "mock-model");
  }
  CHECK(chunks[0].at("choices")[0].at("delta") ==
        nlohmann::json{{"role", "assistant"}, {"content", ""}});
  CHECK(chunks[1].at("choices")[0].at("delta").at("reasoning_content") == "Let me think");
  CHECK(chunks[3].at("choices")[0].at("delta").at("content") ==
        " \"quoted\"\n\tnew\\line \x01 \xC3\xA9");
  CHECK(chunks[3].at("choices")[0].at("index") == 0);
  CHECK(chunks[3].at("choices")[0].at("finish_reason").is_null());
  CHECK(chunks[5].at("choices")[0].at("delta").empty());
  CHECK(chunks[5].at("choices")[0].at("finish_reason") == "stop");
  CHECK(chunks[6].at("choices").empty());
  CHECK(chunks[6].at("usage") == nlohmann::json{{"prompt_tokens", 10},
                                                {"completion_tokens", 3},
                                                {"total_tokens", 13},
                                                {"prompt_tokens_details", {{"cached_tokens", 4}}}});
}

TEST_CASE("openai encoding: completions stream round trip") {
  const OpenAiChunkEncoder enc(ApiKind::kOpenAiCompletions, "cmpl-9", "m", 5);
  std::string body;
  enc.AppendRole(&body);            // no such chunk in completions
  enc.AppendReasoning("x", &body);  // nor this one
  CHECK(body.empty());
  enc.AppendContent("Once", &body);
  enc.AppendContent(" upon", &body);
  enc.AppendFinish(FinishReason::kLength, &body);
  enc.AppendUsage(TokenUsage{2, 2, -1}, &body);
  OpenAiChunkEncoder::AppendDone(&body);

  const std::vector<StreamEvent> ev = DecodeAll(ApiKind::kOpenAiCompletions, body);
  REQUIRE(ev.size() == 5);
  CHECK(ev[0].content);
  CHECK(ev[1].content);
  CHECK(ev[2].finish == FinishReason::kLength);
  CHECK_FALSE(ev[2].content);
  CHECK(ev[3].usage.prompt_tokens == 2);
  CHECK(ev[3].usage.completion_tokens == 2);
  CHECK(ev[3].usage.cached_tokens == -1);
  CHECK(ev[4].done);

  const std::vector<nlohmann::json> chunks = Payloads(body);
  REQUIRE(chunks.size() == 4);
  CHECK(chunks[0].at("object") == "text_completion");
  CHECK(chunks[0].at("choices")[0].at("text") == "Once");
  CHECK(chunks[2].at("choices")[0].at("text") == "");
  CHECK(chunks[2].at("choices")[0].at("finish_reason") == "length");
  CHECK(chunks[3].at("usage") ==
        nlohmann::json{{"prompt_tokens", 2}, {"completion_tokens", 2}, {"total_tokens", 4}});
}

TEST_CASE("openai encoding: coalesced token chunks with finish and per-chunk usage") {
  const OpenAiChunkEncoder chat(ApiKind::kOpenAiChat, "id", "m", 0);
  const TokenUsage usage{7, 3, -1};
  std::string body;
  chat.AppendTokenChunk("think", "", FinishReason::kNone, nullptr, &body);
  chat.AppendTokenChunk("more", " said", FinishReason::kNone, &usage, &body);
  chat.AppendTokenChunk("", " last", FinishReason::kLength, &usage, &body);
  chat.AppendTokenChunk("", "", FinishReason::kNone, nullptr, &body);
  const std::vector<StreamEvent> ev = DecodeAll(ApiKind::kOpenAiChat, body);
  REQUIRE(ev.size() == 4);
  CHECK(ev[0].reasoning);
  CHECK_FALSE(ev[0].content);
  CHECK(ev[1].reasoning);
  CHECK(ev[1].content);
  CHECK(ev[1].usage.completion_tokens == 3);
  CHECK(ev[2].content);
  CHECK_FALSE(ev[2].reasoning);
  CHECK(ev[2].finish == FinishReason::kLength);
  CHECK(ev[2].usage.prompt_tokens == 7);
  CHECK_FALSE(ev[3].carries_token());
  const std::vector<nlohmann::json> chunks = Payloads(body);
  CHECK(chunks[0].at("choices")[0].at("delta") == nlohmann::json{{"reasoning_content", "think"}});
  CHECK(chunks[1].at("choices")[0].at("delta") ==
        nlohmann::json{{"reasoning_content", "more"}, {"content", " said"}});
  CHECK(chunks[3].at("choices")[0].at("delta") == nlohmann::json{{"content", ""}});

  const OpenAiChunkEncoder completions(ApiKind::kOpenAiCompletions, "id", "m", 0);
  body.clear();
  completions.AppendTokenChunk("dropped", " end", FinishReason::kStop, &usage, &body);
  const std::vector<StreamEvent> cev = DecodeAll(ApiKind::kOpenAiCompletions, body);
  REQUIRE(cev.size() == 1);
  CHECK(cev[0].content);
  CHECK_FALSE(cev[0].reasoning);
  CHECK(cev[0].finish == FinishReason::kStop);
  CHECK(cev[0].usage.completion_tokens == 3);
  CHECK(Payloads(body)[0].at("choices")[0].at("text") == " end");
}

TEST_CASE("openai encoding: every finish reason round trips") {
  for (FinishReason reason :
       {FinishReason::kNone, FinishReason::kStop, FinishReason::kLength, FinishReason::kToolCalls,
        FinishReason::kContentFilter, FinishReason::kOther}) {
    const OpenAiChunkEncoder enc(ApiKind::kOpenAiChat, "id", "m", 0);
    std::string body;
    enc.AppendFinish(reason, &body);
    const std::vector<StreamEvent> ev = DecodeAll(ApiKind::kOpenAiChat, body);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].finish == reason);
  }
}

TEST_CASE("openai encoding: usage with unknown counts and error events") {
  const OpenAiChunkEncoder enc(ApiKind::kOpenAiChat, "id", "m", 0);
  std::string body;
  enc.AppendUsage(TokenUsage{-1, 8, -1}, &body);
  CHECK(Payloads(body)[0].at("usage") == nlohmann::json{{"completion_tokens", 8}});
  body.clear();
  enc.AppendUsage(TokenUsage{}, &body);
  CHECK(Payloads(body)[0].at("usage").empty());

  body.clear();
  OpenAiChunkEncoder::AppendError("model \"x\" overloaded", "server_error", &body);
  const std::vector<StreamEvent> ev = DecodeAll(ApiKind::kOpenAiChat, body);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].error);
  CHECK(ev[0].error_message == "model \"x\" overloaded");
  CHECK(Payloads(body)[0].at("error").at("type") == "server_error");
}

TEST_CASE("openai encoding: JSON string escaping of every ASCII byte") {
  std::string all;
  for (int c = 1; c < 128; ++c) all.push_back(static_cast<char>(c));
  all += "\xE2\x82\xAC";
  std::string json;
  AppendJsonString(all, &json);
  CHECK(nlohmann::json::parse(json) == all);
  std::string id_json;
  AppendJsonString("", &id_json);
  CHECK(id_json == "\"\"");
}

}  // namespace
}  // namespace llmprobe
