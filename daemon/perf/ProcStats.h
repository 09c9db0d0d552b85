// Resource figures of a process read from /proc (Linux only): CPU time (user + system),
// resident set size, peak RSS, threads and open file descriptors. Stateless functions, safe
// from any thread. daemon/metrics/ProcessCollector reads the same files for the daemon's own
// process_* metrics; this one reads any pid, for a harness watching its children.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace llmprobe::perf {

struct ProcSample {
  bool alive = false;     // exists and has not exited (not a zombie)
  int64_t cpu_ns = 0;     // utime + stime of all threads, clock-tick (10 ms) resolution
  int64_t rss_bytes = 0;  // VmRSS
  int64_t hwm_bytes = 0;  // VmHWM (peak RSS)
  int64_t threads = 0;
  int64_t open_fds = 0;  // entries of /proc/PID/fd
};

// `pid` 0 = the calling process. All zero (alive false) when the process is gone; alive
// false and some figures set for an exited child not reaped yet.
ProcSample SampleProcess(pid_t pid);

// CPU time of the calling process (all threads) from getrusage, microsecond resolution: finer
// than SampleProcess(0).cpu_ns.
struct CpuTimes {
  int64_t user_ns = 0;
  int64_t system_ns = 0;  // in the kernel: syscalls, network stack, page faults
  int64_t total_ns() const { return user_ns + system_ns; }
};
CpuTimes SelfCpu();

}  // namespace llmprobe::perf
