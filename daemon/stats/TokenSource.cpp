#include "stats/RequestResult.h"

namespace llmprobe {

std::string_view TokenSourceName(TokenSource s) {
  switch (s) {
    case TokenSource::kChunkUsage:
      return "chunk_usage";
    case TokenSource::kFinalUsage:
      return "final_usage";
    case TokenSource::kChunkCount:
      return "chunk_count";
  }
  return "unknown";
}

}  // namespace llmprobe
