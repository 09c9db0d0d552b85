#include "bench/BenchRunner.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "common/Duration.h"
#include "load/TargetProber.h"
#include "report/LevelStats.h"
#include "stats/StageObserver.h"
#include "transport/EpollTransport.h"

namespace llmprobe {
namespace {

// Collects each level's results and measured interval. Thread-safe.
class LevelCollector final : public ResultSink, public StageObserver {
 public:
  explicit LevelCollector(const SloConfig& slo) : slo_(slo) {}

  void Record(const SeriesKey&, const RequestResult& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    Level(r.level).stats.Add(r);
    ++done_;
  }
  void MeasuringStarted(const std::string&, const LevelId& level, MonoNanos t) override {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = Level(level);
    e.start = t;
    current_ = level;
    level_started_ = std::chrono::steady_clock::now();
  }
  void MeasuringStopped(const std::string&, const LevelId& level, MonoNanos t) override {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = Level(level);
    e.stats.SetMeasuredInterval(e.start, t);
  }

  std::vector<LevelReport> Reports() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<LevelReport> out;
    for (auto& [level, e] : levels_) out.push_back(e.stats.Report());
    return out;
  }
  // "level concurrency 8, 12s measured, 123 requests done" for the progress line.
  std::string Progress() {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_.concurrency == 0 && current_.rate == 0) return "warming up";
    const auto elapsed = std::chrono::steady_clock::now() - level_started_;
    char buf[160];
    std::snprintf(
        buf, sizeof buf, "level %s %s, %llds measured, %lld requests done", current_.LabelName(),
        current_.LabelValue().c_str(),
        static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count()),
        static_cast<long long>(done_));
    return buf;
  }

 private:
  struct Entry {
    explicit Entry(LevelId level, const SloConfig& slo) : stats(level, slo) {}
    LevelStats stats;
    MonoNanos start = 0;
  };
  Entry& Level(const LevelId& level) {
    auto it = levels_.find(level);
    if (it == levels_.end()) it = levels_.try_emplace(level, level, slo_).first;
    return it->second;
  }

  const SloConfig slo_;
  std::mutex mu_;
  std::map<LevelId, Entry> levels_;
  LevelId current_{LoadMode::kConcurrency, 0, 0};
  std::chrono::steady_clock::time_point level_started_;
  int64_t done_ = 0;
};

}  // namespace

Result<BenchReport> RunBench(const BenchOptions& options, const Clock& clock) {
  if (options.duration_ns <= 0 && options.requests <= 0) {
    return Status::Error("a level needs a duration or a request count");
  }
  TargetConfig target = options.target;
  target.load.warmup_ns = options.warmup_ns;
  // Requests mode: the quota ends the stage; the duration is only a generous bound.
  target.load.stage_duration_ns =
      options.warmup_ns +
      (options.requests > 0 ? 24 * 3600 * kNanosPerSecond : options.duration_ns);
  target.schedule.mode = ScheduleMode::kContinuous;
  target.budget.max_requests_per_hour = 0;
  target.budget.max_output_tokens_per_hour = 0;

  BenchConfig config = BenchConfigFromTarget(target);
  config.duration_per_level_ns = options.requests > 0 ? 0 : options.duration_ns;
  config.requests_per_level = options.requests;
  config.warmup_ns = options.warmup_ns;
  config.budget = options.budget;

  LevelCollector collector(target.slo);
  const auto started = std::chrono::system_clock::now();
  ProberOptions prober_options;
  prober_options.single_pass = true;
  prober_options.measured_requests_per_stage = options.requests;
  Endpoint endpoint{target.url_parts, target.tls, target.timeouts.connect_ns};
  {
    TargetProber prober(target, options.bearer_token, MakeEpollTransport(endpoint, clock),
                        collector, &collector, clock, std::random_device{}(), prober_options);
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::thread progress;
    if (options.progress) {
      progress = std::thread([&] {
        std::unique_lock<std::mutex> lock(mu);
        while (!cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return done; })) {
          std::fprintf(stderr, "\r\033[K%s", collector.Progress().c_str());
          std::fflush(stderr);
        }
        std::fprintf(stderr, "\r\033[K");
      });
    }
    prober.Start();
    prober.WaitUntilFinished();
    prober.Stop(0);
    {
      std::lock_guard<std::mutex> lock(mu);
      done = true;
    }
    cv.notify_all();
    if (progress.joinable()) progress.join();
  }
  return MakeBenchReport(std::move(config), collector.Reports(), started);
}

}  // namespace llmprobe
