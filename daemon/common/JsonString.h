// JSON string literals written by hand where building a JSON document would cost too much: the
// mock's per-token chunks and the JSON log lines. Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>

namespace llmprobe {

// Appends `s` as a JSON string literal (quotes included) to *out: '"', '\\' and control
// characters escaped (\n, \r, \t, else \u00XX); other bytes, UTF-8 included, as they are.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace llmprobe
