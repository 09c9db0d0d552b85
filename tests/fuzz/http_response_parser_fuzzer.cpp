// Fuzzes net::HttpResponseParser (the epoll transport's HTTP/1.1 response parser) with arbitrary
// bytes from a server: up to four pipelined responses on one connection (Reset() between them,
// as the connection does for keep-alive), then the end of the connection. Checks, besides the
// sanitizers:
//  - feeding the bytes whole, in random pieces and one byte at a time gives the same heads,
//    body, final state, error and keep-alive flag (where parsing stopped after an error may
//    depend on the split; the error may not), as the unit tests check for fixed inputs;
//  - Feed() never consumes more than it was given and always makes progress while parsing;
//  - body pieces are never empty, header names are lower-case, one head per response.
// Each input also runs with small limits and as the answer to a HEAD request, both drawn from
// its hash, and with a listener that stops after a number of body bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "FuzzSupport.h"
#include "net/HttpResponseParser.h"

namespace llmprobe::fuzz {
namespace {

using net::HttpHeaders;
using net::HttpResponseLimits;
using net::HttpResponseParser;
using State = HttpResponseParser::State;

constexpr int kMaxResponses = 4;

struct Recorder final : HttpResponseParser::Listener {
  std::string log;
  std::string body;  // of the current response
  int heads = 0;     // of the current response
  size_t stop_after_bytes = std::string::npos;

  void OnResponseHead(int status, const HttpHeaders& headers) override {
    FUZZ_CHECK(heads == 0);
    FUZZ_CHECK(status >= 100 && status <= 999);
    ++heads;
    log += "[" + std::to_string(status);
    for (const auto& [name, value] : headers) {
      for (char c : name) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));  // names are lower-cased
      log += "|" + name + "=" + value;
    }
    log += "]";
  }
  bool OnResponseBody(std::string_view piece) override {
    FUZZ_CHECK(heads == 1);
    FUZZ_CHECK(!piece.empty());
    body.append(piece);
    return body.size() < stop_after_bytes;
  }
};

struct Outcome {
  std::string log;
  int responses = 0;
  State state = State::kHead;
  std::string error;
  bool keep_alive = false;

  bool operator==(const Outcome&) const = default;
};

// One connection: the pieces in order, responses parsed one after the other.
Outcome Parse(const std::vector<std::string_view>& pieces, HttpResponseLimits limits,
              bool head_request, size_t stop_after_bytes) {
  HttpResponseParser parser(limits);
  parser.Reset(head_request);
  Recorder rec;
  rec.stop_after_bytes = stop_after_bytes;
  Outcome out;
  auto end_response = [&] {
    // A listener that stops sees the bytes of the piece that crossed its limit: how many
    // depends on the split, so only the bytes up to the limit are compared.
    rec.log += "{" + std::to_string(parser.status()) +
               " body=" + rec.body.substr(0, stop_after_bytes) +
               " ka=" + std::to_string(parser.keep_alive()) + "}";
    rec.body.clear();
    rec.heads = 0;
    ++out.responses;
  };
  bool done = false;
  for (std::string_view piece : pieces) {
    while (!done && !piece.empty()) {
      const State before = parser.state();
      FUZZ_CHECK(before == State::kHead || before == State::kBody);
      const size_t used = parser.Feed(piece, rec);
      FUZZ_CHECK(used <= piece.size());
      piece.remove_prefix(used);
      const State after = parser.state();
      if (after == State::kHead || after == State::kBody) {
        FUZZ_CHECK(piece.empty());  // while parsing, everything given is consumed
        continue;
      }
      if (after == State::kComplete) {
        end_response();
        if (out.responses == kMaxResponses || !parser.keep_alive()) {
          done = true;  // the rest is not read (the connection would be closed)
        } else {
          parser.Reset(head_request);
        }
      } else {
        done = true;  // kStopped or kError
      }
    }
    if (done) break;
  }
  if (!done) {
    const bool complete = parser.FinishEof();
    FUZZ_CHECK(complete == (parser.state() == State::kComplete));
    if (complete) end_response();
  }
  if (parser.state() != State::kComplete) {
    // Stopped or failed: the body delivered until then (the same whatever the split).
    rec.log += "{partial body=" + rec.body.substr(0, stop_after_bytes) + "}";
  }
  out.log = rec.log;
  out.state = parser.state();
  out.error = parser.error();
  FUZZ_CHECK((out.state == State::kError) == !out.error.empty());
  out.keep_alive = parser.keep_alive();
  return out;
}

void Check(std::string_view data, HttpResponseLimits limits, bool head_request,
           size_t stop_after_bytes) {
  const Outcome whole = Parse({data}, limits, head_request, stop_after_bytes);
  for (const auto& pieces : Splits(data)) {
    FUZZ_CHECK(Parse(pieces, limits, head_request, stop_after_bytes) == whole);
  }
}

}  // namespace
}  // namespace llmprobe::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace llmprobe::fuzz;
  const std::string_view input = AsView(data, size);
  const uint64_t h = Hash(input);
  Check(input, {}, false, std::string::npos);
  HttpResponseLimits small;
  small.max_head_bytes = 16 + static_cast<size_t>(h % 256);
  small.max_chunk_line_bytes = 1 + static_cast<size_t>((h >> 8) % 24);
  Check(input, small, ((h >> 16) & 1) != 0, 1 + static_cast<size_t>((h >> 20) % 64));
  return 0;
}
