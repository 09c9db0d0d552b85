// Fuzzes one dialect's stream decoder (DialectFor(kind)->NewDecoder()) with arbitrary response
// bodies. Built once per dialect: LLMPROBE_FUZZ_API names the ApiKind enumerator (CMakeLists).
// Checks, besides the sanitizers:
//  - feeding the body whole, in random pieces and one byte at a time gives the same events and
//    the same error (kind and text): decoding must not depend on how reads split the bytes;
//  - a decoder that failed stays failed, with the same error;
//  - an error message in an event is at most 256 bytes, a DecodeError detail is bounded.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "FuzzSupport.h"
#include "config/Config.h"
#include "protocol/Dialect.h"

#ifndef LLMPROBE_FUZZ_API
#error "LLMPROBE_FUZZ_API must name an ApiKind enumerator, e.g. kOpenAiChat"
#endif

namespace llmprobe::fuzz {
namespace {

constexpr ApiKind kApi = ApiKind::LLMPROBE_FUZZ_API;

// Every field of an event, as one comparable string.
std::string Describe(const StreamEvent& e) {
  const TokenUsage& u = e.usage;
  return std::string(e.content ? "c" : "-") + (e.reasoning ? "r" : "-") +
         (e.tool_call ? "t" : "-") + (e.done ? "d" : "-") + (e.error ? "e" : "-") +
         " u=" + std::to_string(u.prompt_tokens) + "/" + std::to_string(u.completion_tokens) + "/" +
         std::to_string(u.cached_tokens) + " f=" + std::to_string(static_cast<int>(e.finish)) +
         " m=" + e.error_message;
}

struct Decoded {
  std::vector<std::string> events;
  bool ok = true;
  int error_kind = -1;
  std::string error_detail;

  bool operator==(const Decoded&) const = default;
};

Decoded Decode(const std::vector<std::string_view>& pieces) {
  const std::unique_ptr<StreamDecoder> decoder = DialectFor(kApi).NewDecoder();
  FUZZ_CHECK(decoder != nullptr);
  std::vector<StreamEvent> events;
  DecodeError error{DecodeError::Kind::kMalformedJson, ""};
  Decoded out;
  for (std::string_view piece : pieces) {
    if (!decoder->Feed(piece, &events, &error)) {
      out.ok = false;
      break;
    }
  }
  if (out.ok) out.ok = decoder->Finish(&events, &error);
  if (!out.ok) {
    out.error_kind = static_cast<int>(error.kind);
    out.error_detail = error.detail;
    // "no payload beyond 128 bytes" plus the fixed text around it.
    FUZZ_CHECK(error.detail.size() <= 512);
    FUZZ_CHECK(!error.detail.empty());
    // Failed for good: later calls report the same error and add no events.
    const size_t before = events.size();
    DecodeError again{DecodeError::Kind::kMalformedJson, ""};
    FUZZ_CHECK(!decoder->Feed("data: {}\n\n{}\n", &events, &again));
    FUZZ_CHECK(!decoder->Finish(&events, &again));
    FUZZ_CHECK(events.size() == before);
    FUZZ_CHECK(again.kind == error.kind && again.detail == error.detail);
  }
  for (const StreamEvent& e : events) {
    FUZZ_CHECK(e.error_message.size() <= 256);
    out.events.push_back(Describe(e));
  }
  return out;
}

}  // namespace
}  // namespace llmprobe::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace llmprobe::fuzz;
  const std::string_view input = AsView(data, size);
  const Decoded whole = Decode({input});
  for (const auto& pieces : Splits(input)) FUZZ_CHECK(Decode(pieces) == whole);
  return 0;
}
