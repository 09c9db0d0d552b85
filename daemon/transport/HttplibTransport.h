// A Transport built on cpp-httplib with one thread per in-flight stream: each worker thread owns
// one keep-alive connection (TCP_NODELAY, TLS verification on unless insecure_skip_verify).
// Accurate to roughly a thousand concurrent streams on two cores. Deadlines are enforced by a
// watchdog thread that aborts the connection.
//
// Not the daemon's transport any more (that is EpollTransport). Kept as an independent
// reference implementation: tests run both against the same server and compare the timings
// (tests/integration/epoll_transport_test.cpp), so a timing bug in one shows as a disagreement.
#pragma once

#include <memory>

#include "common/Clock.h"
#include "transport/Transport.h"

namespace llmprobe {

struct HttplibTransportOptions {
  int max_threads = 4096;  // upper bound on concurrent streams (one thread each)
  int64_t watchdog_period_ns = 5 * kNanosPerMilli;  // deadline check granularity
};

// Creates the transport for one endpoint. `clock` must outlive the transport.
std::unique_ptr<Transport> MakeHttplibTransport(const Endpoint& endpoint, const Clock& clock,
                                                HttplibTransportOptions options = {});

}  // namespace llmprobe
