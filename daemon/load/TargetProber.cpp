#include "load/TargetProber.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "common/Duration.h"
#include "common/Log.h"
#include "config/Secret.h"
#include "load/ProbeRequest.h"

namespace llmprobe {
namespace {

// Upper bound on one condition-variable wait, so waits stay correct under any Clock.
constexpr int64_t kMaxWaitSliceNs = 50 * kNanosPerMilli;

std::chrono::nanoseconds Slice(int64_t remaining_ns) {
  return std::chrono::nanoseconds(std::clamp<int64_t>(remaining_ns, 0, kMaxWaitSliceNs));
}

}  // namespace

TargetProber::TargetProber(TargetConfig config, std::string bearer_token,
                           std::unique_ptr<Transport> transport, ResultSink& sink,
                           StageObserver* observer, const Clock& clock, uint64_t seed,
                           ProberOptions options)
    : config_(std::move(config)),
      bearer_token_(std::move(bearer_token)),
      dialect_(DialectFor(config_.api)),
      transport_(std::move(transport)),
      sink_(sink),
      observer_(observer),
      clock_(clock),
      options_(options),
      prompts_(config_.workload, seed),
      breaker_(options_.breaker, seed ^ 0x2545f4914f6cdd1dULL),
      budget_(config_.budget, clock.Now()),
      rng_(seed ^ 0x5bd1e995u) {}

TargetProber::~TargetProber() {
  Stop(0);
  transport_.reset();  // joins transport threads: no callback can touch *this afterwards
}

void TargetProber::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void TargetProber::WaitUntilFinished() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return finished_ || stopping_ || !started_; });
}

bool TargetProber::QuotaReachedLocked() const {
  return options_.measured_requests_per_stage > 0 &&
         measured_launched_ >= options_.measured_requests_per_stage;
}

bool TargetProber::CountLaunchLocked(const Stage& stage, MonoNanos now) {
  if (now < stage.warmup_end) return true;
  if (QuotaReachedLocked()) return false;
  ++measured_launched_;
  return true;
}

void TargetProber::Stop(int64_t grace_ns) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_) return;
    stopping_ = true;
    accepting_ = false;
    tasks_.clear();
    waiting_arrivals_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::unique_lock<std::mutex> lock(mu_);
  const MonoNanos deadline = clock_.Now() + grace_ns;
  while (inflight_ > 0 && clock_.Now() < deadline) {
    cv_.wait_for(lock, Slice(deadline - clock_.Now()));
  }
  if (inflight_ > 0) {
    lock.unlock();
    transport_->CancelAll();
    lock.lock();
    cv_.wait(lock, [this] { return inflight_ == 0; });
  }
}

std::vector<LevelId> TargetProber::Levels() const {
  std::vector<LevelId> levels;
  if (config_.load.mode == LoadMode::kRate) {
    for (double r : config_.load.rate) levels.push_back(LevelId::Rate(r));
  } else {
    for (int c : config_.load.concurrency) levels.push_back(LevelId::Concurrency(c));
  }
  return levels;
}

bool TargetProber::WaitUntil(std::unique_lock<std::mutex>& lock, MonoNanos t) {
  for (MonoNanos now = clock_.Now(); !stopping_ && now < t; now = clock_.Now()) {
    cv_.wait_for(lock, Slice(t - now));
  }
  return !stopping_;
}

void TargetProber::Run() {
  log::Info("probing started",
            {{"target", config_.name}, {"api", ApiKindName(config_.api)}, {"url", config_.url}});
  const std::vector<LevelId> levels = Levels();
  const bool sweep = config_.schedule.mode == ScheduleMode::kSweep;
  std::unique_lock<std::mutex> lock(mu_);
  if (sweep && config_.schedule.random_start) {
    // Spread many targets' sweeps: the first one waits a random part of the interval.
    const auto offset =
        std::uniform_int_distribution<int64_t>(0, config_.schedule.interval_ns - 1)(rng_);
    idle_ = true;
    WaitUntil(lock, clock_.Now() + offset);
    idle_ = false;
  }
  uint64_t next_id = 1;
  while (!stopping_) {
    const MonoNanos sweep_start = clock_.Now();
    for (const LevelId& level : levels) {
      if (stopping_) break;
      Stage stage;
      stage.id = next_id++;
      stage.level = level;
      stage.start = clock_.Now();
      stage.warmup_end = stage.start + config_.load.warmup_ns;
      stage.end = stage.start + config_.load.stage_duration_ns;
      lock.unlock();
      log::Debug("stage started",
                 {{"target", config_.name}, {level.LabelName(), level.LabelValue()}});
      RunStage(stage);
      lock.lock();
    }
    if (options_.single_pass) break;
    if (sweep && !stopping_) {
      idle_ = true;
      WaitUntil(lock, sweep_start + config_.schedule.interval_ns);
      idle_ = false;
    }
  }
  finished_ = true;
  cv_.notify_all();
}

