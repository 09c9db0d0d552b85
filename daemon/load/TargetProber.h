// The continuous prober of one target. It runs stages, one per configured level, in order:
//  - closed loop (load.mode concurrency): at level C exactly C requests are in flight, each slot
//    issuing its next request when the previous ends (after load.think_time, if any);
//  - open loop (load.mode rate): requests are due at a rate (Poisson or constant arrivals) and
//    start when due whatever is in flight, up to load.max_inflight; a due request that finds the
//    cap reached waits for a free slot and starts late (its intended start is kept, so latency
//    from the intended start includes the wait: no coordinated omission).
// A request belongs to the stage it started in. At a stage's end no new request is issued and
// the next stage starts once the in-flight ones have finished (drained), so every measurement
// ran at its level. Requests starting in the first load.warmup of a stage are flagged warm-up.
// Schedule: continuous (stages back to back forever) or sweep (every schedule.interval, each
// level once, then idle). With schedule.random_start the first sweep waits a random part of
// the interval, so many targets do not fire in step.
// Failures: a circuit breaker per target (CircuitBreaker.h) decides when requests may start.
// After 3 consecutive failures (canceled requests do not count) the circuit opens for 1 s,
// doubling on each re-open up to 5 min, each period +-20% jitter and never shorter than the
// server's Retry-After; then exactly one trial request runs (half-open): its success closes the
// circuit (and resets the doubling), its failure re-opens it for the next period. Closed loop:
// while the circuit is open or the trial is in flight no slot issues a request; the slots
// resume when it closes. Open loop: arrivals due meanwhile are skipped and counted
// (TargetStatus::circuit_skipped), and so are due arrivals that were waiting for a free slot.
// A Retry-After on a failed response (429, 503, ...) holds every request of the target back
// until it has passed, also below the threshold. Results of requests started before the
// circuit changed state do not move it. Each state change is logged once: warn when it opens
// (with the outcome that tripped it), info when it turns half-open and when it closes. Self
// metrics: llmprobe_circuit_open (1 open or half-open), llmprobe_backoff_seconds (time until a
// request may start), llmprobe_circuit_opened_total, llmprobe_circuit_skipped_requests_total.
// Budget: when an hourly cap is reached the target pauses until the hour rolls (HourlyBudget.h).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/Clock.h"
#include "config/Config.h"
#include "load/CircuitBreaker.h"
#include "load/HourlyBudget.h"
#include "load/PromptGenerator.h"
#include "protocol/Dialect.h"
#include "stats/LevelId.h"
#include "stats/ResultSink.h"
#include "stats/StageObserver.h"
#include "transport/Transport.h"

namespace llmprobe {

// A snapshot for pages and self metrics.
struct TargetStatus {
  std::string name;
  std::string model;
  std::string api;
  LevelId level;          // level of the running stage (concurrency 0 when none)
  bool running = false;   // a stage runs (or drains)
  bool draining = false;  // stage over, waiting for in-flight requests
  bool in_warmup = false;
  bool idle = false;  // sweep schedule: between sweeps (or waiting for the start offset)
  bool budget_exhausted = false;
  int64_t stage_elapsed_ns = 0;
  int64_t inflight = 0;
  int64_t requests_done = 0;
  int64_t consecutive_failures = 0;      // counted by the circuit breaker while closed
  int64_t backoff_remaining_ns = 0;      // until a request may start (circuit open, Retry-After)
  std::string circuit_state = "closed";  // "closed", "open" or "half_open"
  bool circuit_open = false;             // open or half-open
  int64_t circuit_opened = 0;            // times the circuit opened (re-opens included)
  int64_t circuit_skipped = 0;           // open loop: arrivals not sent because it was open
  int64_t inflight_limit_reached = 0;    // open loop: due requests that found the cap reached
  std::string last_outcome;              // "" before the first result
};

// How the prober runs beyond the target's config: the daemon uses the defaults (forever);
// `llmprobe bench` runs one pass over the levels.
struct ProberOptions {
  bool single_pass = false;  // run each level once (no sweep idling), then finish
  // > 0: a stage ends once this many requests have started after its warm-up (the stage
  // duration then only bounds it); 0: stages last load.stage_duration.
  int64_t measured_requests_per_stage = 0;
  CircuitBreakerOptions breaker;  // when failures pause the target
};

// Start/Stop/Status are thread-safe. The sink, observer and clock must outlive the prober.
class TargetProber {
 public:
  TargetProber(TargetConfig config, std::string bearer_token, std::unique_ptr<Transport> transport,
               ResultSink& sink, StageObserver* observer, const Clock& clock, uint64_t seed,
               ProberOptions options = {});
  ~TargetProber();  // Stop(0)
  TargetProber(const TargetProber&) = delete;
  TargetProber& operator=(const TargetProber&) = delete;

