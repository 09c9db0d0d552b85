// The per-token JSON decode measured three ways on one representative chunk (a vLLM-style
// openai-chat delta of one token), for choosing the JSON library by measurement (issue 8):
//   decoder    the product's path: the openai-chat StreamDecoder (SSE framing, simdjson
//              on-demand, the StreamEvent), fed "data: {...}\n\n" per chunk;
//   simdjson   simdjson on-demand alone, reading choices[0].delta.content and finish_reason
//              from a reused padded buffer;
//   nlohmann   nlohmann::json::parse of the payload and the same two fields.
// Single-threaded; returns nanoseconds per chunk (the median of `runs` runs of `chunks` each).
#pragma once

#include <nlohmann/json.hpp>

namespace llmprobe::perf {

struct JsonFigures {
  int chunks = 0;
  int runs = 0;
  int payload_bytes = 0;
  double decoder_ns = 0, simdjson_ns = 0, nlohmann_ns = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(JsonFigures, chunks, runs, payload_bytes, decoder_ns,
                                   simdjson_ns, nlohmann_ns)

JsonFigures RunJsonBench(int chunks, int runs);

}  // namespace llmprobe::perf
