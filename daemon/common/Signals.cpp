#include "common/Signals.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <cerrno>

namespace llmprobe {
namespace {

sigset_t WaitedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockProcessSignals() {
  sigset_t set = WaitedSignals();
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForSignal(int64_t timeout_ns) {
  const sigset_t set = WaitedSignals();
  for (;;) {
    int sig;
    if (timeout_ns < 0) {
      sig = sigwaitinfo(&set, nullptr);
    } else {
      timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000),
                  static_cast<long>(timeout_ns % 1'000'000'000)};
      sig = sigtimedwait(&set, nullptr, &ts);
    }
    if (sig > 0) return sig;
    if (errno == EAGAIN) return 0;  // timeout
    // EINTR: retry
  }
}

}  // namespace llmprobe
