#include "report/ReportFormat.h"

#include <charconv>
#include <cmath>
#include <system_error>

namespace llmprobe {

std::string FormatFixed(double value, int decimals) {
  if (!std::isfinite(value)) return "-";
  char buf[64];
  // std::to_chars ignores the C locale, unlike printf.
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, decimals);
  if (ec != std::errc()) return "-";
  std::string out(buf, end);
  if (out == "-0" || out.rfind("-0.", 0) == 0) {
    // A tiny negative value rounded to zero prints as "-0.00"; show it unsigned.
    bool all_zero = true;
    for (char c : out) all_zero = all_zero && (c == '-' || c == '0' || c == '.');
    if (all_zero) out.erase(0, 1);
  }
  return out;
}

std::string FormatMillis(double seconds) {
  const double ms = seconds * 1e3;
  if (!std::isfinite(ms)) return "-";
  const double mag = std::fabs(ms);
  if (mag >= 99.95) return FormatFixed(ms, 0);
  if (mag >= 9.995) return FormatFixed(ms, 1);
  if (mag >= 0.9995) return FormatFixed(ms, 2);
  return FormatFixed(ms, 3);
}

std::string FormatSecondsHuman(double seconds) {
  if (!std::isfinite(seconds)) return "-";
  if (std::fabs(seconds) < 0.9995) return FormatMillis(seconds) + " ms";
  if (std::fabs(seconds) < 9.995) return FormatFixed(seconds, 2) + " s";
  if (std::fabs(seconds) < 99.95) return FormatFixed(seconds, 1) + " s";
  return FormatFixed(seconds, 0) + " s";
}

std::string FormatExact(double value) {
  if (!std::isfinite(value)) return "null";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, end) : "null";
}

std::string LevelValue(const LevelId& level) { return level.LabelValue(); }

std::string LevelPhrase(const LevelId& level) {
  return level.open_loop() ? "rate " + level.LabelValue() + "/s"
                           : "concurrency " + level.LabelValue();
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0 at all.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace llmprobe
