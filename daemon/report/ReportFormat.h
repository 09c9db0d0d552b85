// Number, label and escaping helpers shared by the bench report renderers. Pure functions,
// locale-independent ("." decimal point whatever the C locale), safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "stats/LevelId.h"

namespace llmprobe {

// `decimals` digits after the point: FormatFixed(1.234, 1) == "1.2". NaN/inf -> "-".
std::string FormatFixed(double value, int decimals);

// Seconds shown as milliseconds with a precision that suits the size: 3 significant digits
// below 100 ms (0.123, 1.23, 12.3), whole ms from 100 ms up ("1850"). No unit suffix.
std::string FormatMillis(double seconds);

// A duration in prose with its unit: "850 ms", "1.85 s", "12.3 s".
std::string FormatSecondsHuman(double seconds);

// Shortest round-trip decimal of a double ("0.1", "1234.5", "1e-07"); NaN/inf -> "null".
std::string FormatExact(double value);

// The level's value as shown in tables and plots: "8" (concurrency) or "2.5" (rate, req/s).
std::string LevelValue(const LevelId& level);
// "concurrency 8" or "rate 2.5/s".
std::string LevelPhrase(const LevelId& level);

// Escapes & < > " ' for XML/HTML text and attribute values.
std::string XmlEscape(std::string_view text);

}  // namespace llmprobe