  void Start();
  // Blocks until a single-pass run has finished every level (drained), or Stop was called.
  void WaitUntilFinished();
  // Stops issuing requests, lets in-flight ones finish for up to `grace_ns`, cancels the rest,
  // and returns once every request has been recorded.
  void Stop(int64_t grace_ns);

  TargetStatus Status() const;
  // A rotated secret (reload): requests built from now on carry it. Counters, windows, the
  // circuit breaker and the hourly budget go on. Thread-safe.
  void SetBearerToken(std::string token);
  const TargetConfig& config() const { return config_; }

 private:
  struct Stage {
    uint64_t id = 0;
    LevelId level;
    MonoNanos start = 0;
    MonoNanos warmup_end = 0;
    MonoNanos end = 0;
  };
  // Something the scheduler thread must do at `due`: start a closed-loop slot's next request,
  // or an open-loop arrival (intended start = due).
  struct Task {
    uint64_t stage_id;
    bool arrival;
  };

  void Run();
  bool WaitUntil(std::unique_lock<std::mutex>& lock, MonoNanos t);  // false if stopping
  void RunStage(const Stage& stage);
  // Counts a launch at `now`; false when the stage's request quota is used up.
  bool CountLaunchLocked(const Stage& stage, MonoNanos now);
  bool QuotaReachedLocked() const;
  void RunDueTasks(std::unique_lock<std::mutex>& lock, const Stage& stage, MonoNanos now);
  // Takes a circuit-breaker permit for a request starting at `now` (logs a half-open turn).
  CircuitBreaker::Permit AcquireLocked(MonoNanos now);
  // A closed-loop slot the circuit breaker holds back: due again when a request may start, or
  // parked until the half-open trial has ended.
  void DeferSlotLocked(const Stage& stage, MonoNanos now);
  void Submit(const Stage& stage, MonoNanos t_intended, CircuitBreaker::Permit permit);
  void OnDone(const Stage& stage, CircuitBreaker::Permit permit, RequestResult&& result);
  MonoNanos NextArrival(MonoNanos after, double rate);
  std::string BearerToken() const;  // a copy, under token_mu_
  std::vector<LevelId> Levels() const;

  const TargetConfig config_;
  mutable std::mutex token_mu_;  // guards bearer_token_ (rotated by SetBearerToken)
  std::string bearer_token_;     // secret: never logged
  const Dialect& dialect_;
  std::unique_ptr<Transport> transport_;
  ResultSink& sink_;
  StageObserver* const observer_;  // may be null
  const Clock& clock_;
  const ProberOptions options_;
  PromptGenerator prompts_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  bool started_ = false;
  bool stopping_ = false;
  bool accepting_ = false;
  bool idle_ = false;
  bool finished_ = false;          // single pass done
  int64_t measured_launched_ = 0;  // requests launched after the stage's warm-up
  Stage stage_;
  int64_t inflight_ = 0;
  int64_t requests_done_ = 0;
  CircuitBreaker breaker_;
  int64_t parked_slots_ = 0;     // closed-loop slots of the stage waiting for the trial's result
  int64_t circuit_skipped_ = 0;  // open-loop arrivals skipped while the circuit was open
  int64_t inflight_limit_reached_ = 0;
  std::string last_outcome_;
  std::multimap<MonoNanos, Task> tasks_;    // by due time
  std::deque<MonoNanos> waiting_arrivals_;  // open loop: due but over max_inflight (intended)
  HourlyBudget budget_;
  bool budget_logged_ = false;
  std::mt19937_64 rng_;
  std::thread thread_;
};

}  // namespace llmprobe
