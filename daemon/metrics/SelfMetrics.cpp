#include "metrics/SelfMetrics.h"

#include "common/BuildInfo.h"
#include "metrics/MetricNames.h"

namespace llmprobe {
namespace {

prometheus::MetricFamily Gauge(const char* name, const char* help) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = prometheus::MetricType::Gauge;
  return f;
}

prometheus::MetricFamily Counter(const char* name, const char* help) {
  prometheus::MetricFamily f;
  f.name = std::string(name) + "_total";
  f.help = help;
  f.type = prometheus::MetricType::Counter;
  return f;
}

prometheus::ClientMetric Value(double v, std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = v;
  return m;
}

prometheus::ClientMetric Count(int64_t v, std::vector<prometheus::ClientMetric::Label> labels) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = static_cast<double>(v);
  return m;
}

}  // namespace

SelfMetrics::SelfMetrics(StatusFn status) : status_(std::move(status)) {}

void SelfMetrics::SetReloadResult(bool ok, double unix_seconds) {
  reload_ok_.store(ok);
  if (ok) reload_time_.store(unix_seconds);
}

std::vector<prometheus::MetricFamily> SelfMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  auto build = Gauge(metric::kBuildInfo, metric::kBuildInfoHelp);
  build.metric.push_back(
      Value(1, {{"revision", std::string(GitRevision())}, {"version", std::string(Version())}}));
  out.push_back(std::move(build));
  auto ok = Gauge(metric::kReloadOk, metric::kReloadOkHelp);
  ok.metric.push_back(Value(reload_ok_.load() ? 1 : 0));
  out.push_back(std::move(ok));
  auto when = Gauge(metric::kReloadTime, metric::kReloadTimeHelp);
  when.metric.push_back(Value(reload_time_.load()));
  out.push_back(std::move(when));

  auto inflight = Gauge(metric::kInflight, metric::kInflightHelp);
  auto stage = Gauge(metric::kStageConcurrency, metric::kStageConcurrencyHelp);
  auto rate = Gauge(metric::kStageRate,
                    "Requests per second of the target's running open-loop stage (0 when none).");
  auto idle =
      Gauge(metric::kScheduleIdle, "1 while a sweep schedule waits for its next sweep, else 0.");
  auto budget = Gauge(metric::kBudgetExhausted,
                      "1 while an hourly budget cap of the target is reached (probing paused).");
  auto backoff = Gauge(metric::kBackoff, metric::kBackoffHelp);
  auto circuit = Gauge(metric::kCircuitOpen, metric::kCircuitOpenHelp);
  auto opened = Counter(metric::kCircuitOpened, metric::kCircuitOpenedHelp);
  auto skipped = Counter(metric::kCircuitSkipped, metric::kCircuitSkippedHelp);
  prometheus::MetricFamily limit;
  limit.name = std::string(metric::kInflightLimitReached) + "_total";
  limit.help =
      "Open loop: due requests that found max_inflight reached and had to wait (started late).";
  limit.type = prometheus::MetricType::Counter;
  for (const TargetStatus& s : status_()) {
    const std::vector<prometheus::ClientMetric::Label> l{{metric::kLabelTarget, s.name}};
    inflight.metric.push_back(Value(static_cast<double>(s.inflight), l));
    stage.metric.push_back(Value(s.running && !s.level.open_loop() ? s.level.concurrency : 0, l));
    rate.metric.push_back(Value(s.running && s.level.open_loop() ? s.level.rate : 0, l));
    idle.metric.push_back(Value(s.idle ? 1 : 0, l));
    budget.metric.push_back(Value(s.budget_exhausted ? 1 : 0, l));
    backoff.metric.push_back(Value(NanosToSeconds(s.backoff_remaining_ns), l));
    circuit.metric.push_back(Value(s.circuit_open ? 1 : 0, l));
    opened.metric.push_back(Count(s.circuit_opened, l));
    skipped.metric.push_back(Count(s.circuit_skipped, l));
    prometheus::ClientMetric c;
    c.label = l;
    c.counter.value = static_cast<double>(s.inflight_limit_reached);
    limit.metric.push_back(std::move(c));
  }
  for (auto* f :
       {&inflight, &stage, &rate, &idle, &budget, &backoff, &circuit, &opened, &skipped, &limit}) {
    out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace llmprobe
