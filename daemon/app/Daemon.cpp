#include "app/Daemon.h"

#include <chrono>
#include <random>

#include "common/Log.h"
#include "config/Secret.h"
#include "metrics/Exposition.h"
#include "transport/HttplibTransport.h"

namespace llmprobe {
namespace {

std::vector<ResultSink*> Sinks(ProbeMetrics* metrics, RollingStats* rolling, ResultSink* extra) {
  std::vector<ResultSink*> v{metrics, rolling};
  if (extra != nullptr) v.push_back(extra);
  return v;
}

// The currency of the cost estimate: the first priced target's (the loader requires one).
std::string CostCurrency(const Config& config) {
  for (const TargetConfig& t : config.targets) {
    if (t.budget.priced()) return t.budget.currency;
  }
  return "USD";
}

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Daemon::Daemon(Config config, DaemonOptions options, const Clock& clock)
    : config_(std::move(config)),
      options_(std::move(options)),
      clock_(clock),
      probe_metrics_(registry_, CostCurrency(config_)),
      rolling_(clock),
      rolling_metrics_(rolling_),
      self_metrics_([this] { return TargetStatuses(); }),
      sink_(Sinks(&probe_metrics_, &rolling_, options_.extra_sink)),
      web_(WebRoutes{[this] { return RenderMetrics(); }, [this] { return running_.load(); },
                     [this] { return TargetStatuses(); }}) {}

Daemon::~Daemon() { Stop(); }

Status Daemon::Start() {
  std::vector<std::unique_ptr<TargetProber>> probers;
  for (const TargetConfig& target : config_.targets) {
    auto token = ReadSecret(target.auth.bearer_token);
    if (!token.ok()) {
      return Status::Error("target \"" + target.name + "\": auth: " + token.status().message());
    }
    Endpoint endpoint{target.url_parts, target.tls, target.timeouts.connect_ns};
    probe_metrics_.AddTarget(target);
    rolling_.AddTarget(target.name, target.model, target.slo, target.load.window_ns);
    probers.push_back(std::make_unique<TargetProber>(
        target, std::move(token).value(), MakeHttplibTransport(endpoint, clock_), sink_,
        &rolling_, clock_, std::random_device{}()));
  }
  probers_ = std::move(probers);
  if (Status s = web_.Start(options_.listen_address); !s.ok()) {
    probers_.clear();
    return s;
  }
  self_metrics_.SetReloadResult(true, UnixNow());
  for (auto& p : probers_) p->Start();
  running_ = true;
  log::Info("llmprobe started", {{"listen_address", web_.bound_address()},
                                 {"targets", static_cast<int64_t>(probers_.size())},
                                 {"config", config_.source_path}});
  return Status::Ok();
}

void Daemon::Stop() {
  if (!running_) return;
  running_ = false;
  log::Info("stopping: letting in-flight requests finish",
            {{"grace", static_cast<int64_t>(options_.shutdown_grace_ns / kNanosPerMilli)}});
  // Stop all probers in parallel so the grace period is shared, not summed.
  std::vector<std::thread> stoppers;
  for (auto& p : probers_) {
    stoppers.emplace_back([&p, this] { p->Stop(options_.shutdown_grace_ns); });
  }
  for (auto& t : stoppers) t.join();
  web_.Stop();
  probers_.clear();
  log::Info("stopped");
}

std::string Daemon::RenderMetrics() const {
  return RenderExposition({&registry_, &rolling_metrics_, &self_metrics_, &process_collector_});
}

std::vector<TargetStatus> Daemon::TargetStatuses() const {
  std::vector<TargetStatus> out;
  out.reserve(probers_.size());
  for (const auto& p : probers_) out.push_back(p->Status());
  return out;
}

}  // namespace llmprobe
