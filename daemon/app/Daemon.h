// Wires one running daemon: config -> one TargetProber per target (each with its transport on
// the shared event loops, and its dialect) -> ProbeMetrics, RollingStats (+ optional extra sink)
// -> /metrics and pages on the web server. Reload re-reads the config file (and the secret
// files): an invalid file keeps the old config running; only targets whose config or secret
// changed are restarted, the others keep running with their counters and windows.
// Start/Stop from one thread; Reload from any thread (serialized); the parts run on their own
// threads.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/registry.h>

#include "app/Shard.h"
#include "common/Clock.h"
#include "common/Status.h"
#include "config/Config.h"
#include "load/TargetProber.h"
#include "metrics/ProbeMetrics.h"
#include "metrics/ProcessCollector.h"
#include "metrics/RollingMetrics.h"
#include "metrics/SelfMetrics.h"
#include "net/EpollEngine.h"
#include "stats/FanoutSink.h"
#include "stats/RollingStats.h"
#include "web/WebServer.h"

namespace llmprobe {

struct DaemonOptions {
  std::string listen_address = "0.0.0.0:9470";
  std::string config_file;  // re-read on Reload(); empty = reload not possible
  // --web.config.file (config/WebConfig.h): TLS and basic auth for the web server; read at
  // Start (an invalid file is an error) and re-read on Reload(). Empty = plain HTTP, open.
  std::string web_config_file;
  Shard shard;                                      // only targets of this shard are probed
  int64_t shutdown_grace_ns = 5 * kNanosPerSecond;  // in-flight requests may finish this long
  ResultSink* extra_sink = nullptr;  // also receives every result (tests, bench); not owned
};

class Daemon {
 public:
  Daemon(Config config, DaemonOptions options, const Clock& clock = SteadyClock());
  ~Daemon();  // Stop()
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Reads secrets, starts the web server and every prober. On error nothing keeps running.
  Status Start();
  // Stops issuing, lets in-flight requests finish within the grace period, cancels the rest,
  // then stops the web server. Idempotent.
  void Stop();
  // Re-reads options.config_file and applies it (see the file comment). Sets
  // llmprobe_config_last_reload_successful. Returns the error that kept the old config.
  Status Reload();

  int web_port() const { return web_.port(); }
  const std::string& web_address() const { return web_.bound_address(); }
  const char* web_scheme() const { return web_.tls() ? "https" : "http"; }
  std::string RenderMetrics() const;
  std::vector<TargetStatus> TargetStatuses() const;
  std::string RunningConfigYaml() const;  // secrets as <secret>
  const RollingStats& rolling() const { return rolling_; }

 private:
  struct Running {
    TargetConfig config;
    std::string token;  // secret
    std::unique_ptr<TargetProber> prober;
  };
  // The targets of `config` this shard owns, with their secrets; an error names the target.
  Result<std::vector<std::pair<TargetConfig, std::string>>> Resolve(const Config& config) const;
  std::unique_ptr<TargetProber> MakeProber(const TargetConfig& target, const std::string& token);
  void StopAll(std::vector<std::unique_ptr<TargetProber>> probers);

  Config config_;  // guarded by mu_
  const DaemonOptions options_;
  const Clock& clock_;
  prometheus::Registry registry_;
  ProbeMetrics probe_metrics_;
  RollingStats rolling_;
  RollingMetrics rolling_metrics_;
  ProcessCollector process_collector_;
  SelfMetrics self_metrics_;
  FanoutSink sink_;
  // The event loops (one per core) every target's transport runs on.
  std::shared_ptr<net::EpollEngine> engine_ = std::make_shared<net::EpollEngine>();
  mutable std::mutex mu_;                           // guards config_ and running_targets_
  std::mutex reload_mu_;                            // serializes Reload()
  std::map<std::string, Running> running_targets_;  // by target name
  WebServer web_;
  std::atomic<bool> running_{false};
};

}  // namespace llmprobe
