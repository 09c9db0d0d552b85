#include "mock/MockSendStats.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace llmprobe {
namespace {

nlohmann::ordered_json Quantiles(const LogHistogram& h) {
  const auto ms = [&](double ns) { return h.Count() ? ns / 1e6 : 0.0; };
  return {{"p50", ms(h.Quantile(0.5))}, {"p99", ms(h.Quantile(0.99))}, {"max", ms(h.Max())}};
}

}  // namespace

void MockSendStats::Record(bool first_token, int64_t late_ns) {
  const auto v = static_cast<double>(std::max<int64_t>(late_ns, 0));
  std::lock_guard<std::mutex> lock(mu_);
  late_.Record(v);
  if (first_token) first_late_.Record(v);
}

void MockSendStats::Reset(MonoNanos now) {
  std::lock_guard<std::mutex> lock(mu_);
  since_ = now;
  late_.Clear();
  first_late_.Clear();
}

std::string MockSendStats::Json(MonoNanos now) const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::ordered_json j{{"seconds", NanosToSeconds(now - since_)},
                           {"token_chunks", late_.Count()},
                           {"late_ms", Quantiles(late_)},
                           {"first_token_chunks", first_late_.Count()},
                           {"first_token_late_ms", Quantiles(first_late_)}};
  return j.dump();
}

}  // namespace llmprobe
