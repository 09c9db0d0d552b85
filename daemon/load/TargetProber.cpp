#include "load/TargetProber.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "common/Duration.h"
#include "common/Log.h"
#include "load/ProbeRequest.h"

namespace llmprobe {
namespace {

constexpr int64_t kBackoffBaseNs = 100 * kNanosPerMilli;
constexpr int64_t kBackoffMaxNs = 30 * kNanosPerSecond;
// Upper bound on one condition-variable wait, so waits stay correct under any Clock.
constexpr int64_t kMaxWaitSliceNs = 50 * kNanosPerMilli;

std::string Redact(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), "<secret>");
  }
  return text;
}

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
  log::Info("probing started", {{"target", config_.name},
                                {"api", ApiKindName(config_.api)},
                                {"url", config_.url}});
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
      log::Debug("stage started", {{"target", config_.name},
                                   {level.LabelName(), level.LabelValue()}});
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
  std::vector<MonoNanos> launches;  // intended start of each request to launch (-1: closed)
  while (!tasks_.empty() && tasks_.begin()->first <= now) {
    const MonoNanos due = tasks_.begin()->first;
    const Task task = tasks_.begin()->second;
    tasks_.erase(tasks_.begin());
    if (task.stage_id != stage.id) continue;
    if (task.arrival) {
      tasks_.emplace(NextArrival(due, stage.level.rate), task);
      if (now < backoff_until_) continue;  // skipped: the target is backing off
      if (inflight_ + static_cast<int64_t>(launches.size()) >= config_.load.max_inflight) {
        waiting_arrivals_.push_back(due);
        ++inflight_limit_reached_;
        continue;
      }
      if (!CountLaunchLocked(stage, now) || !budget_.TryStart(now)) continue;
      launches.push_back(due);
    } else {
      if (now < backoff_until_) {
        tasks_.emplace(backoff_until_, task);
        continue;
      }
      if (!CountLaunchLocked(stage, now)) continue;
      if (!budget_.TryStart(now)) {
        tasks_.emplace(budget_.hour_end(), task);
        continue;
      }
      launches.push_back(-1);
    }
  }
  if (budget_.exhausted(now) && !budget_logged_) {
    budget_logged_ = true;
    log::Warn("hourly budget exhausted: pausing until the hour rolls",
              {{"target", config_.name},
               {"max_requests_per_hour", config_.budget.max_requests_per_hour},
               {"max_output_tokens_per_hour", config_.budget.max_output_tokens_per_hour},
               {"resumes_in", FormatDuration((budget_.hour_end() - now) / kNanosPerSecond *
                                             kNanosPerSecond)}});
  } else if (budget_logged_ && !budget_.exhausted(now)) {
    budget_logged_ = false;
    log::Info("hourly budget renewed: probing resumes", {{"target", config_.name}});
  }
  if (launches.empty()) return;
  inflight_ += static_cast<int64_t>(launches.size());
  lock.unlock();
  for (MonoNanos intended : launches) Submit(stage, intended);
  lock.lock();
}

void TargetProber::Submit(const Stage& stage, MonoNanos t_intended) {
  // inflight_ was already incremented by the caller, under the lock.
  Prompt prompt = prompts_.Next();
  RequestInputs inputs;
  inputs.target = &config_;
  inputs.prompt = std::move(prompt.text);
  inputs.bearer_token = bearer_token_;
  HttpRequestSpec spec = dialect_.BuildRequest(inputs);
  auto request = std::make_shared<ProbeRequest>(
      dialect_, config_.timeouts, stage.level, stage.warmup_end, t_intended,
      prompt.estimated_tokens, clock_.Now(),
      [this, stage](RequestResult&& r) { OnDone(stage, std::move(r)); });
  transport_->Submit(std::move(spec), std::move(request));
}

void TargetProber::OnDone(const Stage& stage, RequestResult&& result) {
  const SeriesKey key{&config_.name, &config_.model};
  sink_.Record(key, result);
  const bool ok = result.outcome == Outcome::kSuccess;
  const bool canceled = result.outcome == Outcome::kCanceled;
  MonoNanos launch = 0;
  bool do_launch = false;
  std::string previous;
  int64_t failures = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const MonoNanos now = clock_.Now();
    --inflight_;
    ++requests_done_;
    previous = last_outcome_;
    last_outcome_ = std::string(OutcomeName(result.outcome));
    budget_.ChargeTokens(result.output_tokens);
    if (ok) {
      consecutive_failures_ = 0;
      backoff_until_ = 0;
    } else if (!canceled) {
      ++consecutive_failures_;
      backoff_until_ =
          std::max(backoff_until_, now + BackoffNs(consecutive_failures_, result.retry_after_ns));
    }
    failures = consecutive_failures_;
    if (accepting_ && stage_.id == stage.id) {
      if (!stage.level.open_loop()) {
        const MonoNanos due =
            std::max(now + (ok ? config_.load.think_time_ns : 0), backoff_until_);
        if (due > now) {
          tasks_.emplace(due, Task{stage.id, false});
        } else if (!CountLaunchLocked(stage, now)) {
          // the stage's request quota is used up: this slot is done
        } else if (budget_.TryStart(now)) {
          do_launch = true;
          launch = -1;
        } else {
          tasks_.emplace(budget_.hour_end(), Task{stage.id, false});
        }
      } else if (!waiting_arrivals_.empty() && now >= backoff_until_ &&
                 CountLaunchLocked(stage, now) && budget_.TryStart(now)) {
        do_launch = true;
        launch = waiting_arrivals_.front();  // starts late: latency counts from its due time
        waiting_arrivals_.pop_front();
      }
      if (do_launch) ++inflight_;
    }
  }
  cv_.notify_all();
  if (!ok && !canceled) {
    const std::string outcome(OutcomeName(result.outcome));
    const std::string detail = Redact(result.error_detail, bearer_token_);
    const auto level = previous != outcome ? log::Level::kWarn : log::Level::kDebug;
    if (log::Enabled(level)) {
      log::Write(level, "request failed",
                 {{"target", config_.name},
                  {"outcome", outcome},
                  {"consecutive_failures", failures},
                  {"detail", detail}});
    }
  } else if (ok && !previous.empty() && previous != "success") {
    log::Info("requests succeed again", {{"target", config_.name}});
  }
  if (do_launch) Submit(stage, launch);
}

int64_t TargetProber::BackoffNs(int64_t consecutive_failures, int64_t retry_after_ns) {
  const int shift = static_cast<int>(std::min<int64_t>(consecutive_failures - 1, 20));
  int64_t backoff = std::min(kBackoffMaxNs, kBackoffBaseNs << shift);
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  backoff = static_cast<int64_t>(static_cast<double>(backoff) * jitter(rng_));  // under mu_
  return std::max(backoff, retry_after_ns);
}

MonoNanos TargetProber::NextArrival(MonoNanos after, double rate) {
  const double mean_ns = 1e9 / rate;
  if (config_.load.arrival == Arrival::kConstant) {
    return after + std::max<int64_t>(1, static_cast<int64_t>(mean_ns));
  }
  std::exponential_distribution<double> gap(1.0 / mean_ns);  // under mu_
  return after + std::max<int64_t>(1, static_cast<int64_t>(gap(rng_)));
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
  s.consecutive_failures = consecutive_failures_;
  s.backoff_remaining_ns = std::max<int64_t>(0, backoff_until_ - now);
  s.inflight_limit_reached = inflight_limit_reached_;
  s.last_outcome = last_outcome_;
  return s;
}

}  // namespace llmprobe
