// Helpers shared by the dialect tests: fixtures, a compact description of decoded events,
// decoding under every split, and request inspection.
#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/Config.h"
#include "protocol/Dialect.h"

namespace llmprobe::dialect_test {

inline std::string ReadFixture(const std::string& name) {
  const std::string path = std::string(LLMPROBE_TESTDATA_DIR) + "/streams/" + name;
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline const char* FinishName(FinishReason f) {
  switch (f) {
    case FinishReason::kNone:
      return "none";
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kToolCalls:
      return "tool_calls";
    case FinishReason::kContentFilter:
      return "content_filter";
    case FinishReason::kOther:
      return "other";
  }
  return "?";
}

// Every field of a StreamEvent, compactly: "content+usage=14/7/0+finish=stop", "none".
inline std::string Describe(const StreamEvent& e) {
  std::string s;
  auto add = [&s](const std::string& part) { s += (s.empty() ? "" : "+") + part; };
  if (e.content) add("content");
  if (e.reasoning) add("reasoning");
  if (e.tool_call) add("tool");
  const TokenUsage& u = e.usage;
  if (u.prompt_tokens != -1 || u.completion_tokens != -1 || u.cached_tokens != -1) {
    add("usage=" + std::to_string(u.prompt_tokens) + "/" + std::to_string(u.completion_tokens) +
        "/" + std::to_string(u.cached_tokens));
  }
  if (e.finish != FinishReason::kNone) add(std::string("finish=") + FinishName(e.finish));
  if (e.done) add("done");
  if (e.error || !e.error_message.empty()) {
    add(std::string(e.error ? "error=" : "message-without-error=") + e.error_message);
  }
  return s.empty() ? "none" : s;
}

struct Decoded {
  std::vector<std::string> events;
  bool ok = true;
  DecodeError error{DecodeError::Kind::kMalformedJson, ""};
};

inline Decoded Decode(ApiKind api, const std::vector<std::string_view>& chunks) {
  const std::unique_ptr<StreamDecoder> decoder = DialectFor(api).NewDecoder();
  std::vector<StreamEvent> events;
  Decoded out;
  for (std::string_view chunk : chunks) {
    out.ok = decoder->Feed(chunk, &events, &out.error);
    if (!out.ok) break;
  }
  if (out.ok) out.ok = decoder->Finish(&events, &out.error);
  for (const StreamEvent& e : events) out.events.push_back(Describe(e));
  return out;
}

inline Decoded DecodeWhole(ApiKind api, std::string_view body) { return Decode(api, {body}); }

inline std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& e : v) s += e + "\n";
  return s;
}

// Decodes a body that must give exactly one event and returns its description (or the error).
inline std::string One(ApiKind api, std::string_view body) {
  const Decoded d = DecodeWhole(api, body);
  if (!d.ok) return "FAILED: " + d.error.detail;
  if (d.events.size() != 1) return "EVENTS: " + Join(d.events);
  return d.events[0];
}

// The body must decode to the same events (and the same outcome) split in two at every byte,
// and fed one byte at a time.
inline void CheckEverySplit(ApiKind api, std::string_view body) {
  const Decoded whole = DecodeWhole(api, body);
  for (size_t i = 0; i <= body.size(); ++i) {
    const Decoded d = Decode(api, {body.substr(0, i), body.substr(i)});
    if (d.ok != whole.ok || Join(d.events) != Join(whole.events)) {
      FAIL_CHECK("split at " << i << ": " << d.error.detail << "\n" << Join(d.events));
      return;
    }
  }
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < body.size(); ++i) bytes.push_back(body.substr(i, 1));
  const Decoded d = Decode(api, bytes);
  CHECK(d.ok == whole.ok);
  CHECK(Join(d.events) == Join(whole.events));
}

struct FixtureCase {
  const char* file;
  std::vector<std::string> expected;
};

// Each fixture decodes whole to `expected`, and the same under every split.
inline void CheckFixtures(ApiKind api, const std::vector<FixtureCase>& cases) {
  for (const FixtureCase& c : cases) {
    CAPTURE(c.file);
    const std::string body = ReadFixture(c.file);
    const Decoded d = DecodeWhole(api, body);
    CHECK_MESSAGE(d.ok, d.error.detail);
    CHECK(Join(d.events) == Join(c.expected));
    CheckEverySplit(api, body);
  }
}

inline TargetConfig MakeTarget(ApiKind api, const std::string& path) {
  TargetConfig t;
  t.name = "t1";
  t.api = api;
  t.url = "http://127.0.0.1:8000" + path;
  t.url_parts = {"http", "127.0.0.1", 8000, path};
  t.model = "test-model";
  t.workload.max_tokens = 128;
  return t;
}

// The value of header `name` (exact spelling); "" when absent. At most one may be present.
inline std::string Header(const HttpRequestSpec& spec, std::string_view name) {
  std::string found;
  int count = 0;
  for (const auto& [n, v] : spec.headers) {
    if (n == name) {
      found = v;
      ++count;
    }
  }
  CHECK(count <= 1);
  return found;
}

}  // namespace llmprobe::dialect_test
