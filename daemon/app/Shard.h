// `--shard INDEX/COUNT`: several replicas split one target list between them. A target belongs
// to the shard fnv1a64(name) % COUNT, so the assignment is stable across restarts, replicas
// and config edits that do not rename the target.
#pragma once

#include <string>
#include <string_view>

#include "common/Status.h"

namespace llmprobe {

struct Shard {
  int index = 0;
  int count = 1;  // 1 = no sharding
  bool Owns(std::string_view target_name) const;
  std::string ToString() const;  // "0/1"
};

// "2/5" -> {2, 5}; errors for anything else (index must be < count, count >= 1).
Result<Shard> ParseShard(std::string_view text);

}  // namespace llmprobe
