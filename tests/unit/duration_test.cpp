#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "common/Clock.h"
#include "common/Duration.h"

namespace llmprobe {
namespace {

constexpr int64_t kUs = 1000;
constexpr int64_t kMs = kNanosPerMilli;
constexpr int64_t kS = kNanosPerSecond;
constexpr int64_t kM = 60 * kS;
constexpr int64_t kH = 60 * kM;

}  // namespace

TEST_CASE("duration: ParseDuration accepts Go syntax") {
  struct Case {
    const char* text;
    int64_t nanos;
  };
  const Case cases[] = {
      {"0", 0},
      {"+0", 0},
      {"0s", 0},
      {"0.0h", 0},
      {"1ns", 1},
      {"1us", kUs},
      {"1\xC2\xB5s", kUs},  // micro sign
      {"1\xCE\xBCs", kUs},  // Greek mu
      {"250ms", 250 * kMs},
      {"1s", kS},
      {"1.5s", 1500 * kMs},
      {".5s", 500 * kMs},
      {"1.s", kS},
      {"2m", 2 * kM},
      {"2h", 2 * kH},
      {"1h30m", 90 * kM},
      {"1m30s", 90 * kS},
      {"1h1m1s1ms1us1ns", kH + kM + kS + kMs + kUs + 1},
      {"30s30s", kM},  // components may repeat
      {"1.000000001s", kS + 1},
      {"1.0000000019s", kS + 1},  // truncated, not rounded
      {"0.000000001h", 3600},
      {"1.5h", 90 * kM},
      {"+5s", 5 * kS},
      {"2562047h47m16.854775807s", std::numeric_limits<int64_t>::max()},
      {"9223372036854775807ns", std::numeric_limits<int64_t>::max()},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    Result<int64_t> r = ParseDuration(c.text);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r.value() == c.nanos);
  }
}

TEST_CASE("duration: ParseDuration errors name the problem") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "invalid duration \"\""},
      {"-5s", "negative duration \"-5s\""},
      {"-0", "negative duration \"-0\""},
      {"60", "missing unit in duration \"60\""},
      {"1h30", "missing unit in duration \"1h30\""},
      {"00", "missing unit in duration \"00\""},
      {"5x", "unknown unit \"x\" in duration \"5x\""},
      {"5 s", "unknown unit \" s\" in duration \"5 s\""},
      {"5S", "unknown unit \"S\" in duration \"5S\""},
      {"s", "invalid duration \"s\""},
      {".s", "invalid duration \".s\""},
      {"1.5.5s", "missing unit in duration \"1.5.5s\""},
      {"abc", "invalid duration \"abc\""},
      {"9223372036854775808ns", "duration \"9223372036854775808ns\" is out of range"},
      {"2562048h", "duration \"2562048h\" is out of range"},
      {"2562047h47m16.854775808s", "duration \"2562047h47m16.854775808s\" is out of range"},
      {"99999999999999999999999s", "duration \"99999999999999999999999s\" is out of range"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    Result<int64_t> r = ParseDuration(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == c.message);
  }
}

TEST_CASE("duration: FormatDuration is short and exact") {
  struct Case {
    int64_t nanos;
    const char* text;
  };
  const Case cases[] = {
      {0, "0s"},
      {1, "1ns"},
      {999, "999ns"},
      {kUs, "1us"},
      {1500, "1.5us"},
      {250 * kMs, "250ms"},
      {kMs + 1, "1.000001ms"},
      {kS, "1s"},
      {1500 * kMs, "1.5s"},
      {2 * kM, "2m"},
      {90 * kS, "1m30s"},
      {90 * kM, "1h30m"},
      {kH, "1h"},
      {kH + 500 * kMs, "1h500ms"},
      {kM + kUs, "1m1us"},
      {kH + kS + 1, "1h1.000000001s"},
      {48 * kH, "48h"},
      {-1500 * kMs, "-1.5s"},
      {std::numeric_limits<int64_t>::max(), "2562047h47m16.854775807s"},
      {std::numeric_limits<int64_t>::min(), "-2562047h47m16.854775808s"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.nanos);
    CHECK(FormatDuration(c.nanos) == c.text);
  }
}

TEST_CASE("duration: FormatDuration output parses back to the same value") {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    // Spread over magnitudes: a random value with a random number of low digits zeroed.
    int64_t n = static_cast<int64_t>(rng() >> 1);
    n >>= rng() % 63;
    if (i % 2 == 0) {
      const int64_t step = i % 4 == 0 ? kS : kMs;
      n -= n % step;
    }
    CAPTURE(n);
    Result<int64_t> r = ParseDuration(FormatDuration(n));
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r.value() == n);
  }
}

}  // namespace llmprobe
