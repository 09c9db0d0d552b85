#include "stats/LevelId.h"

#include <charconv>

namespace llmprobe {

std::string LevelId::LabelValue() const {
  if (!open_loop()) return std::to_string(concurrency);
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, rate);  // shortest round-trip form
  return ec == std::errc() ? std::string(buf, end) : std::to_string(rate);
}

}  // namespace llmprobe
