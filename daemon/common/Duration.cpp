#include "common/Duration.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace llmprobe {
namespace {

constexpr uint64_t kMaxNanos = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// A unit is mantissa * 10^exponent nanoseconds. Keeping the power of ten separate lets a
// fraction such as "1.000000001h" be converted exactly in 64-bit integers (see below).
struct Unit {
  std::string_view name;
  uint64_t mantissa;
  int exponent;
};

// Longest names first where one is a prefix of another ("ms" before "m").
constexpr Unit kUnits[] = {
    {"ns", 1, 0},        {"us", 1, 3}, {"\xC2\xB5s", 1, 3},  // U+00B5 micro sign
    {"\xCE\xBCs", 1, 3},                                     // U+03BC Greek small mu
    {"ms", 1, 6},        {"s", 1, 9},  {"m", 60, 9},        {"h", 3600, 9},
};

// Fraction digits beyond this many cannot change the result by a whole nanosecond for any unit
// (the largest is 3.6e12 ns < 10^13) except through a carry, and keeping at most 15 digits keeps
// 3600 * 10^15 below 2^63.
constexpr int kMaxFractionDigits = 15;

uint64_t Pow10(int n) {
  uint64_t p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

}  // namespace

Result<int64_t> ParseDuration(std::string_view text) {
  const std::string quoted = Quoted(text);
  std::string_view s = text;
  if (!s.empty() && s.front() == '-') return Status::Error("negative duration " + quoted);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s == "0") return int64_t{0};
  if (s.empty()) return Status::Error("invalid duration " + quoted);

  uint64_t total = 0;
  while (!s.empty()) {
    // Integer part.
    uint64_t whole = 0;
    bool whole_overflow = false;
    size_t i = 0;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
      if (whole > (kMaxNanos - digit) / 10) whole_overflow = true;
      if (!whole_overflow) whole = whole * 10 + digit;
    }
    const bool has_whole = i > 0;
    s.remove_prefix(i);

    // Fraction part.
    uint64_t fraction = 0;
    int fraction_digits = 0;
    bool has_fraction = false;
    if (!s.empty() && s.front() == '.') {
      s.remove_prefix(1);
      size_t j = 0;
      for (; j < s.size() && IsDigit(s[j]); ++j) {
        if (fraction_digits < kMaxFractionDigits) {
          fraction = fraction * 10 + static_cast<uint64_t>(s[j] - '0');
          ++fraction_digits;
        }
      }
      has_fraction = j > 0;
      s.remove_prefix(j);
    }
    if (!has_whole && !has_fraction) return Status::Error("invalid duration " + quoted);

    // Unit.
    size_t k = 0;
    while (k < s.size() && s[k] != '.' && !IsDigit(s[k])) ++k;
    const std::string_view unit_name = s.substr(0, k);
    s.remove_prefix(k);
    if (unit_name.empty()) return Status::Error("missing unit in duration " + quoted);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (u.name == unit_name) unit = &u;
    }
    if (unit == nullptr) {
      return Status::Error("unknown unit " + Quoted(unit_name) + " in duration " + quoted);
    }

    const uint64_t unit_nanos = unit->mantissa * Pow10(unit->exponent);
    if (whole_overflow || (whole != 0 && whole > kMaxNanos / unit_nanos)) {
      return Status::Error("duration " + quoted + " is out of range");
    }
    // fraction / 10^digits * mantissa * 10^exponent, truncated towards zero; always < unit_nanos.
    uint64_t fraction_nanos = 0;
    if (fraction_digits <= unit->exponent) {
      fraction_nanos = fraction * unit->mantissa * Pow10(unit->exponent - fraction_digits);
    } else {
      fraction_nanos = fraction * unit->mantissa / Pow10(fraction_digits - unit->exponent);
    }
    const uint64_t value = whole * unit_nanos;
    if (fraction_nanos > kMaxNanos - value || value + fraction_nanos > kMaxNanos - total) {
      return Status::Error("duration " + quoted + " is out of range");
    }
    total += value + fraction_nanos;
  }
  return static_cast<int64_t>(total);
}

namespace {

// Renders value / 10^decimals with trailing fractional zeros dropped: (1500, 3) -> "1.5".
std::string Decimal(uint64_t value, int decimals) {
  const uint64_t scale = Pow10(decimals);
  std::string out = std::to_string(value / scale);
  uint64_t frac = value % scale;
  if (frac != 0) {
    std::string digits = std::to_string(frac);
    digits.insert(0, static_cast<size_t>(decimals) - digits.size(), '0');
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  return out;
}

// Below one second: the largest of ms, us, ns in which the value is at least 1.
std::string FormatSubSecond(uint64_t nanos) {
  if (nanos >= 1'000'000) return Decimal(nanos, 6) + "ms";
  if (nanos >= 1'000) return Decimal(nanos, 3) + "us";
  return std::to_string(nanos) + "ns";
}

}  // namespace

std::string FormatDuration(int64_t nanos) {
  if (nanos == 0) return "0s";
  std::string sign;
  uint64_t n = static_cast<uint64_t>(nanos);
  if (nanos < 0) {
    sign = "-";
    n = ~n + 1;  // two's complement magnitude; exact for INT64_MIN too
  }
  if (n < 1'000'000'000) return sign + FormatSubSecond(n);

  // Hours, minutes, then seconds; zero components are left out ("2m", "1h0.5s" -> "1h500ms").
  constexpr uint64_t kMinute = 60'000'000'000;
  constexpr uint64_t kHour = 60 * kMinute;
  std::string out = sign;
  if (n >= kHour) out += std::to_string(n / kHour) + "h";
  n %= kHour;
  if (n >= kMinute) out += std::to_string(n / kMinute) + "m";
  n %= kMinute;
  if (n >= 1'000'000'000) {
    out += Decimal(n, 9) + "s";
  } else if (n != 0) {
    out += FormatSubSecond(n);
  }
  return out;
}

}  // namespace llmprobe
