// `llmprobe demo`: the built-in mock server and the daemon probing it, in one process.
#include <cstdio>

#include "app/Commands.h"
#include "app/Daemon.h"
#include "common/HostPort.h"
#include "common/Log.h"
#include "config/ConfigLoader.h"
#include "mock/MockServer.h"

namespace llmprobe {

int ServeUntilSignal(Daemon& daemon);  // RunCommand.cpp

int DemoCommand(const DemoFlags& flags) {
  if (Status s = log::Configure(flags.log.level.empty() ? "info" : flags.log.level,
                                flags.log.format.empty() ? "logfmt" : flags.log.format);
      !s.ok()) {
    std::fprintf(stderr, "llmprobe: %s\n", s.message().c_str());
    return 2;
  }
  auto mock_addr = ParseHostPort(flags.mock_listen_address);
  if (!mock_addr.ok()) {
    std::fprintf(stderr, "llmprobe: --mock.listen: %s\n", mock_addr.status().message().c_str());
    return 2;
  }
  auto config = LoadConfigString(DemoConfigYaml(), "config/demo.yaml (built in)");
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().message().c_str());
    return 1;
  }
  MockServer mock(flags.mock);
  if (Status s = mock.Start(mock_addr.value().host, mock_addr.value().port); !s.ok()) {
    std::fprintf(stderr, "llmprobe: mock: %s\n", s.message().c_str());
    return 1;
  }
  // Point every demo target at the mock we just started.
  const std::string mock_host =
      mock_addr.value().host == "0.0.0.0" ? "127.0.0.1" : mock_addr.value().host;
  Config cfg = std::move(config).value();
  for (TargetConfig& t : cfg.targets) {
    t.url_parts.scheme = "http";
    t.url_parts.host = mock_host;
    t.url_parts.port = mock.port();
    t.url = "http://" + HostPort{mock_host, mock.port()}.ToString() + t.url_parts.path;
  }
  DaemonOptions options;
  options.listen_address = flags.listen_address;
  options.web_config_file = flags.web_config_file;
  Daemon daemon(std::move(cfg), options);
  if (Status s = daemon.Start(); !s.ok()) {
    std::fprintf(stderr, "llmprobe: %s\n", s.message().c_str());
    return 1;
  }
  std::printf(
      "llmprobe demo\n"
      "  mock OpenAI-compatible server: http://%s\n"
      "  metrics:                       %s://%s/metrics\n"
      "  status page:                   %s://%s/\n"
      "Press Ctrl-C to stop.\n",
      HostPort{mock_host, mock.port()}.ToString().c_str(), daemon.web_scheme(),
      daemon.web_address().c_str(), daemon.web_scheme(), daemon.web_address().c_str());
  std::fflush(stdout);
  const int rc = ServeUntilSignal(daemon);
  mock.Stop();
  return rc;
}

}  // namespace llmprobe
