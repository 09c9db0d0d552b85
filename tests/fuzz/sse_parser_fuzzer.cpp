// Fuzzes SseParser with arbitrary response bodies. Checks, besides the sanitizers:
//  - feeding the body whole, in random pieces and one byte at a time gives the same events and
//    the same error (the parser's contract: any split);
//  - limits hold: no event data over max_event_bytes, no event type over max_line_bytes;
//  - Finish() resets the parser: a second stream on the same parser parses like a new one.
// Each input runs with the default limits and with small limits drawn from its hash, so that
// the limit paths are reached with short inputs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "FuzzSupport.h"
#include "protocol/SseParser.h"

namespace llmprobe::fuzz {
namespace {

struct Parsed {
  std::vector<std::pair<std::string, std::string>> events;
  bool ok = true;
  SseParser::Error error = SseParser::Error::kNone;

  bool operator==(const Parsed&) const = default;
};

Parsed Parse(SseParser& parser, const std::vector<std::string_view>& pieces) {
  Parsed out;
  const SseLimits& limits = parser.limits();
  const SseParser::EventSink sink = [&](const SseEvent& e) {
    FUZZ_CHECK(e.data.size() <= limits.max_event_bytes);
    FUZZ_CHECK(e.type.size() <= limits.max_line_bytes);
    out.events.emplace_back(std::string(e.type), std::string(e.data));
  };
  for (std::string_view piece : pieces) {
    if (!parser.Feed(piece, sink)) {
      out.ok = false;
      break;
    }
  }
  if (out.ok) {
    out.ok = parser.Finish(sink);
  } else {
    FUZZ_CHECK(!parser.Finish(sink));  // a failed parser stays failed
  }
  out.error = parser.error();
  FUZZ_CHECK(out.ok == (out.error == SseParser::Error::kNone));
  FUZZ_CHECK(out.ok == parser.error_message().empty());
  return out;
}

void Check(std::string_view data, SseLimits limits) {
  SseParser parser(limits);
  const Parsed whole = Parse(parser, {data});
  if (whole.ok) {
    // Finish() reset the parser: the same stream again gives the same events.
    FUZZ_CHECK(Parse(parser, {data}) == whole);
  }
  for (const auto& pieces : Splits(data)) {
    SseParser split_parser(limits);
    FUZZ_CHECK(Parse(split_parser, pieces) == whole);
  }
}

}  // namespace
}  // namespace llmprobe::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace llmprobe;
  const std::string_view input = fuzz::AsView(data, size);
  fuzz::Check(input, SseLimits());
  const uint64_t h = fuzz::Hash(input);
  SseLimits small;
  small.max_line_bytes = static_cast<size_t>(h % 48);
  small.max_event_bytes = static_cast<size_t>((h >> 8) % 96);
  fuzz::Check(input, small);
  return 0;
}
