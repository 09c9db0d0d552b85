// `llmprobe mock`: runs the mock server in the foreground until SIGINT or SIGTERM.
#pragma once

#include <string>

#include "mock/MockOptions.h"

namespace llmprobe {

// Starts a MockServer on listen_address ("HOST:PORT", see common/HostPort.h), prints
//   mock: listening on http://HOST:PORT (ttft=200ms tpot=20ms)
// (with " max_batch=4 tpot_per_stream=2ms prefill_per_token=500us" appended when the batching
// model is on) to stdout, waits for SIGINT or SIGTERM (SIGHUP is ignored), stops the server and
// returns 0. Returns 2 for a malformed address and 1 when the server cannot start (message on
// stderr). Blocks the waited signals in the calling thread first (the server's threads inherit
// that), so call it from the thread that is meant to receive them.
int RunMockCommand(const MockOptions& options, const std::string& listen_address);

}  // namespace llmprobe
