#include "stats/TimingRecord.h"

namespace llmprobe {
namespace {

std::optional<int64_t> Diff(MonoNanos later, MonoNanos earlier) {
  if (later < 0 || earlier < 0) return std::nullopt;
  return later - earlier;
}

}  // namespace

std::optional<int64_t> TimingRecord::TimeToFirstByteNs() const { return Diff(t_headers, t_start); }

std::optional<int64_t> TimingRecord::TimeToFirstTokenNs() const {
  return Diff(t_first_token, t_start);
}

std::optional<int64_t> TimingRecord::TimeToFirstContentNs() const {
  return Diff(t_first_content, t_start);
}

std::optional<double> TimingRecord::TimePerOutputTokenNs(int64_t output_tokens) const {
  if (output_tokens < 2) return std::nullopt;
  auto span = Diff(t_last_token, t_first_token);
  if (!span) return std::nullopt;
  return static_cast<double>(*span) / static_cast<double>(output_tokens - 1);
}

std::optional<int64_t> TimingRecord::RequestDurationNs() const {
  return Diff(t_last_token, t_start);
}

}  // namespace llmprobe
