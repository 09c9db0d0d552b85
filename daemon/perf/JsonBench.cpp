#include "JsonBench.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/Clock.h"
#include "protocol/Dialect.h"

namespace llmprobe::perf {
namespace {

// What vLLM streams for one token of a chat completion.
constexpr const char* kPayload =
    R"({"id":"chatcmpl-5f2a9c1e8b7d4e3f","object":"chat.completion.chunk","created":1764372000,)"
    R"("model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":{"content":" the"},)"
    R"("logprobs":null,"finish_reason":null}]})";

// Defeats the optimizer: every way must produce the content it read.
volatile size_t g_sink = 0;

template <typename Fn>
double MedianNsPerChunk(int chunks, int runs, Fn&& one_chunk) {
  std::vector<double> per_run;
  for (int r = 0; r < runs; ++r) {
    const MonoNanos t0 = SteadyClock().Now();
    for (int i = 0; i < chunks; ++i) one_chunk();
    per_run.push_back(static_cast<double>(SteadyClock().Now() - t0) / chunks);
  }
  std::sort(per_run.begin(), per_run.end());
  return per_run[per_run.size() / 2];
}

void Fail(const char* what) {
  std::fprintf(stderr, "llmprobe_perf json: %s\n", what);
  std::exit(1);
}

}  // namespace

JsonFigures RunJsonBench(int chunks, int runs) {
  JsonFigures f;
  f.chunks = chunks;
  f.runs = runs;
  const std::string payload = kPayload;
  f.payload_bytes = static_cast<int>(payload.size());

  const std::string frame = "data: " + payload + "\n\n";
  std::unique_ptr<StreamDecoder> decoder = DialectFor(ApiKind::kOpenAiChat).NewDecoder();
  std::vector<StreamEvent> events;
  DecodeError error;
  f.decoder_ns = MedianNsPerChunk(chunks, runs, [&] {
    events.clear();
    if (!decoder->Feed(frame, &events, &error) || events.size() != 1 || !events[0].content) {
      Fail("decoder failed");
    }
    g_sink = g_sink + events.size();
  });

  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(payload);
  f.simdjson_ns = MedianNsPerChunk(chunks, runs, [&] {
    simdjson::ondemand::document doc;
    if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) Fail("simdjson parse");
    simdjson::ondemand::array choices;
    if (doc["choices"].get_array().get(choices) != simdjson::SUCCESS) Fail("simdjson choices");
    for (auto choice : choices) {
      simdjson::ondemand::object c;
      if (choice.get_object().get(c) != simdjson::SUCCESS) Fail("simdjson choice");
      std::string_view content;
      if (c["delta"]["content"].get_string().get(content) != simdjson::SUCCESS) Fail("content");
      const bool finished = !c["finish_reason"].is_null();
      g_sink = g_sink + content.size() + (finished ? 1 : 0);
      break;
    }
  });

  f.nlohmann_ns = MedianNsPerChunk(chunks, runs, [&] {
    const nlohmann::json j = nlohmann::json::parse(payload);
    const nlohmann::json& c = j.at("choices").at(0);
    const std::string& content = c.at("delta").at("content").get_ref<const std::string&>();
    g_sink = g_sink + content.size() + (c.at("finish_reason").is_null() ? 0 : 1);
  });
  return f;
}

}  // namespace llmprobe::perf
