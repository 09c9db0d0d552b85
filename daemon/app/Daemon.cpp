#include "app/Daemon.h"

#include <chrono>
#include <random>
#include <thread>

#include "common/Duration.h"
#include "common/Log.h"
#include "config/ConfigDump.h"
#include "config/ConfigLoader.h"
#include "config/Secret.h"
#include "config/WebConfig.h"
#include "metrics/Exposition.h"
#include "transport/EpollTransport.h"

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

// The web config named by `path`; empty path = none (plain HTTP, no authentication).
Result<WebConfig> LoadWebConfig(const std::string& path) {
  if (path.empty()) return WebConfig{};
  return LoadWebConfigFile(path);
}

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
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
                     [this] { return TargetStatuses(); }, [this] { return rolling_.Snapshot(); },
                     [this] { return Reload(); }, [this] { return RunningConfigYaml(); }}) {}

Daemon::~Daemon() { Stop(); }

Result<std::vector<std::pair<TargetConfig, std::string>>> Daemon::Resolve(
    const Config& config) const {
  std::vector<std::pair<TargetConfig, std::string>> out;
  for (const TargetConfig& target : config.targets) {
    if (!options_.shard.Owns(target.name)) continue;
    auto token = ReadSecret(target.auth.bearer_token);
    if (!token.ok()) {
      return Status::Error("target \"" + target.name + "\": auth: " + token.status().message());
    }
    out.emplace_back(target, std::move(token).value());
  }
  return out;
}

std::unique_ptr<TargetProber> Daemon::MakeProber(const TargetConfig& target,
                                                 const std::string& token) {
  probe_metrics_.AddTarget(target);
  rolling_.AddTarget(target.name, target.model, target.slo, target.load.window_ns);
  Endpoint endpoint{target.url_parts, target.tls, target.timeouts.connect_ns};
  return std::make_unique<TargetProber>(target, token,
                                        MakeEpollTransport(endpoint, clock_, engine_), sink_,
                                        &rolling_, clock_, std::random_device{}());
}

Status Daemon::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  auto web = LoadWebConfig(options_.web_config_file);
  if (!web.ok()) return web.status();
  auto targets = Resolve(config_);
  if (!targets.ok()) return targets.status();
  for (auto& [target, token] : targets.value()) {
    Running r{target, token, MakeProber(target, token)};
    running_targets_.emplace(target.name, std::move(r));
  }
  if (Status s = web_.Start(options_.listen_address, web.value()); !s.ok()) {
    running_targets_.clear();
    return s;
  }
  self_metrics_.SetReloadResult(true, UnixNow());
  for (auto& [name, r] : running_targets_) r.prober->Start();
  running_ = true;
  log::Info("llmprobe started",
            {{"listen_address", web_.bound_address()},
             {"scheme", web_.tls() ? "https" : "http"},
             {"basic_auth", web.value().basic_auth_users.empty() ? "off" : "on"},
             {"targets", static_cast<int64_t>(running_targets_.size())},
             {"shard", options_.shard.ToString()},
             {"config", config_.source_path}});
  return Status::Ok();
}

void Daemon::StopAll(std::vector<std::unique_ptr<TargetProber>> probers) {
  // In parallel, so the grace period is shared, not summed.
  std::vector<std::thread> stoppers;
  for (auto& p : probers) {
    if (p == nullptr) continue;
    stoppers.emplace_back([&p, this] { p->Stop(options_.shutdown_grace_ns); });
  }
  for (auto& t : stoppers) t.join();
}

void Daemon::Stop() {
  std::vector<std::unique_ptr<TargetProber>> probers;
  {
    // Under reload_mu_: a reload in progress (POST /-/reload on a web thread) finishes first,
    // and one that comes later sees running_ false and refuses. Not held below: web_.Stop()
    // waits for the web threads, one of which may be waiting for reload_mu_.
    std::lock_guard<std::mutex> reload_lock(reload_mu_);
    if (!running_.exchange(false)) return;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, r] : running_targets_) probers.push_back(std::move(r.prober));
  }
  log::Info("stopping: letting in-flight requests finish",
            {{"grace", FormatDuration(options_.shutdown_grace_ns)}});
  StopAll(std::move(probers));
  web_.Stop();
  std::lock_guard<std::mutex> lock(mu_);
  running_targets_.clear();
  log::Info("stopped");
}

