#include "mock/MockAdmin.h"

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>

namespace llmprobe {
namespace {

using Json = nlohmann::ordered_json;

constexpr double kMaxMs = 3'600'000;  // one hour
constexpr int64_t kMaxBatchLimit = 1'000'000;

struct TimeField {
  const char* key;
  int64_t MockOptions::*field;
};
constexpr TimeField kTimeFields[] = {
    {"ttft_ms", &MockOptions::ttft_ns},
    {"tpot_ms", &MockOptions::tpot_ns},
    {"tpot_per_stream_ms", &MockOptions::tpot_per_stream_ns},
    {"prefill_per_token_ms", &MockOptions::prefill_per_token_ns},
};
constexpr const char* kMaxBatchKey = "max_batch";

double NsToMs(int64_t ns) { return static_cast<double>(ns) / static_cast<double>(kNanosPerMilli); }

const TimeField* FindTimeField(const std::string& key) {
  for (const TimeField& f : kTimeFields) {
    if (key == f.key) return &f;
  }
  return nullptr;
}

}  // namespace

std::string MockConfigJson(const MockOptions& options) {
  Json j = Json::object();
  for (const TimeField& f : kTimeFields) j[f.key] = NsToMs(options.*(f.field));
  j[kMaxBatchKey] = options.max_batch;
  return j.dump();
}

Status ApplyMockConfigJson(std::string_view body, MockOptions* options) {
  const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Error(
        "the body must be a JSON object with any of ttft_ms, tpot_ms, "
        "tpot_per_stream_ms, prefill_per_token_ms, max_batch");
  }
  MockOptions updated = *options;
  for (const auto& [key, value] : j.items()) {
    if (const TimeField* f = FindTimeField(key)) {
      const double ms = value.is_number() ? value.get<double>() : -1;
      if (!value.is_number() || !std::isfinite(ms) || ms < 0 || ms > kMaxMs) {
        return Status::Error("'" + key + "' must be a number of milliseconds from 0 to 3600000");
      }
      updated.*(f->field) = std::llround(ms * static_cast<double>(kNanosPerMilli));
    } else if (key == kMaxBatchKey) {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
          value.get<int64_t>() > kMaxBatchLimit) {
        return Status::Error("'max_batch' must be an integer from 0 (no limit) to 1000000");
      }
      updated.max_batch = static_cast<int>(value.get<int64_t>());
    } else {
      return Status::Error("unknown key '" + key +
                           "' (known: ttft_ms, tpot_ms, tpot_per_stream_ms, "
                           "prefill_per_token_ms, max_batch)");
    }
  }
  *options = updated;
  return Status::Ok();
}

}  // namespace llmprobe
