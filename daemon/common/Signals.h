// Signal handling without handlers: the process blocks SIGINT, SIGTERM and SIGHUP in every
// thread (call BlockProcessSignals() first thing in main, before any thread starts) and one
// thread collects them synchronously with WaitForSignal().
#pragma once

#include <cstdint>

namespace llmprobe {

// Blocks SIGINT, SIGTERM, SIGHUP and SIGPIPE in the calling thread (inherited by every thread it
// starts later). SIGPIPE stays blocked: write errors are reported as EPIPE instead.
void BlockProcessSignals();

// Waits up to `timeout_ns` (<0 = forever) for SIGINT, SIGTERM or SIGHUP; returns the signal
// number or 0 on timeout.
int WaitForSignal(int64_t timeout_ns = -1);

}  // namespace llmprobe
