// A ResultSink that forwards every result to several sinks, in order. The sinks are not owned
// and must outlive it; the list is fixed at construction, so Record() needs no lock.
#pragma once

#include <vector>

#include "stats/ResultSink.h"

namespace llmprobe {

class FanoutSink final : public ResultSink {
 public:
  explicit FanoutSink(std::vector<ResultSink*> sinks) : sinks_(std::move(sinks)) {}
  void Record(const SeriesKey& key, const RequestResult& result) override {
    for (ResultSink* s : sinks_) s->Record(key, result);
  }

 private:
  const std::vector<ResultSink*> sinks_;
};

}  // namespace llmprobe
