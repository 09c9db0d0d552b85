// Fuzzes net::HttpRequestParser (the mock server's HTTP/1.x request parser) with arbitrary bytes
// from a client: requests parsed one after the other (Next() after each, as the mock does),
// up to eight. Checks, besides the sanitizers:
//  - feeding the bytes whole, in random pieces and one byte at a time gives the same requests
//    (method, target, path, headers, body, version, keep-alive) and the same final error;
//  - header names are lower-case, the path is the target up to '?', a body is at most the
//    limit, an error has a status of 400, 413, 431, 501 or 505 and a reason.
// Each input also runs with small limits drawn from its hash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "FuzzSupport.h"
#include "net/HttpRequestParser.h"

namespace llmprobe::fuzz {
namespace {

using net::HttpRequestLimits;
using net::HttpRequestParser;
using State = HttpRequestParser::State;

constexpr int kMaxRequests = 8;

std::string Describe(const net::HttpRequest& r, const HttpRequestLimits& limits) {
  FUZZ_CHECK(r.path == r.target.substr(0, r.target.find('?')));
  FUZZ_CHECK(r.body.size() <= limits.max_body_bytes);
  FUZZ_CHECK(!(r.http10 && r.keep_alive && r.Header("connection") == nullptr));
  std::string out = "[" + r.method + " " + r.target + " v10=" + std::to_string(r.http10) +
                    " ka=" + std::to_string(r.keep_alive);
  for (const auto& [name, value] : r.headers) {
    for (char c : name) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    out += "|" + name + "=" + value;
  }
  return out + " body=" + r.body + "]";
}

std::string Parse(const std::vector<std::string_view>& pieces, HttpRequestLimits limits) {
  HttpRequestParser parser(limits);
  std::string log;
  int requests = 0;
  for (std::string_view piece : pieces) {
    State s = parser.Feed(piece);
    if (parser.TakeExpectContinue()) FUZZ_CHECK(s == State::kIncomplete);
    while (s == State::kComplete && requests < kMaxRequests) {
      log += Describe(parser.request(), limits);
      // The last one is not moved past: what follows it may or may not have arrived.
      if (++requests < kMaxRequests) s = parser.Next();
    }
    if (s == State::kError || requests == kMaxRequests) break;
  }
  if (parser.state() == State::kError) {
    const int st = parser.error_status();
    FUZZ_CHECK(st == 400 || st == 413 || st == 431 || st == 501 || st == 505);
    FUZZ_CHECK(!parser.error().empty());
    log += "{error " + std::to_string(st) + " " + parser.error() + "}";
  }
  return log;
}

void Check(std::string_view data, HttpRequestLimits limits) {
  const std::string whole = Parse({data}, limits);
  for (const auto& pieces : Splits(data)) FUZZ_CHECK(Parse(pieces, limits) == whole);
}

}  // namespace
}  // namespace llmprobe::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace llmprobe::fuzz;
  const std::string_view input = AsView(data, size);
  const uint64_t h = Hash(input);
  Check(input, {});
  HttpRequestLimits small;
  small.max_head_bytes = 16 + static_cast<size_t>(h % 256);
  small.max_body_bytes = static_cast<size_t>((h >> 8) % 64);
  Check(input, small);
  return 0;
}
