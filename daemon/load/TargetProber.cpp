#include "load/TargetProber.h"

#include <algorithm>
#include <chrono>

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

}  // namespace

TargetProber::TargetProber(TargetConfig config, std::string bearer_token,
                           std::unique_ptr<Transport> transport, ResultSink& sink,
                           const Clock& clock)
    : config_(std::move(config)),
      bearer_token_(std::move(bearer_token)),
      dialect_(DialectFor(config_.api)),
      transport_(std::move(transport)),
      sink_(sink),
      clock_(clock),
      prompts_(config_.workload, std::random_device{}()),
      rng_(std::random_device{}()) {}

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

void TargetProber::Stop(int64_t grace_ns) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_) return;
    stopping_ = true;
    accepting_ = false;
    delayed_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::unique_lock<std::mutex> lock(mu_);
  const MonoNanos deadline = clock_.Now() + grace_ns;
  while (inflight_ > 0 && clock_.Now() < deadline) {
    cv_.wait_for(lock, std::chrono::nanoseconds(std::min(kMaxWaitSliceNs, grace_ns)));
  }
  if (inflight_ > 0) {
    lock.unlock();
    transport_->CancelAll();
    lock.lock();
    cv_.wait(lock, [this] { return inflight_ == 0; });
  }
}

void TargetProber::Run() {
  log::Info("probing started", {{"target", config_.name},
                                {"api", ApiKindName(config_.api)},
                                {"url", config_.url}});
  size_t index = 0;
  uint64_t next_id = 1;
  for (;;) {
    Stage stage;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
      stage.id = next_id++;
      stage.level = config_.load.concurrency[index];
      stage.start = clock_.Now();
      stage.warmup_end = stage.start + config_.load.warmup_ns;
      stage.end = stage.start + config_.load.stage_duration_ns;
      stage_ = stage;
      accepting_ = true;
    }
    log::Debug("stage started", {{"target", config_.name}, {"concurrency", stage.level}});
    RunStage(stage);
    index = (index + 1) % config_.load.concurrency.size();
  }
}

void TargetProber::RunStage(const Stage& stage) {
  for (int i = 0; i < stage.level; ++i) SubmitOne(stage);
  std::unique_lock<std::mutex> lock(mu_);
  // Run the stage: wake for its end, for delayed (backed-off) slots, and for Stop().
  while (!stopping_) {
    const MonoNanos now = clock_.Now();
    if (now >= stage.end) break;
    MonoNanos wake = stage.end;
    std::vector<Delayed> due;
    for (auto it = delayed_.begin(); it != delayed_.end();) {
      if (it->due <= now) {
        due.push_back(*it);
        it = delayed_.erase(it);
      } else {
        wake = std::min(wake, it->due);
        ++it;
      }
    }
    if (!due.empty()) {
      lock.unlock();
      for (const Delayed& d : due) {
        if (d.stage_id == stage.id) SubmitOne(stage);
      }
      lock.lock();
      continue;
    }
    cv_.wait_for(lock, std::chrono::nanoseconds(std::min(wake - now, kMaxWaitSliceNs)));
  }
  // Drain: no new requests; in-flight ones end within their timeouts.
  accepting_ = false;
  delayed_.clear();
  cv_.wait(lock, [this] { return inflight_ == 0 || stopping_; });
}

void TargetProber::SubmitOne(const Stage& stage) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!accepting_ || stage_.id != stage.id) return;
    ++inflight_;
  }
  Prompt prompt = prompts_.Next();
  RequestInputs inputs;
  inputs.target = &config_;
  inputs.prompt = std::move(prompt.text);
  inputs.bearer_token = bearer_token_;
  HttpRequestSpec spec = dialect_.BuildRequest(inputs);
  auto request = std::make_shared<ProbeRequest>(
      dialect_, config_.timeouts, LevelId::Concurrency(stage.level), stage.warmup_end, prompt.estimated_tokens,
      clock_.Now(), [this, stage](RequestResult&& r) { OnDone(stage, std::move(r)); });
  transport_->Submit(std::move(spec), std::move(request));
}

void TargetProber::OnDone(const Stage& stage, RequestResult&& result) {
  const SeriesKey key{&config_.name, &config_.model};
  sink_.Record(key, result);
  const bool ok = result.outcome == Outcome::kSuccess;
  bool resubmit_now = false;
  std::string previous;
  int64_t failures = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --inflight_;
    ++requests_done_;
    previous = last_outcome_;
    last_outcome_ = std::string(OutcomeName(result.outcome));
    consecutive_failures_ = ok ? 0 : consecutive_failures_ + 1;
    failures = consecutive_failures_;
    if (accepting_ && stage_.id == stage.id) {
      if (ok) {
        resubmit_now = true;
      } else {
        delayed_.push_back(
            {clock_.Now() + BackoffNs(consecutive_failures_, result.retry_after_ns), stage.id});
      }
    }
  }
  cv_.notify_all();
  if (!ok && result.outcome != Outcome::kCanceled) {
    const std::string outcome(OutcomeName(result.outcome));
    const std::string detail = Redact(result.error_detail, bearer_token_);
    if (previous != outcome) {
      log::Warn("request failed", {{"target", config_.name},
                                   {"outcome", outcome},
                                   {"consecutive_failures", failures},
                                   {"detail", detail}});
    } else {
      log::Debug("request failed", {{"target", config_.name},
                                    {"outcome", outcome},
                                    {"consecutive_failures", failures},
                                    {"detail", detail}});
    }
  } else if (ok && !previous.empty() && previous != "success") {
    log::Info("requests succeed again", {{"target", config_.name}});
  }
  if (resubmit_now) SubmitOne(stage);
}

int64_t TargetProber::BackoffNs(int64_t consecutive_failures, int64_t retry_after_ns) {
  const int shift = static_cast<int>(std::min<int64_t>(consecutive_failures - 1, 20));
  int64_t backoff = std::min(kBackoffMaxNs, kBackoffBaseNs << shift);
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  backoff = static_cast<int64_t>(static_cast<double>(backoff) * jitter(rng_));  // under mu_
  return std::max(backoff, retry_after_ns);
}

TargetStatus TargetProber::Status() const {
  std::lock_guard<std::mutex> lock(mu_);
  TargetStatus s;
  s.name = config_.name;
  s.model = config_.model;
  s.api = ApiKindName(config_.api);
  const MonoNanos now = clock_.Now();
  const bool running = started_ && !stopping_;
  s.stage_concurrency = running ? stage_.level : 0;
  s.draining = running && !accepting_;
  s.in_warmup = running && accepting_ && now < stage_.warmup_end;
  s.stage_elapsed_ns = running ? now - stage_.start : 0;
  s.inflight = inflight_;
  s.requests_done = requests_done_;
  s.consecutive_failures = consecutive_failures_;
  s.last_outcome = last_outcome_;
  return s;
}

}  // namespace llmprobe