Status Daemon::Reload() {
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  if (!running_) return Status::Error("not running (stopping or not started)");
  if (options_.config_file.empty()) return Status::Error("no config file to reload");
  auto fail = [this](const std::string& message) {
    self_metrics_.SetReloadResult(false, 0);
    log::Error("reload failed: keeping the running configuration", {{"err", message}});
    return Status::Error(message);
  };
  auto loaded = LoadConfigFile(options_.config_file);
  if (!loaded.ok()) return fail(loaded.status().message());
  auto targets = Resolve(loaded.value());
  if (!targets.ok()) return fail(targets.status().message());
  // The web config too: new certificates and users apply to new connections and requests.
  auto web = LoadWebConfig(options_.web_config_file);
  if (!web.ok()) return fail(web.status().message());
  if (Status s = web_.Reconfigure(web.value()); !s.ok()) return fail(s.message());
  const GlobalConfig& g = loaded.value().global;
  if (!g.log_level.empty() || !g.log_format.empty()) {
    if (Status s = log::Configure(g.log_level.empty() ? "info" : g.log_level,
                                  g.log_format.empty() ? "logfmt" : g.log_format);
        !s.ok()) {
      return fail(s.message());
    }
  }

  // Decide what changes; stop the changed and removed targets outside the lock.
  std::map<std::string, std::pair<TargetConfig, std::string>> wanted;
  for (auto& [t, token] : targets.value()) wanted.emplace(t.name, std::make_pair(t, token));
  std::vector<std::string> stop_names;
  int rotated = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, r] : running_targets_) {
      auto it = wanted.find(name);
      if (it == wanted.end() || !(it->second.first == r.config)) {
        stop_names.push_back(name);
      } else if (it->second.second != r.token) {
        // Only the secret rotated: swap it in place, so that its series, windows, circuit and
        // hourly budget go on (a restart would reset the budget on every rotation).
        r.prober->SetBearerToken(it->second.second);
        r.token = it->second.second;
        ++rotated;
      }
    }
  }
  std::vector<std::unique_ptr<TargetProber>> stopping;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& name : stop_names) {
      stopping.push_back(std::move(running_targets_[name].prober));
    }
  }
  StopAll(std::move(stopping));
  int started = 0, kept = 0, removed = 0;
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& name : stop_names) {
    running_targets_.erase(name);
    probe_metrics_.RemoveTarget(name);
    rolling_.RemoveTarget(name);
    if (wanted.count(name) == 0) ++removed;
  }
  for (auto& [name, entry] : wanted) {
    if (running_targets_.count(name) != 0) {
      ++kept;
      continue;
    }
    Running r{entry.first, entry.second, MakeProber(entry.first, entry.second)};
    if (running_) r.prober->Start();
    running_targets_.emplace(name, std::move(r));
    ++started;
  }
  config_ = std::move(loaded).value();
  self_metrics_.SetReloadResult(true, UnixNow());
  if (!g.web_listen_address.empty() && options_.listen_address != g.web_listen_address) {
    log::Warn("web_listen_address changed: restart to apply",
              {{"running", options_.listen_address}, {"configured", g.web_listen_address}});
  }
  log::Info("configuration reloaded", {{"started_or_restarted", started},
                                       {"unchanged", kept - rotated},
                                       {"secret_rotated", rotated},
                                       {"removed", removed}});
  return Status::Ok();
}

std::string Daemon::RenderMetrics() const {
  return RenderExposition({&registry_, &rolling_metrics_, &self_metrics_, &process_collector_});
}

std::vector<TargetStatus> Daemon::TargetStatuses() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<TargetStatus> out;
  out.reserve(running_targets_.size());
  for (const auto& [name, r] : running_targets_) {
    if (r.prober) out.push_back(r.prober->Status());
  }
  return out;
}

std::string Daemon::RunningConfigYaml() const {
  std::lock_guard<std::mutex> lock(mu_);
  return DumpConfigYaml(config_);
}

}  // namespace llmprobe
