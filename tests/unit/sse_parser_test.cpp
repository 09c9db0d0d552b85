// SseParser: framing rules, limits, and split-invariance (any split of the bytes yields the
// same events as feeding them whole).
#include "protocol/SseParser.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace llmprobe {
namespace {

std::string ReadFixture(const std::string& name) {
  const std::string path = std::string(LLMPROBE_TESTDATA_DIR) + "/streams/" + name;
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::vector<std::string> kFixtures = {
    "openai_chat.sse",       "openai_completions.sse",     "vllm_reasoning.sse",
    "openai_tool_calls.sse", "openai_error_midstream.sse", "sse_error_event.sse",
    "crlf_keepalive.sse",
};

// The outcome of parsing a whole stream, printed so that failures are readable.
struct Parsed {
  std::string events;  // one "[type|data]" per event, data with \n shown as "\\n"
  SseParser::Error error = SseParser::Error::kNone;
  std::string Summary() const {
    return events + (error == SseParser::Error::kNone
                         ? ""
                         : " ERROR " + std::to_string(static_cast<int>(error)));
  }
};

Parsed Parse(const std::vector<std::string_view>& chunks, SseLimits limits = SseLimits()) {
  SseParser parser(limits);
  Parsed out;
  const SseParser::EventSink sink = [&](const SseEvent& e) {
    out.events += "[" + std::string(e.type) + "|";
    for (char c : e.data) out.events += c == '\n' ? std::string("\\n") : std::string(1, c);
    out.events += "]";
  };
  bool ok = true;
  for (std::string_view chunk : chunks) {
    ok = parser.Feed(chunk, sink);
    if (!ok) break;
  }
  if (ok) parser.Finish(sink);
  out.error = parser.error();
  return out;
}

std::string ParseWhole(std::string_view s, SseLimits limits = SseLimits()) {
  return Parse({s}, limits).Summary();
}

// Every two-part split and the one-byte-at-a-time feed give the result of the whole feed.
void CheckSplitInvariance(std::string_view input, SseLimits limits = SseLimits()) {
  const std::string whole = ParseWhole(input, limits);
  for (size_t i = 0; i <= input.size(); ++i) {
    const std::string split = Parse({input.substr(0, i), input.substr(i)}, limits).Summary();
    if (split != whole) {
      FAIL_CHECK("split at " << i << " gave " << split << " instead of " << whole);
      return;
    }
  }
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < input.size(); ++i) {
    bytes.push_back(input.substr(i, 1));
    bytes.push_back({});  // empty feeds in between change nothing
  }
  CHECK(Parse(bytes, limits).Summary() == whole);
}

std::string Replace(std::string s, std::string_view from, std::string_view to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

TEST_CASE("sse parser: data, spacing, multi-line data, event type") {
  CHECK(ParseWhole("data: hello\n\n") == "[|hello]");
  CHECK(ParseWhole("data:hello\n\n") == "[|hello]");
  CHECK(ParseWhole("data:  two spaces\n\n") == "[| two spaces]");
  CHECK(ParseWhole("data: a\ndata: b\ndata:\n\n") == "[|a\\nb\\n]");
  CHECK(ParseWhole("data\n\n") == "[|]");  // a field name without colon has an empty value
  CHECK(ParseWhole("data: a: b\n\n") == "[|a: b]");
  CHECK(ParseWhole("event: error\ndata: x\n\ndata: y\n\n") == "[error|x][|y]");
  // An event without data is not dispatched, and its type does not leak into the next event.
  CHECK(ParseWhole("event: ping\n\ndata: z\n\n") == "[|z]");
  CHECK(ParseWhole("\n\n\n") == "");
}

TEST_CASE("sse parser: comments, id, retry and unknown fields are ignored") {
  CHECK(ParseWhole(": keep-alive\n\n:\nid: 7\nretry: 100\nfoo: bar\nnocolon\ndata: v\n\n") ==
        "[|v]");
  CHECK(ParseWhole("data: a\n: comment inside an event\ndata: b\n\n") == "[|a\\nb]");
}

TEST_CASE("sse parser: LF, CRLF and lone CR line endings") {
  const std::string lf = "event: e\ndata: a\ndata: b\n\n: c\ndata: d\n\n";
  const std::string expected = "[e|a\\nb][|d]";
  CHECK(ParseWhole(lf) == expected);
  CHECK(ParseWhole(Replace(lf, "\n", "\r\n")) == expected);
  CHECK(ParseWhole(Replace(lf, "\n", "\r")) == expected);
  CHECK(ParseWhole("data: a\r\ndata: b\rdata: c\n\r\n") == "[|a\\nb\\nc]");
  CheckSplitInvariance(Replace(lf, "\n", "\r"));
  CheckSplitInvariance("data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r");
}

TEST_CASE("sse parser: a CR ending one feed and an LF starting the next are one line ending") {
  CHECK(Parse({"data: a\r", "\ndata: b\n\n"}).Summary() == "[|a\\nb]");
  CHECK(Parse({"data: a\r", "", "\ndata: b\n\n"}).Summary() == "[|a\\nb]");
  // CR ends "data: a"; the next CR is a blank line (dispatch); the LF after it is its pair.
  CHECK(Parse({"data: a\r", "\r", "\ndata: b\n\n"}).Summary() == "[|a][|b]");
}

TEST_CASE("sse parser: a UTF-8 BOM is skipped only at the start of the stream") {
  CHECK(ParseWhole("\xEF\xBB\xBF"
                   "data: x\n\n") == "[|x]");
  CHECK(Parse({"\xEF", "\xBB",
               "\xBF"
               "data: x\n\n"})
            .Summary() == "[|x]");
  // Later, the same bytes are part of a field name, which is then unknown.
  CHECK(ParseWhole("data: a\n\n\xEF\xBB\xBF"
                   "data: b\n\n") == "[|a]");
  CheckSplitInvariance(
      "\xEF\xBB\xBF"
      "data: x\n\n");
  // Bytes held back as a possible BOM are content when the BOM does not complete: with a
  // 2-byte line limit, "\xEF\xBBX" is too long while "X" alone would not be.
  SseLimits tiny;
  tiny.max_line_bytes = 2;
  CHECK(Parse({"\xEF\xBB", "X\n"}, tiny).error == SseParser::Error::kLineTooLong);
  CHECK(Parse({"\xEF\xBB\xBF", "X\n"}, tiny).error == SseParser::Error::kNone);
  CHECK(Parse({"\xEF\xBB"}).Summary() == "");  // a body that is only a BOM prefix
}

TEST_CASE("sse parser: a line longer than the limit is an error, whatever the split") {
  SseLimits limits;
  limits.max_line_bytes = 8;
  CHECK(ParseWhole("data: 12\n\n", limits) == "[|12]");  // exactly 8 bytes
  CHECK(Parse({"data: 123\n\n"}, limits).error == SseParser::Error::kLineTooLong);
  CHECK(Parse({"data: 123"}, limits).error == SseParser::Error::kLineTooLong);  // no terminator
  CheckSplitInvariance("data: 12\n\ndata: 123\n\n", limits);

  // The default limit is 1 MiB; a longer unterminated line fails before the body ends.
  SseParser parser;
  const SseParser::EventSink sink = [](const SseEvent&) {};
  const std::string chunk(64 * 1024, 'x');
  bool ok = parser.Feed("data: ", sink);
  for (int i = 0; i < 16 && ok; ++i) ok = parser.Feed(chunk, sink);
  CHECK(ok == false);
  CHECK(parser.error() == SseParser::Error::kLineTooLong);
  CHECK(parser.error_message() == "SSE line longer than 1048576 bytes");
  // The parser stays failed.
  CHECK_FALSE(parser.Feed("\n\n", sink));
  CHECK_FALSE(parser.Finish(sink));
}

TEST_CASE("sse parser: joined event data longer than the limit is an error") {
  SseLimits limits;
  limits.max_event_bytes = 10;
  CHECK(ParseWhole("data: 123456\ndata: 789\n\n", limits) == "[|123456\\n789]");  // 10 bytes
  CHECK(Parse({"data: 123456\ndata: 7890\n\n"}, limits).error == SseParser::Error::kEventTooLong);
  CheckSplitInvariance("data: 123456\ndata: 7890\n\n", limits);
}

TEST_CASE("sse parser: Finish dispatches a trailing event that has data") {
  CHECK(ParseWhole("data: last") == "[|last]");
  CHECK(ParseWhole("data: [DONE]\n") == "[|[DONE]]");
  CHECK(ParseWhole("data: a\n\ndata: b\r") == "[|a][|b]");
  CHECK(ParseWhole("event: e\n") == "");
  CHECK(ParseWhole(": only a comment") == "");

  // After Finish the parser starts a new stream (a BOM is skipped again).
  SseParser parser;
  std::string got;
  const SseParser::EventSink sink = [&](const SseEvent& e) { got += std::string(e.data) + ";"; };
  CHECK(parser.Feed("data: one", sink));
  CHECK(parser.Finish(sink));
  CHECK(
      parser.Feed("\xEF\xBB\xBF"
                  "data: two\n\n",
                  sink));
  CHECK(parser.Finish(sink));
  CHECK(got == "one;two;");
}

TEST_CASE("sse parser: every fixture gives the same events under every split") {
  for (const std::string& name : kFixtures) {
    CAPTURE(name);
    const std::string body = ReadFixture(name);
    CHECK(ParseWhole(body).find("ERROR") == std::string::npos);
    CheckSplitInvariance(body);
  }
}

TEST_CASE("sse parser: the CRLF fixture parses like its LF and CR versions") {
  const std::string crlf = ReadFixture("crlf_keepalive.sse");
  // Guards against a checkout that normalized the line endings.
  REQUIRE(crlf.find("\r\n") != std::string::npos);
  const std::string expected = ParseWhole(crlf);
  CHECK(expected.find("[message|") != std::string::npos);
  CHECK(ParseWhole(Replace(crlf, "\r\n", "\n")) == expected);
  CHECK(ParseWhole(Replace(crlf, "\r\n", "\r")) == expected);
}

TEST_CASE("sse parser: event views cover the whole data of large events") {
  std::string payload(300 * 1024, 'a');
  payload[1000] = 'b';
  const std::string body = "data: " + payload + "\n\n";
  SseParser parser;
  size_t size = 0;
  const SseParser::EventSink sink = [&](const SseEvent& e) {
    size = e.data.size();
    CHECK(e.data == payload);
  };
  for (size_t pos = 0; pos < body.size(); pos += 4096) {
    REQUIRE(parser.Feed(std::string_view(body).substr(pos, 4096), sink));
  }
  CHECK(size == payload.size());
}

}  // namespace
}  // namespace llmprobe
