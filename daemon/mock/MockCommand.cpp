#include "mock/MockCommand.h"

#include <signal.h>

#include <cstdio>
#include <string>

#include "common/Duration.h"
#include "common/FileLimit.h"
#include "common/HostPort.h"
#include "common/Signals.h"
#include "mock/MockServer.h"

namespace llmprobe {

int RunMockCommand(const MockOptions& options, const std::string& listen_address) {
  Result<HostPort> address = ParseHostPort(listen_address);
  if (!address.ok()) {
    std::fprintf(stderr, "llmprobe: mock: --listen: %s\n", address.status().message().c_str());
    return 2;
  }
  // Before the server starts its threads, so that they inherit the blocked set and the signals
  // can only be collected below.
  BlockProcessSignals();
  RaiseOpenFileLimit();  // a connection is a descriptor: thousands of streams need more than 1024

  MockServer server(options);
  if (Status s = server.Start(address.value().host, address.value().port); !s.ok()) {
    std::fprintf(stderr, "llmprobe: mock: %s\n", s.message().c_str());
    return 1;
  }
  const HostPort bound{address.value().host, server.port()};
  std::string timing =
      "ttft=" + FormatDuration(options.ttft_ns) + " tpot=" + FormatDuration(options.tpot_ns);
  if (options.max_batch > 0 || options.tpot_per_stream_ns > 0 || options.prefill_per_token_ns > 0) {
    timing += " max_batch=" + std::to_string(options.max_batch) +
              " tpot_per_stream=" + FormatDuration(options.tpot_per_stream_ns) +
              " prefill_per_token=" + FormatDuration(options.prefill_per_token_ns);
  }
  std::printf("mock: listening on %s://%s (%s)\n", options.tls_cert_file.empty() ? "http" : "https",
              bound.ToString().c_str(), timing.c_str());
  std::fflush(stdout);

  while (WaitForSignal() == SIGHUP) {
  }
  server.Stop();
  return 0;
}

}  // namespace llmprobe
