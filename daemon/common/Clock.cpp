#include "common/Clock.h"

#include <chrono>

namespace llmprobe {
namespace {

class SteadyClockImpl final : public Clock {
 public:
  MonoNanos Now() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

const Clock& SteadyClock() {
  static const SteadyClockImpl* clock = new SteadyClockImpl();
  return *clock;
}

}  // namespace llmprobe
