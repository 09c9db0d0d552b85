// Fuzzes ParseDuration and FormatDuration (every duration in the config goes through them).
// Checks, besides the sanitizers:
//  - a parsed duration is >= 0 and FormatDuration renders it so that it parses back exactly;
//  - an error has a message;
//  - any int64 (the first 8 bytes of the input) renders and parses back exactly (negative
//    values: their magnitude, after the '-'; INT64_MIN's magnitude is out of range).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "FuzzSupport.h"
#include "common/Duration.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace llmprobe;
  const std::string_view input = fuzz::AsView(data, size);
  const Result<int64_t> parsed = ParseDuration(input);
  if (parsed.ok()) {
    FUZZ_CHECK(parsed.value() >= 0);
    const std::string text = FormatDuration(parsed.value());
    const Result<int64_t> back = ParseDuration(text);
    FUZZ_CHECK(back.ok() && back.value() == parsed.value());
  } else {
    FUZZ_CHECK(!parsed.status().message().empty());
  }

  if (size >= sizeof(int64_t)) {
    int64_t nanos = 0;
    std::memcpy(&nanos, data, sizeof(nanos));
    const std::string text = FormatDuration(nanos);
    if (nanos >= 0) {
      const Result<int64_t> back = ParseDuration(text);
      FUZZ_CHECK(back.ok() && back.value() == nanos);
    } else {
      FUZZ_CHECK(text.size() > 1 && text[0] == '-');
      const Result<int64_t> magnitude = ParseDuration(std::string_view(text).substr(1));
      if (nanos == std::numeric_limits<int64_t>::min()) {
        FUZZ_CHECK(!magnitude.ok());
      } else {
        FUZZ_CHECK(magnitude.ok() && magnitude.value() == -nanos);
      }
      FUZZ_CHECK(!ParseDuration(text).ok());  // negative durations are errors
    }
  }
  return 0;
}
