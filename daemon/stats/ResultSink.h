// Where finished requests go. Implemented by the metrics exporter, rolling windows, reports and
// tests. Record() is called from transport threads, concurrently for different requests:
// implementations must be thread-safe and must not block for long.
#pragma once

#include <string>

#include "stats/RequestResult.h"

namespace llmprobe {

// Identity of the series a result belongs to (labels, not secrets).
struct SeriesKey {
  const std::string* target = nullptr;  // not owned; outlives the call
  const std::string* model = nullptr;   // not owned; outlives the call
};

class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual void Record(const SeriesKey& key, const RequestResult& result) = 0;
};

}  // namespace llmprobe