void TargetProber::RunStage(const Stage& stage) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return;
  stage_ = stage;
  accepting_ = true;
  tasks_.clear();
  waiting_arrivals_.clear();
  measured_launched_ = 0;
  parked_slots_ = 0;
  if (stage.level.open_loop()) {
    tasks_.emplace(stage.start, Task{stage.id, true});
  } else {
    for (int i = 0; i < stage.level.concurrency; ++i) {
      tasks_.emplace(stage.start, Task{stage.id, false});
    }
  }
  bool measuring = false;
  MonoNanos now = clock_.Now();
  while (!stopping_) {
    now = clock_.Now();
    if (!measuring && now >= stage.warmup_end) {
      measuring = true;
      if (observer_ != nullptr) {
        lock.unlock();
        observer_->MeasuringStarted(config_.name, stage.level, stage.warmup_end);
        lock.lock();
      }
      continue;
    }
    if (now >= stage.end || QuotaReachedLocked()) break;
    RunDueTasks(lock, stage, now);
    MonoNanos wake = stage.end;
    if (!measuring) wake = std::min(wake, stage.warmup_end);
    if (!tasks_.empty()) wake = std::min(wake, tasks_.begin()->first);
    now = clock_.Now();
    if (wake > now) cv_.wait_for(lock, Slice(wake - now));
  }
  // Drain: no new requests; in-flight ones end within their timeouts.
  accepting_ = false;
  tasks_.clear();
  waiting_arrivals_.clear();
  if (measuring && observer_ != nullptr) {
    lock.unlock();
    observer_->MeasuringStopped(config_.name, stage.level, std::min(now, stage.end));
    lock.lock();
  }
  cv_.wait(lock, [this] { return inflight_ == 0 || stopping_; });
}

void TargetProber::RunDueTasks(std::unique_lock<std::mutex>& lock, const Stage& stage,
                               MonoNanos now) {
  struct Launch {
    MonoNanos intended;  // open-loop intended start; -1 in closed loop
    CircuitBreaker::Permit permit;
  };
  std::vector<Launch> launches;
  while (!tasks_.empty() && tasks_.begin()->first <= now) {
    const MonoNanos due = tasks_.begin()->first;
    const Task task = tasks_.begin()->second;
    tasks_.erase(tasks_.begin());
    if (task.stage_id != stage.id) continue;
    if (task.arrival) {
      tasks_.emplace(NextArrival(due, stage.level.rate), task);
      if (!breaker_.Allows(now)) {  // skipped: the circuit is open
        ++circuit_skipped_;
        continue;
      }
      if (inflight_ + static_cast<int64_t>(launches.size()) >= config_.load.max_inflight) {
        waiting_arrivals_.push_back(due);
        ++inflight_limit_reached_;
        continue;
      }
      if (!CountLaunchLocked(stage, now) || !budget_.TryStart(now)) continue;
      launches.push_back(Launch{due, AcquireLocked(now)});
    } else {
      if (!breaker_.Allows(now)) {
        DeferSlotLocked(stage, now);
        continue;
      }
      if (!CountLaunchLocked(stage, now)) continue;
      if (!budget_.TryStart(now)) {
        tasks_.emplace(budget_.hour_end(), task);
        continue;
      }
      launches.push_back(Launch{-1, AcquireLocked(now)});
    }
  }
  if (budget_.exhausted(now) && !budget_logged_) {
    budget_logged_ = true;
    log::Warn("hourly budget exhausted: pausing until the hour rolls",
              {{"target", config_.name},
               {"max_requests_per_hour", config_.budget.max_requests_per_hour},
               {"max_output_tokens_per_hour", config_.budget.max_output_tokens_per_hour},
               {"resumes_in",
                FormatDuration((budget_.hour_end() - now) / kNanosPerSecond * kNanosPerSecond)}});
  } else if (budget_logged_ && !budget_.exhausted(now)) {
    budget_logged_ = false;
    log::Info("hourly budget renewed: probing resumes", {{"target", config_.name}});
  }
  if (launches.empty()) return;
  inflight_ += static_cast<int64_t>(launches.size());
  lock.unlock();
  for (const Launch& l : launches) Submit(stage, l.intended, l.permit);
  lock.lock();
}

