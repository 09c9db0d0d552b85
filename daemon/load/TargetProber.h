// The continuous closed-loop prober of one target. At level C exactly C requests are in flight
// back to back; stages cycle through the configured levels forever. A request belongs to the
// stage it started in; at a stage's end no new request is issued and the next stage starts once
// the in-flight ones have finished (drained), so every measurement ran at its level. Requests
// that start in the first `warmup` of a stage are counted but flagged as warm-up.
// A failed request delays its slot's next request: exponential backoff with jitter from 100 ms
// up to 30 s (or the server's Retry-After), reset by a success.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/Clock.h"
#include "config/Config.h"
#include "load/PromptGenerator.h"
#include "protocol/Dialect.h"
#include "stats/ResultSink.h"
#include "transport/Transport.h"

namespace llmprobe {

// A snapshot for pages and self metrics.
struct TargetStatus {
  std::string name;
  std::string model;
  std::string api;
  int stage_concurrency = 0;  // level of the running stage; 0 when stopped
  bool draining = false;      // stage over, waiting for in-flight requests
  bool in_warmup = false;
  int64_t stage_elapsed_ns = 0;
  int64_t inflight = 0;
  int64_t requests_done = 0;
  int64_t consecutive_failures = 0;
  std::string last_outcome;  // "" before the first result
};

// Start/Stop/Status are thread-safe. The sink and clock must outlive the prober.
class TargetProber {
 public:
  TargetProber(TargetConfig config, std::string bearer_token, std::unique_ptr<Transport> transport,
               ResultSink& sink, const Clock& clock);
  ~TargetProber();  // Stop(0)
  TargetProber(const TargetProber&) = delete;
  TargetProber& operator=(const TargetProber&) = delete;

  void Start();
  // Stops issuing requests, lets in-flight ones finish for up to `grace_ns`, cancels the rest,
  // and returns once every request has been recorded.
  void Stop(int64_t grace_ns);

  TargetStatus Status() const;
  const TargetConfig& config() const { return config_; }

 private:
  struct Stage {
    uint64_t id = 0;
    int level = 0;
    MonoNanos start = 0;
    MonoNanos warmup_end = 0;
    MonoNanos end = 0;
  };
  struct Delayed {
    MonoNanos due;
    uint64_t stage_id;
  };

  void Run();
  void RunStage(const Stage& stage);
  void SubmitOne(const Stage& stage);
  void OnDone(const Stage& stage, RequestResult&& result);
  int64_t BackoffNs(int64_t consecutive_failures, int64_t retry_after_ns);

  const TargetConfig config_;
  const std::string bearer_token_;  // secret: never logged
  const Dialect& dialect_;
  std::unique_ptr<Transport> transport_;
  ResultSink& sink_;
  const Clock& clock_;
  PromptGenerator prompts_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  bool started_ = false;
  bool stopping_ = false;
  bool accepting_ = false;
  Stage stage_;
  int64_t inflight_ = 0;
  int64_t requests_done_ = 0;
  int64_t consecutive_failures_ = 0;
  std::string last_outcome_;
  std::vector<Delayed> delayed_;  // failed slots waiting for their backoff
  std::mt19937_64 rng_;
  std::thread thread_;
};

}  // namespace llmprobe
