#include "common/Log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>

#include "common/JsonString.h"

namespace llmprobe::log {
namespace {

std::atomic<bool> g_json{false};
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

std::shared_ptr<spdlog::logger> MakeLogger(bool json) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("llmprobe", sink);
  logger->set_pattern(json ? R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ",%v})" : "ts=%Y-%m-%dT%H:%M:%S.%eZ %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::trace);  // filtering happens in Enabled()
  logger->flush_on(spdlog::level::trace);
  return logger;
}

std::mutex g_mu;
std::shared_ptr<spdlog::logger>& Logger() {
  static std::shared_ptr<spdlog::logger> logger = MakeLogger(false);
  return logger;
}

void AppendLogfmtValue(std::string* out, std::string_view v) {
  bool quote = v.empty();
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out->append(v);
    return;
  }
  out->push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (c == '\n') {
      out->append("\\n");
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

spdlog::level::level_enum ToSpd(Level l) {
  switch (l) {
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

Status Configure(std::string_view level, std::string_view format) {
  Level l;
  if (level == "debug") {
    l = Level::kDebug;
  } else if (level == "info") {
    l = Level::kInfo;
  } else if (level == "warn") {
    l = Level::kWarn;
  } else if (level == "error") {
    l = Level::kError;
  } else {
    return Status::Error("invalid log level \"" + std::string(level) +
                         "\" (want debug, info, warn or error)");
  }
  if (format != "logfmt" && format != "json") {
    return Status::Error("invalid log format \"" + std::string(format) +
                         "\" (want logfmt or json)");
  }
  const bool json = format == "json";
  std::lock_guard<std::mutex> lock(g_mu);
  g_level.store(static_cast<int>(l));
  if (json != g_json.load()) {
    g_json.store(json);
    Logger() = MakeLogger(json);
  }
  return Status::Ok();
}

bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

std::string_view LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::string FormatBody(Level level, std::string_view msg, std::initializer_list<Field> fields,
                       bool json) {
  std::string out;
  out.reserve(64 + msg.size());
  if (json) {
    out.append("\"level\":\"").append(LevelName(level)).append("\",\"msg\":");
    AppendJsonString(msg, &out);
    for (const Field& f : fields) {
      out.push_back(',');
      AppendJsonString(f.key, &out);
      out.push_back(':');
      AppendJsonString(f.value, &out);
    }
  } else {
    out.append("level=").append(LevelName(level)).append(" msg=");
    AppendLogfmtValue(&out, msg);
    for (const Field& f : fields) {
      out.push_back(' ');
      out.append(f.key);
      out.push_back('=');
      AppendLogfmtValue(&out, f.value);
    }
  }
  return out;
}

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::shared_ptr<spdlog::logger> logger;
  bool json;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    logger = Logger();
    json = g_json.load();
  }
  logger->log(ToSpd(level), "{}", FormatBody(level, msg, fields, json));
}

}  // namespace llmprobe::log
