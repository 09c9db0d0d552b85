// Everything measured about one finished request: the unit that flows from the load scheduler
// to the stats sinks (metrics, rolling windows, bench reports).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/StreamEvent.h"
#include "stats/LevelId.h"
#include "stats/Outcome.h"
#include "stats/TimingRecord.h"

namespace llmprobe {

// Which rung of the token accounting ladder gave the output token count (measurement.md).
enum class TokenSource {
  kChunkUsage,  // per-chunk usage (continuous_usage_stats)
  kFinalUsage,  // the final usage chunk (stream_options.include_usage)
  kChunkCount,  // count of token-bearing chunks, one token each
};
std::string_view TokenSourceName(TokenSource s);  // "chunk_usage", "final_usage", "chunk_count"

// One inter-token gap: `tokens` ITL samples of gap_ns / tokens each (multi-token chunks).
struct ItlGap {
  int64_t gap_ns = 0;
  int32_t tokens = 1;
};

struct RequestResult {
  Outcome outcome = Outcome::kSuccess;
  TimingRecord timing;
  LevelId level;              // level of the stage the request started in
  bool warmup = false;        // started during the stage's warm-up: kept out of latency stats
  int http_status = 0;        // 0 = no response
  int64_t output_tokens = 0;  // by the ladder rung in output_source
  TokenSource output_source = TokenSource::kChunkCount;
  int64_t token_chunks = 0;           // token-bearing chunks seen
  bool token_count_mismatch = false;  // server usage disagreed with the chunk count
  int64_t input_tokens = 0;  // server usage.prompt_tokens, else the prompt generator's estimate
  bool input_tokens_from_server = false;
  int64_t cached_tokens = -1;  // usage cached prompt tokens, -1 = not reported
  FinishReason finish = FinishReason::kNone;
  std::vector<ItlGap> itl;      // one entry per token-bearing chunk after the first
  std::string error_detail;     // short, secret-free text for logs; empty on success
  int64_t retry_after_ns = -1;  // from a Retry-After header, -1 = none
};

}  // namespace llmprobe
