// Behaviour of the built-in OpenAI-compatible mock server.
#pragma once

#include <cstdint>
#include <string>

#include "common/Clock.h"

namespace llmprobe {

struct MockOptions {
  int64_t ttft_ns = 200 * kNanosPerMilli;  // request received -> first token
  int64_t tpot_ns = 20 * kNanosPerMilli;   // between tokens
  int default_max_tokens = 16;             // when the request names no max_tokens
  bool role_chunk = false;      // chat: send a role-only chunk right after the headers
  int reasoning_tokens = 0;     // chat: the first N tokens are `reasoning_content` deltas
  int tokens_per_chunk = 1;     // >1 coalesces k tokens into one chunk (sent at the k-th's time)
  std::string model = "mock-model";
  int max_connections = 1024;   // concurrent connections served (one thread each)
};

}  // namespace llmprobe
