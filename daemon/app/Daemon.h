// Wires one running daemon: config -> one TargetProber per target (each with its transport and
// dialect) -> ProbeMetrics (+ optional extra sink) -> /metrics and pages on the web server.
// Start/Stop from one thread; the parts run on their own threads.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/registry.h>

#include "common/Clock.h"
#include "common/Status.h"
#include "config/Config.h"
#include "load/TargetProber.h"
#include "metrics/ProbeMetrics.h"
#include "metrics/ProcessCollector.h"
#include "metrics/RollingMetrics.h"
#include "metrics/SelfMetrics.h"
#include "stats/FanoutSink.h"
#include "stats/RollingStats.h"
#include "web/WebServer.h"

namespace llmprobe {

struct DaemonOptions {
  std::string listen_address = "0.0.0.0:9470";
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

  int web_port() const { return web_.port(); }
  const std::string& web_address() const { return web_.bound_address(); }
  std::string RenderMetrics() const;
  const RollingStats& rolling() const { return rolling_; }
  std::vector<TargetStatus> TargetStatuses() const;

 private:
  const Config config_;
  const DaemonOptions options_;
  const Clock& clock_;
  prometheus::Registry registry_;
  ProbeMetrics probe_metrics_;
  RollingStats rolling_;
  RollingMetrics rolling_metrics_;
  ProcessCollector process_collector_;
  SelfMetrics self_metrics_;
  FanoutSink sink_;
  std::vector<std::unique_ptr<TargetProber>> probers_;
  WebServer web_;
  std::atomic<bool> running_{false};
};

}  // namespace llmprobe