CircuitBreaker::Permit TargetProber::AcquireLocked(MonoNanos now) {
  CircuitBreaker::Change change = CircuitBreaker::Change::kNone;
  const CircuitBreaker::Permit permit = breaker_.Acquire(now, &change);
  if (change == CircuitBreaker::Change::kHalfOpened) {
    log::Info("circuit half-open: sending one trial request", {{"target", config_.name}});
  }
  return permit;
}

void TargetProber::DeferSlotLocked(const Stage& stage, MonoNanos now) {
  const MonoNanos next = breaker_.NextAllowed(now);
  if (next == CircuitBreaker::kNever) {
    ++parked_slots_;  // the trial's result (OnDone) re-queues it
  } else {
    tasks_.emplace(std::max(next, now + 1), Task{stage.id, false});
  }
}

void TargetProber::Submit(const Stage& stage, MonoNanos t_intended, CircuitBreaker::Permit permit) {
  // inflight_ was already incremented by the caller, under the lock.
  Prompt prompt = prompts_.Next();
  RequestInputs inputs;
  inputs.target = &config_;
  inputs.prompt = std::move(prompt.text);
  inputs.messages = std::move(prompt.messages);
  {
    std::lock_guard<std::mutex> lock(token_mu_);
    inputs.bearer_token = bearer_token_;
  }
  HttpRequestSpec spec = dialect_.BuildRequest(inputs);
  const int64_t prompt_chars = prompt.chars;
  auto request =
      std::make_shared<ProbeRequest>(dialect_, config_.timeouts, stage.level, stage.warmup_end,
                                     t_intended, prompt.estimated_tokens, clock_.Now(),
                                     [this, stage, permit, prompt_chars](RequestResult&& r) {
                                       // The server's prompt count calibrates the next prompts'
                                       // length (PromptGenerator.h).
                                       prompts_.Observe(prompt_chars, r);
                                       OnDone(stage, permit, std::move(r));
                                     });
  transport_->Submit(std::move(spec), std::move(request));
}

