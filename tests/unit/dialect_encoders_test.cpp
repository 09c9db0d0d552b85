// Every dialect's StreamEncoder (what the mock speaks): a response written from token-level
// intentions decodes back to those intentions, under every split. Reasoning lands on the
// reasoning channel in every dialect that has one, so it moves time-to-first-token but not
// time-to-first-content.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "dialect_test_support.h"

namespace llmprobe {
namespace {

using namespace dialect_test;  // NOLINT(build/namespaces)

// The token-bearing and final events only: no-token units (role chunks, block starts, pings)
// differ between dialects and carry nothing the probe measures.
std::vector<std::string> Meaningful(const Decoded& d) {
  std::vector<std::string> out;
  for (const std::string& e : d.events) {
    if (e != "none") out.push_back(e);
  }
  return out;
}

struct Expectation {
  ApiKind api;
  const char* content_type;
  bool has_reasoning;           // a reasoning channel exists
  bool counts_prompt_at_start;  // prompt tokens reported before the tokens (anthropic)
  const char* end;              // the decoded end of a kLength response with usage 7/3
};

const std::vector<Expectation> kAll = {
    {ApiKind::kOpenAiChat, "text/event-stream", true, false, "finish=length|usage=7/3/-1|done"},
    {ApiKind::kOpenAiCompletions, "text/event-stream", false, false,
     "finish=length|usage=7/3/-1|done"},
    {ApiKind::kOpenAiResponses, "text/event-stream", true, false,
     "usage=7/3/-1+finish=length+done"},
    {ApiKind::kAnthropicMessages, "text/event-stream", true, true,
     "usage=-1/3/-1+finish=length|done"},
    {ApiKind::kTgi, "text/event-stream", false, false, "usage=7/3/-1+finish=length+done"},
    {ApiKind::kOllama, "application/x-ndjson", true, false, "usage=7/3/-1+finish=length+done"},
};

std::string Pipe(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& e : v) s += (s.empty() ? "" : "|") + e;
  return s;
}

TEST_CASE("dialect encoders: a response decodes back to the intended tokens and end") {
  CHECK(kAll.size() == AllApiKinds().size());
  for (const Expectation& x : kAll) {
    CAPTURE(ApiKindName(x.api));
    EncoderInit init;
    init.id = "id-1";
    init.model = "mock \"model\"";
    init.created_unix_seconds = 1700000000;
    init.prompt_tokens = 7;
    const std::unique_ptr<StreamEncoder> enc = DialectFor(x.api).NewEncoder(init);
    CHECK(std::string(enc->content_type()) == x.content_type);
    std::string body;
    enc->AppendStart(&body);
    enc->AppendTokens("let me think", "", &body);
    enc->AppendTokens("", "tok0 ", &body);
    enc->AppendTokens("", "\"quoted\"\n\ttok1 \xC3\xA9 ", &body);
    StreamEnd end;
    end.finish = FinishReason::kLength;
    end.usage.prompt_tokens = 7;
    end.usage.completion_tokens = 3;
    enc->AppendLastTokens("", "tok2", end, &body);
    const Decoded d = DecodeWhole(x.api, body);
    REQUIRE_MESSAGE(d.ok, d.error.detail);

    std::vector<std::string> expected;
    if (x.counts_prompt_at_start) expected.push_back("usage=7/-1/-1");
    // Without a reasoning channel, completions drops reasoning and TGI sends it as content.
    if (x.has_reasoning) {
      expected.push_back("reasoning");
    } else if (x.api == ApiKind::kTgi) {
      expected.push_back("content");
    }
    expected.insert(expected.end(), {"content", "content", "content"});
    CHECK(Pipe(Meaningful(d)) == Pipe(expected) + "|" + x.end);
    CheckEverySplit(x.api, body);
  }
}

TEST_CASE("dialect encoders: reasoning and content in one step") {
  for (const Expectation& x : kAll) {
    if (!x.has_reasoning) continue;
    CAPTURE(ApiKindName(x.api));
    const std::unique_ptr<StreamEncoder> enc = DialectFor(x.api).NewEncoder(EncoderInit{});
    std::string body;
    enc->AppendTokens("r", "c", &body);
    const std::string got = Pipe(Meaningful(DecodeWhole(x.api, body)));
    // One unit where the dialect allows it (chat, ollama), else reasoning before content.
    CHECK((got == "content+reasoning" || got == "reasoning|content"));
  }
}

TEST_CASE("dialect encoders: a stop without a final token, and errors") {
  for (const Expectation& x : kAll) {
    CAPTURE(ApiKindName(x.api));
    const std::unique_ptr<StreamEncoder> enc = DialectFor(x.api).NewEncoder(EncoderInit{});
    std::string body;
    enc->AppendStart(&body);
    enc->AppendTokens("", "a", &body);
    StreamEnd end;  // kStop, no counts
    enc->AppendEnd(end, &body);
    const Decoded d = DecodeWhole(x.api, body);
    REQUIRE_MESSAGE(d.ok, d.error.detail);
    const std::string got = Pipe(Meaningful(d));
    CHECK(got.find("content") != std::string::npos);
    CHECK(got.find("finish=stop") != std::string::npos);
    // Every dialect marks the end of the stream.
    CHECK(got.find("done") != std::string::npos);

    std::string err;
    enc->AppendError("overloaded, try again", &err);
    CHECK(One(x.api, err) == "error=overloaded, try again");
  }
}

}  // namespace
}  // namespace llmprobe
