// The tgi dialect (/generate_stream): recorded-stream fixtures (whole and under every split),
// single events, the request, and the encoder round trip.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dialect_test_support.h"
#include "protocol/TgiEncoding.h"

namespace llmprobe {
namespace {

using namespace dialect_test;  // NOLINT(build/namespaces)

constexpr ApiKind kTgi = ApiKind::kTgi;

std::string Data(const std::string& json) { return "data:" + json + "\n\n"; }

TEST_CASE("tgi dialect: recorded streams decode exactly, under every split") {
  CheckFixtures(
      kTgi, {
                {"tgi_eos.sse",
                 {"content", "content", "content", "content", "content",
                  "usage=11/6/-1+finish=stop+done"}},
                {"tgi_length.sse",
                 {"content", "content", "content", "content", "usage=8/4/-1+finish=length+done"}},
                {"tgi_error.sse",
                 {"content", "content",
                  "error=Request failed during generation: Server error: CUDA out of memory. "
                  "Tried to allocate 2.00 GiB"}},
            });
}

TEST_CASE("tgi dialect: tokens, special tokens and the last event") {
  auto token = [](const std::string& text, bool special) {
    return Data(R"({"index":1,"token":{"id":5,"text":)" + nlohmann::json(text).dump() +
                R"(,"logprob":-0.1,"special":)" + (special ? "true" : "false") +
                R"(},"generated_text":null,"details":null})");
  };
  CHECK(One(kTgi, token("Hi", false)) == "content");
  CHECK(One(kTgi, token(" ", false)) == "content");
  CHECK(One(kTgi, token("", false)) == "none");
  CHECK(One(kTgi, token("</s>", true)) == "none");
  CHECK(One(kTgi, Data(R"({"token":{"text":"x","special":null}})")) == "content");
  // The last event: a non-special token is reported first, then the end.
  CHECK(Join(DecodeWhole(kTgi, Data(R"({"token":{"id":1,"text":"!","special":false},)"
                                    R"("generated_text":"Hi!","details":{"finish_reason":)"
                                    R"("stop_sequence","generated_tokens":2,"seed":42}})"))
                 .events) == "content\nusage=-1/2/-1+finish=stop+done\n");
  // Older TGI called input_length prompt_tokens; an empty generated text still ends the stream.
  CHECK(One(kTgi, Data(R"({"token":{"text":"</s>","special":true},"generated_text":"",)"
                       R"("details":{"finish_reason":"eos_token","prompt_tokens":4,)"
                       R"("generated_tokens":1}})")) == "usage=4/1/-1+finish=stop+done");
  CHECK(One(kTgi, Data(R"({"token":{"text":"</s>","special":true},"generated_text":"x",)"
                       R"("details":{"finish_reason":"something_new","generated_tokens":1}})")) ==
        "usage=-1/1/-1+finish=other+done");
  CHECK(One(kTgi, Data(R"({"token":{"text":"</s>","special":true},"generated_text":"x",)"
                       R"("details":null})")) == "done");
  CHECK(DecodeWhole(kTgi, ":\n\ndata:\n\n").events.empty());
}

TEST_CASE("tgi dialect: errors") {
  CHECK(One(kTgi, Data(R"({"error":"Input validation error","error_type":"validation"})")) ==
        "error=Input validation error");
  CHECK(One(kTgi, Data(R"({"error":"","error_type":"overloaded"})")) == "error=overloaded");
  CHECK(One(kTgi, Data(R"({"error":null,"token":{"text":"a","special":false}})")) == "content");
  CHECK(One(kTgi, "event: error\ndata: model crashed\n\n") == "error=model crashed");
  const Decoded bad = DecodeWhole(kTgi, Data(R"({"token":{"text":"a","special":"no"}})"));
  CHECK_FALSE(bad.ok);
  CHECK(bad.error.kind == DecodeError::Kind::kUnexpectedShape);
  CHECK(bad.error.detail.find("token.special") != std::string::npos);
  const Decoded done = DecodeWhole(kTgi, "data:[DONE]\n\n");
  CHECK_FALSE(done.ok);
  CHECK(done.error.kind == DecodeError::Kind::kMalformedJson);
}

TEST_CASE("tgi dialect: request") {
  TargetConfig target = MakeTarget(kTgi, "/generate_stream");
  target.workload.max_tokens = 20;
  target.workload.ignore_eos = true;  // TGI has no such parameter
  target.workload.min_tokens = 10;
  const HttpRequestSpec spec =
      DialectFor(kTgi).BuildRequest({&target, "What is Deep Learning?", "hf_tok"});
  CHECK(spec.path == "/generate_stream");
  CHECK(Header(spec, "Accept") == "text/event-stream");
  CHECK(Header(spec, "Authorization") == "Bearer hf_tok");
  const nlohmann::json body = nlohmann::json::parse(spec.body);
  CHECK(body.size() == 3);
  CHECK(body.at("inputs") == "What is Deep Learning?");
  CHECK(body.at("parameters") == nlohmann::json{{"max_new_tokens", 20}, {"details", true}});
  CHECK(body.at("stream") == true);

  target.workload.extra_body = R"({"parameters":{"temperature":0.5,"details":null}})";
  const nlohmann::json merged =
      nlohmann::json::parse(DialectFor(kTgi).BuildRequest({&target, "p", ""}).body);
  CHECK(merged.at("parameters") == nlohmann::json{{"max_new_tokens", 20}, {"temperature", 0.5}});
}

TEST_CASE("tgi dialect: encoder events decode to what was meant") {
  TgiEncoder enc;
  std::string body;
  enc.AppendToken("Hello", false, &body);
  enc.AppendToken(" \"world\"\n", false, &body);
  enc.AppendToken("<|eot_id|>", true, &body);
  enc.AppendLastToken("!", false, "length", 4, 9, &body);
  const Decoded d = DecodeWhole(kTgi, body);
  REQUIRE(d.ok);
  CHECK(Join(d.events) == "content\ncontent\nnone\ncontent\nusage=9/4/-1+finish=length+done\n");
  CheckEverySplit(kTgi, body);
  // The last event's generated_text is the non-special text so far.
  const size_t last = body.rfind("data:");
  const nlohmann::json final_event = nlohmann::json::parse(body.substr(last + 5));
  CHECK(final_event.at("generated_text") == "Hello \"world\"\n!");
  CHECK(final_event.at("index") == 4);
  CHECK(final_event.at("details").at("finish_reason") == "length");

  std::string err;
  TgiEncoder::AppendError("boom", "generation", &err);
  CHECK(One(kTgi, err) == "error=boom");
}

}  // namespace
}  // namespace llmprobe