void TargetProber::OnDone(const Stage& stage, CircuitBreaker::Permit permit,
                          RequestResult&& result) {
  const SeriesKey key{&config_.name, &config_.model};
  sink_.Record(key, result);
  const bool ok = result.outcome == Outcome::kSuccess;
  const bool canceled = result.outcome == Outcome::kCanceled;
  MonoNanos launch = 0;
  CircuitBreaker::Permit launch_permit;
  bool do_launch = false;
  std::string previous;
  int64_t failures = 0;
  int64_t open_ns = 0;
  CircuitBreaker::Change change = CircuitBreaker::Change::kNone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const MonoNanos now = clock_.Now();
    --inflight_;
    ++requests_done_;
    previous = last_outcome_;
    last_outcome_ = std::string(OutcomeName(result.outcome));
    budget_.ChargeTokens(result.output_tokens);
    if (ok) {
      change = breaker_.OnSuccess(permit, now);
    } else if (canceled) {
      breaker_.OnCanceled(permit);
    } else {
      change = breaker_.OnFailure(permit, now, result.retry_after_ns);
    }
    failures = breaker_.consecutive_failures();
    open_ns = breaker_.last_open_ns();
    if (accepting_ && stage_.id == stage.id) {
      if (parked_slots_ > 0 && breaker_.NextAllowed(now) != CircuitBreaker::kNever) {
        // The trial has ended (closed, re-opened or canceled): the parked slots try again.
        for (; parked_slots_ > 0; --parked_slots_) tasks_.emplace(now, Task{stage.id, false});
      }
      if (!stage.level.open_loop()) {
        const MonoNanos due = now + (ok ? config_.load.think_time_ns : 0);
        if (due > now) {
          tasks_.emplace(due, Task{stage.id, false});
        } else if (!breaker_.Allows(now)) {
          DeferSlotLocked(stage, now);
        } else if (!CountLaunchLocked(stage, now)) {
          // the stage's request quota is used up: this slot is done
        } else if (budget_.TryStart(now)) {
          do_launch = true;
          launch = -1;
          launch_permit = AcquireLocked(now);
        } else {
          tasks_.emplace(budget_.hour_end(), Task{stage.id, false});
        }
      } else if (!waiting_arrivals_.empty()) {
        if (!breaker_.Allows(now)) {
          // Late already, and the circuit is open: skipped like the arrivals due meanwhile.
          circuit_skipped_ += static_cast<int64_t>(waiting_arrivals_.size());
          waiting_arrivals_.clear();
        } else if (CountLaunchLocked(stage, now) && budget_.TryStart(now)) {
          do_launch = true;
          launch = waiting_arrivals_.front();  // starts late: latency counts from its due time
          waiting_arrivals_.pop_front();
          launch_permit = AcquireLocked(now);
        }
      }
      if (do_launch) ++inflight_;
    }
  }
  cv_.notify_all();
  const std::string outcome(OutcomeName(result.outcome));
  if (change == CircuitBreaker::Change::kOpened || change == CircuitBreaker::Change::kReopened) {
    log::Warn(change == CircuitBreaker::Change::kOpened
                  ? "circuit opened: requests to the target paused"
                  : "circuit re-opened: the trial request failed",
              {{"target", config_.name},
               {"outcome", outcome},
               {"consecutive_failures", failures},
               {"open_for", FormatDuration(open_ns / kNanosPerMilli * kNanosPerMilli)},
               {"detail", RedactSecret(result.error_detail, BearerToken())}});
  } else if (change == CircuitBreaker::Change::kClosed) {
    log::Info("circuit closed: the trial request succeeded", {{"target", config_.name}});
  } else if (!ok && !canceled) {
    const auto level = previous != outcome ? log::Level::kWarn : log::Level::kDebug;
    if (log::Enabled(level)) {
      log::Write(level, "request failed",
                 {{"target", config_.name},
                  {"outcome", outcome},
                  {"consecutive_failures", failures},
                  {"detail", RedactSecret(result.error_detail, BearerToken())}});
    }
  } else if (ok && !previous.empty() && previous != "success") {
    log::Info("requests succeed again", {{"target", config_.name}});
  }
  if (do_launch) Submit(stage, launch, launch_permit);
}

MonoNanos TargetProber::NextArrival(MonoNanos after, double rate) {
  const double mean_ns = 1e9 / rate;
  if (config_.load.arrival == Arrival::kConstant) {
    return after + std::max<int64_t>(1, static_cast<int64_t>(mean_ns));
  }
  std::exponential_distribution<double> gap(1.0 / mean_ns);  // under mu_
  return after + std::max<int64_t>(1, static_cast<int64_t>(gap(rng_)));
}

void TargetProber::SetBearerToken(std::string token) {
  std::lock_guard<std::mutex> lock(token_mu_);
  bearer_token_ = std::move(token);
}

std::string TargetProber::BearerToken() const {
  std::lock_guard<std::mutex> lock(token_mu_);
  return bearer_token_;
}

TargetStatus TargetProber::Status() const {
  std::lock_guard<std::mutex> lock(mu_);
  TargetStatus s;
  s.name = config_.name;
  s.model = config_.model;
  s.api = ApiKindName(config_.api);
  const MonoNanos now = clock_.Now();
  s.running = started_ && !stopping_ && !idle_ && stage_.id != 0;
  if (s.running) {
    s.level = stage_.level;
    s.draining = !accepting_;
    s.in_warmup = accepting_ && now < stage_.warmup_end;
    s.stage_elapsed_ns = now - stage_.start;
  }
  s.idle = idle_;
  s.budget_exhausted = budget_.exhausted(now);
  s.inflight = inflight_;
  s.requests_done = requests_done_;
  s.consecutive_failures = breaker_.consecutive_failures();
  s.backoff_remaining_ns = breaker_.RemainingNs(now);
  const CircuitState circuit = breaker_.state(now);
  s.circuit_state = std::string(CircuitStateName(circuit));
  s.circuit_open = circuit != CircuitState::kClosed;
  s.circuit_opened = breaker_.times_opened();
  s.circuit_skipped = circuit_skipped_;
  s.inflight_limit_reached = inflight_limit_reached_;
  s.last_outcome = last_outcome_;
  return s;
}

}  // namespace llmprobe
