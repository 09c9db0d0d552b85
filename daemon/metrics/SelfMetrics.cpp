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

prometheus::ClientMetric Value(double v, std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = v;
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
  build.metric.push_back(Value(1, {{"revision", std::string(GitRevision())},
                                   {"version", std::string(Version())}}));
  out.push_back(std::move(build));
  auto ok = Gauge(metric::kReloadOk, metric::kReloadOkHelp);
  ok.metric.push_back(Value(reload_ok_.load() ? 1 : 0));
  out.push_back(std::move(ok));
  auto when = Gauge(metric::kReloadTime, metric::kReloadTimeHelp);
  when.metric.push_back(Value(reload_time_.load()));
  out.push_back(std::move(when));

  auto inflight = Gauge(metric::kInflight, metric::kInflightHelp);
  auto stage = Gauge(metric::kStageConcurrency, metric::kStageConcurrencyHelp);
  for (const TargetStatus& s : status_()) {
    inflight.metric.push_back(
        Value(static_cast<double>(s.inflight), {{metric::kLabelTarget, s.name}}));
    stage.metric.push_back(Value(s.running && !s.level.open_loop() ? s.level.concurrency : 0,
                                 {{metric::kLabelTarget, s.name}}));
  }
  out.push_back(std::move(inflight));
  out.push_back(std::move(stage));
  return out;
}

}  // namespace llmprobe
