// Structured logging on stderr through spdlog, as logfmt (default) or JSON lines:
//   ts=2026-11-29T17:00:00.000Z level=info msg="probing started" target=mock
//   {"ts":"2026-11-29T17:00:00.000Z","level":"info","msg":"probing started","target":"mock"}
// Never pass a secret as a field or message. Thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "common/Status.h"

namespace llmprobe::log {

enum class Level { kDebug, kInfo, kWarn, kError };

struct Field {
  std::string_view key;
  std::string value;
  Field(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, int64_t v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, double v) : key(k), value(std::to_string(v)) {}
};

// Sets level ("debug"|"info"|"warn"|"error") and format ("logfmt"|"json"). Before the first call
// the defaults are info and logfmt.
Status Configure(std::string_view level, std::string_view format);

bool Enabled(Level level);
void Write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view msg, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, msg, f);
}
inline void Info(std::string_view msg, std::initializer_list<Field> f = {}) {
  Write(Level::kInfo, msg, f);
}
inline void Warn(std::string_view msg, std::initializer_list<Field> f = {}) {
  Write(Level::kWarn, msg, f);
}
inline void Error(std::string_view msg, std::initializer_list<Field> f = {}) {
  Write(Level::kError, msg, f);
}

std::string_view LevelName(Level level);  // "debug", "info", "warn", "error"

// Renders a line without its timestamp: `level=info msg=... k=v` or the JSON members.
std::string FormatBody(Level level, std::string_view msg, std::initializer_list<Field> fields,
                       bool json);

}  // namespace llmprobe::log
