#include "app/Shard.h"

#include <charconv>
#include <cstdint>

namespace llmprobe {

bool Shard::Owns(std::string_view target_name) const {
  if (count <= 1) return true;
  uint64_t h = 14695981039346656037ULL;  // FNV-1a 64
  for (unsigned char c : target_name) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<int>(h % static_cast<uint64_t>(count)) == index;
}

std::string Shard::ToString() const { return std::to_string(index) + "/" + std::to_string(count); }

Result<Shard> ParseShard(std::string_view text) {
  const auto fail = [&] {
    return Status::Error("--shard \"" + std::string(text) +
                         "\": want INDEX/COUNT with 0 <= INDEX < COUNT, e.g. 0/3");
  };
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return fail();
  Shard s;
  const std::string_view a = text.substr(0, slash), b = text.substr(slash + 1);
  auto [pa, ea] = std::from_chars(a.data(), a.data() + a.size(), s.index);
  auto [pb, eb] = std::from_chars(b.data(), b.data() + b.size(), s.count);
  if (a.empty() || b.empty() || ea != std::errc() || eb != std::errc() ||
      pa != a.data() + a.size() || pb != b.data() + b.size() || s.count < 1 || s.index < 0 ||
      s.index >= s.count) {
    return fail();
  }
  return s;
}

}  // namespace llmprobe
