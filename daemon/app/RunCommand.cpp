// `llmprobe run` and `llmprobe check-config`.
#include <signal.h>

#include <cstdio>

#include "app/Commands.h"
#include "app/Daemon.h"
#include "common/Duration.h"
#include "common/Log.h"
#include "common/Signals.h"
#include "config/ConfigLoader.h"
#include "web/WebServer.h"

namespace llmprobe {
namespace {

std::string FirstNonEmpty(const std::string& a, const std::string& b, const char* fallback) {
  if (!a.empty()) return a;
  if (!b.empty()) return b;
  return fallback;
}

}  // namespace

int CheckConfigCommand(const std::string& config_file, const std::string& web_config_file) {
  auto config = LoadConfigFile(config_file);
  // The web config is checked even when the config is not, so one run shows every error.
  Status web = web_config_file.empty() ? Status::Ok() : CheckWebConfigFile(web_config_file);
  if (!config.ok()) std::fprintf(stderr, "%s\n", config.status().message().c_str());
  if (!web.ok()) std::fprintf(stderr, "%s\n", web.message().c_str());
  if (!config.ok() || !web.ok()) return 1;
  std::printf("%s: OK (%zu target%s)\n", config_file.c_str(), config.value().targets.size(),
              config.value().targets.size() == 1 ? "" : "s");
  if (!web_config_file.empty()) std::printf("%s: OK\n", web_config_file.c_str());
  return 0;
}

// Runs a started daemon until SIGINT or SIGTERM.
int ServeUntilSignal(Daemon& daemon) {
  for (;;) {
    const int sig = WaitForSignal();
    if (sig == SIGHUP) {
      log::Info("SIGHUP received: reloading the configuration");
      daemon.Reload();  // logs the outcome; a bad file keeps the old config running
      continue;
    }
    log::Info("signal received, shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
    daemon.Stop();
    return 0;
  }
}

int RunDaemonCommand(const RunFlags& flags) {
  auto config = LoadConfigFile(flags.config_file);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().message().c_str());
    return 1;
  }
  const GlobalConfig& global = config.value().global;
  if (Status s = log::Configure(FirstNonEmpty(flags.log.level, global.log_level, "info"),
                                FirstNonEmpty(flags.log.format, global.log_format, "logfmt"));
      !s.ok()) {
    std::fprintf(stderr, "llmprobe: %s\n", s.message().c_str());
    return 2;
  }
  auto grace = ParseDuration(flags.shutdown_grace);
  if (!grace.ok()) {
    std::fprintf(stderr, "llmprobe: --shutdown.grace: %s\n", grace.status().message().c_str());
    return 2;
  }
  DaemonOptions options;
  options.listen_address =
      FirstNonEmpty(flags.listen_address, global.web_listen_address, kDefaultListenAddress);
  options.shutdown_grace_ns = grace.value();
  options.config_file = flags.config_file;
  options.web_config_file = flags.web_config_file;
  if (!flags.shard.empty()) {
    auto shard = ParseShard(flags.shard);
    if (!shard.ok()) {
      std::fprintf(stderr, "llmprobe: %s\n", shard.status().message().c_str());
      return 2;
    }
    options.shard = shard.value();
  }
  Daemon daemon(std::move(config).value(), options);
  if (Status s = daemon.Start(); !s.ok()) {
    log::Error("cannot start", {{"err", s.message()}});
    return 1;
  }
  return ServeUntilSignal(daemon);
}

}  // namespace llmprobe
