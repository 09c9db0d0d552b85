// HttpRequestParser: request line, headers (lower-cased names, trimmed values), Content-Length
// bodies, pipelining, keep-alive rules, every error status with its limit, "Expect:
// 100-continue", and split invariance: feeding the bytes in two pieces at every split point, or
// one byte at a time, yields what feeding them whole yields.
#include "net/HttpRequestParser.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

namespace llmprobe::net {
namespace {

using State = HttpRequestParser::State;

// One request as a comparable string: method, target, path, headers, body, keep-alive.
std::string Describe(const HttpRequest& r) {
  std::string out = r.method + " " + r.target + " path=" + r.path + " [";
  for (const auto& [name, value] : r.headers) out += name + "=" + value + "|";
  out += "] body=" + r.body + " ka=" + std::to_string(r.keep_alive);
  return out;
}

// What a parser made of some input: the complete requests in order, then the final state (and
// the error, if any) and how many times TakeExpectContinue() said yes.
struct Outcome {
  std::vector<HttpRequest> requests;
  State state = State::kIncomplete;
  int error_status = 0;
  std::string error;
  int expect_continues = 0;

  std::string Summary() const {
    std::string out;
    for (const HttpRequest& r : requests) out += Describe(r) + "\n";
    out += "state=" + std::to_string(static_cast<int>(state)) +
           " status=" + std::to_string(error_status) + " error=" + error;
    return out;
  }
};

// Feeds `pieces` in order; after each piece takes every complete request (Next()) and asks
// TakeExpectContinue() once, as a server would.
Outcome Parse(const std::vector<std::string_view>& pieces, HttpRequestLimits limits = {}) {
  HttpRequestParser parser(limits);
  Outcome out;
  for (std::string_view piece : pieces) {
    State state = parser.Feed(piece);
    while (state == State::kComplete) {
      out.requests.push_back(parser.request());
      state = parser.Next();
    }
    if (parser.TakeExpectContinue()) ++out.expect_continues;
  }
  out.state = parser.state();
  if (out.state == State::kError) {
    out.error_status = parser.error_status();
    out.error = parser.error();
  }
  return out;
}

// Checks that every two-piece split and the byte-by-byte feed give what the whole feed gives
// (the number of "100 Continue" answers aside: that depends on where the body starts).
Outcome CheckSplitInvariant(std::string_view bytes, HttpRequestLimits limits = {}) {
  const Outcome whole = Parse({bytes}, limits);
  for (size_t i = 0; i <= bytes.size(); ++i) {
    CAPTURE(i);
    CHECK(Parse({bytes.substr(0, i), bytes.substr(i)}, limits).Summary() == whole.Summary());
  }
  std::vector<std::string_view> bytewise;
  for (size_t i = 0; i < bytes.size(); ++i) bytewise.push_back(bytes.substr(i, 1));
  CHECK(Parse(bytewise, limits).Summary() == whole.Summary());
  return whole;
}

constexpr std::string_view kGet =
    "GET /v1/models?limit=2&x=y HTTP/1.1\r\n"
    "Host: 127.0.0.1:8000\r\n"
    "User-Agent:   curl/8.0  \r\n"
    "ACCEPT:\t*/*\t\r\n"
    "\r\n";

constexpr std::string_view kPost =
    "POST /v1/chat/completions HTTP/1.1\r\n"
    "Host: localhost\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 13\r\n"
    "X-Mixed-Case: Value With Spaces\r\n"
    "\r\n"
    "{\"a\":\"b\\r\\n\"}";

Outcome ParseOne(std::string_view bytes, HttpRequestLimits limits = {}) {
  return Parse({bytes}, limits);
}

TEST_CASE("http request parser: a GET with a query") {
  const Outcome out = ParseOne(kGet);
  REQUIRE(out.requests.size() == 1);
  CHECK(out.state == State::kIncomplete);  // after Next(): waiting for the next request
  const HttpRequest& r = out.requests[0];
  CHECK(r.method == "GET");
  CHECK(r.target == "/v1/models?limit=2&x=y");
  CHECK(r.path == "/v1/models");
  CHECK(r.headers ==
        HttpHeaders{{"host", "127.0.0.1:8000"}, {"user-agent", "curl/8.0"}, {"accept", "*/*"}});
  CHECK(r.body.empty());
  CHECK(r.keep_alive);
  REQUIRE(r.Header("user-agent") != nullptr);
  CHECK(*r.Header("user-agent") == "curl/8.0");
  CHECK(r.Header("User-Agent") == nullptr);  // names are looked up in lower case
  CHECK(r.Header("content-length") == nullptr);
}

TEST_CASE("http request parser: a POST with Content-Length") {
  HttpRequestParser parser;
  REQUIRE(parser.Feed(kPost) == State::kComplete);
  REQUIRE(parser.state() == State::kComplete);
  const HttpRequest& r = parser.request();
  CHECK(r.method == "POST");
  CHECK(r.target == "/v1/chat/completions");
  CHECK(r.path == "/v1/chat/completions");
  CHECK(r.headers == HttpHeaders{{"host", "localhost"},
                                 {"content-type", "application/json"},
                                 {"content-length", "13"},
                                 {"x-mixed-case", "Value With Spaces"}});
  CHECK(r.body == "{\"a\":\"b\\r\\n\"}");
  CHECK(r.keep_alive);
  // Complete until Next(): more bytes are kept for the next request, not parsed into this one.
  CHECK(parser.Feed("GET / HTTP/1.1\r\n") == State::kComplete);
  CHECK(parser.request().body == "{\"a\":\"b\\r\\n\"}");
  CHECK(parser.Next() == State::kIncomplete);
  CHECK(parser.Feed("\r\n") == State::kComplete);
  CHECK(parser.request().method == "GET");
}

TEST_CASE("http request parser: the same result when split at every byte") {
  for (std::string_view bytes : {kGet, kPost}) {
    CAPTURE(bytes);
    const Outcome whole = CheckSplitInvariant(bytes);
    CHECK(whole.requests.size() == 1);
  }
  // Both, pipelined, and an error after a good request.
  const std::string both = std::string(kPost) + std::string(kGet);
  CHECK(CheckSplitInvariant(both).requests.size() == 2);
  const Outcome bad = CheckSplitInvariant(std::string(kGet) + "GET / HTTP/2.0\r\n\r\n");
  CHECK(bad.requests.size() == 1);
  CHECK(bad.error_status == 505);
  // Limits hold under any split.
  HttpRequestLimits limits;
  limits.max_head_bytes = 64;
  limits.max_body_bytes = 12;
  const Outcome over = CheckSplitInvariant(kPost, limits);
  CHECK(over.error_status == 431);
  limits.max_head_bytes = 1024;
  CHECK(CheckSplitInvariant(kPost, limits).error_status == 413);
}

TEST_CASE("http request parser: two pipelined requests in one Feed") {
  const std::string bytes = std::string(kPost) +
                            "GET /health HTTP/1.1\r\n"
                            "Host: other\r\n"
                            "\r\n";
  HttpRequestParser parser;
  REQUIRE(parser.Feed(bytes) == State::kComplete);
  CHECK(parser.request().method == "POST");
  CHECK(parser.request().body == "{\"a\":\"b\\r\\n\"}");
  REQUIRE(parser.Next() == State::kComplete);
  const HttpRequest& second = parser.request();
  CHECK(second.method == "GET");
  CHECK(second.target == "/health");
  CHECK(second.path == "/health");
  // Nothing of the first request leaks into the second: not its headers, not its body.
  CHECK(second.headers == HttpHeaders{{"host", "other"}});
  CHECK(second.body.empty());
  CHECK(second.keep_alive);
  CHECK(parser.Next() == State::kIncomplete);

  // A first request with a body followed by a second with a body of its own.
  const std::string two_bodies = std::string(kPost) +
                                 "POST /v1/completions HTTP/1.1\r\n"
                                 "Content-Length: 3\r\n"
                                 "Connection: close\r\n"
                                 "\r\n"
                                 "xyz";
  const Outcome out = ParseOne(two_bodies);
  REQUIRE(out.requests.size() == 2);
  CHECK(out.requests[0].body == "{\"a\":\"b\\r\\n\"}");
  CHECK(out.requests[0].keep_alive);
  CHECK(out.requests[1].path == "/v1/completions");
  CHECK(out.requests[1].body == "xyz");
  CHECK(out.requests[1].keep_alive == false);
  CHECK(out.requests[1].headers == HttpHeaders{{"content-length", "3"}, {"connection", "close"}});
}

TEST_CASE("http request parser: keep_alive by version and Connection header") {
  auto keep_alive = [](const std::string& version, const std::string& headers) {
    const Outcome out = ParseOne("GET / " + version + "\r\n" + headers + "\r\n");
    REQUIRE(out.requests.size() == 1);
    return out.requests[0].keep_alive;
  };
  CHECK(keep_alive("HTTP/1.1", ""));
  CHECK(keep_alive("HTTP/1.1", "Connection: keep-alive\r\n"));
  CHECK_FALSE(keep_alive("HTTP/1.1", "Connection: close\r\n"));
  CHECK_FALSE(keep_alive("HTTP/1.1", "connection: CLOSE\r\n"));
  CHECK_FALSE(keep_alive("HTTP/1.1", "Connection: Upgrade, close\r\n"));
  CHECK_FALSE(keep_alive("HTTP/1.0", ""));
  CHECK_FALSE(keep_alive("HTTP/1.0", "Connection: close\r\n"));
  CHECK(keep_alive("HTTP/1.0", "Connection: keep-alive\r\n"));
  CHECK(keep_alive("HTTP/1.0", "Connection: Keep-Alive\r\n"));
}

// RFC 9112 9.3/9.6: a "close" option means the connection does not persist, whatever else the
// Connection header(s) say.
TEST_CASE("http request parser: close wins over keep-alive in an HTTP/1.0 request") {
  auto keep_alive = [](const std::string& headers) {
    const Outcome out = ParseOne("GET / HTTP/1.0\r\n" + headers + "\r\n");
    REQUIRE(out.requests.size() == 1);
    return out.requests[0].keep_alive;
  };
  CHECK_FALSE(keep_alive("Connection: keep-alive, close\r\n"));
  CHECK_FALSE(keep_alive("Connection: close, keep-alive\r\n"));
  CHECK_FALSE(keep_alive("Connection: close\r\nConnection: keep-alive\r\n"));
}

TEST_CASE("http request parser: a malformed request line is 400") {
  for (const char* line : {
           "GET /\r\n",                 // no version
           "GET\r\n",                   // method only
           "GET / HTTP/1.1 extra\r\n",  // a fourth part
           "GET  / HTTP/1.1\r\n",       // empty target
           "GET x HTTP/1.1\r\n",        // target not starting with '/'
           "G(T / HTTP/1.1\r\n",        // method not a token
           " GET / HTTP/1.1\r\n",       // empty method
       }) {
    CAPTURE(line);
    const Outcome out = CheckSplitInvariant(std::string(line) + "Host: x\r\n\r\n");
    CHECK(out.requests.empty());
    CHECK(out.state == State::kError);
    CHECK(out.error_status == 400);
    CHECK(out.error == "malformed request line");
  }
  // A malformed header line is 400 too.
  const Outcome header = ParseOne("GET / HTTP/1.1\r\nno colon here\r\n\r\n");
  CHECK(header.error_status == 400);
  const Outcome space = ParseOne("GET / HTTP/1.1\r\nHost : x\r\n\r\n");
  CHECK(space.error_status == 400);
}

TEST_CASE("http request parser: a bad or conflicting Content-Length is 400") {
  for (const char* value :
       {"abc", "-1", "+5", "1 2", "", "0x10", "5,5", "99999999999999999999999"}) {
    CAPTURE(value);
    const Outcome out =
        ParseOne(std::string("POST / HTTP/1.1\r\nContent-Length: ") + value + "\r\n\r\nhello");
    CHECK(out.requests.empty());
    CHECK(out.error_status == 400);
    CHECK(out.error == "bad Content-Length");
  }
  const Outcome conflict =
      ParseOne("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
  CHECK(conflict.requests.empty());
  CHECK(conflict.error_status == 400);
  // The same length twice is one length.
  const Outcome same =
      ParseOne("POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello");
  REQUIRE(same.requests.size() == 1);
  CHECK(same.requests[0].body == "hello");
  // Once in error, the parser stays there.
  HttpRequestParser parser;
  CHECK(parser.Feed("POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n") == State::kError);
  CHECK(parser.Feed("GET / HTTP/1.1\r\n\r\n") == State::kError);
  CHECK(parser.Next() == State::kError);
  CHECK(parser.error_status() == 400);
}

TEST_CASE("http request parser: a body over the limit is 413, as soon as the head says so") {
  HttpRequestLimits limits;
  limits.max_body_bytes = 10;
  const Outcome at_limit =
      CheckSplitInvariant("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", limits);
  REQUIRE(at_limit.requests.size() == 1);
  CHECK(at_limit.requests[0].body == "0123456789");
  // Refused from the head alone: the body need not arrive.
  HttpRequestParser parser(limits);
  CHECK(parser.Feed("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n") == State::kError);
  CHECK(parser.error_status() == 413);
  CHECK(parser.error().find("10 bytes") != std::string::npos);
  // The default limit is 1 MiB.
  HttpRequestParser defaults;
  CHECK(defaults.Feed("POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n") == State::kError);
  CHECK(defaults.error_status() == 413);
  HttpRequestParser mib;
  CHECK(mib.Feed("POST / HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n") == State::kIncomplete);
}

TEST_CASE("http request parser: a head over the limit is 431, also before its end arrives") {
  const std::string head = "GET / HTTP/1.1\r\nX-Pad: " + std::string(40, 'p') + "\r\n\r\n";
  HttpRequestLimits limits;
  limits.max_head_bytes = head.size();  // the limit counts the empty line
  REQUIRE(CheckSplitInvariant(head, limits).requests.size() == 1);
  limits.max_head_bytes = head.size() - 1;
  const Outcome over = CheckSplitInvariant(head, limits);
  CHECK(over.requests.empty());
  CHECK(over.error_status == 431);
  CHECK(over.error == "request head over " + std::to_string(head.size() - 1) + " bytes");

  // No CRLFCRLF yet: refused once the buffered head passes the limit, not left to grow.
  limits.max_head_bytes = 64;
  HttpRequestParser parser(limits);
  const std::string start = "GET / HTTP/1.1\r\nX-Pad: ";
  CHECK(parser.Feed(start) == State::kIncomplete);
  CHECK(parser.Feed(std::string(64 - start.size(), 'p')) == State::kIncomplete);  // at the limit
  CHECK(parser.Feed("p") == State::kError);
  CHECK(parser.error_status() == 431);
  // The default limit is 16 KiB.
  HttpRequestParser defaults;
  CHECK(defaults.Feed("GET / HTTP/1.1\r\nX-Pad: " + std::string(16 * 1024, 'p')) == State::kError);
  CHECK(defaults.error_status() == 431);
}

TEST_CASE("http request parser: Transfer-Encoding is 501, HTTP/2.0 is 505") {
  const Outcome chunked = CheckSplitInvariant(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  CHECK(chunked.requests.empty());
  CHECK(chunked.error_status == 501);
  CHECK(ParseOne("POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n").error_status == 501);
  const Outcome h2 = CheckSplitInvariant("GET / HTTP/2.0\r\nHost: x\r\n\r\n");
  CHECK(h2.requests.empty());
  CHECK(h2.error_status == 505);
  CHECK(ParseOne("GET / HTTP/1.2\r\n\r\n").error_status == 505);
  CHECK(ParseOne("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").state == State::kError);
}

TEST_CASE("http request parser: Expect 100-continue is reported once, before the body") {
  const std::string head =
      "POST /v1/completions HTTP/1.1\r\n"
      "Content-Length: 5\r\n"
      "Expect: 100-continue\r\n"
      "\r\n";
  HttpRequestParser parser;
  CHECK_FALSE(parser.TakeExpectContinue());
  CHECK(parser.Feed(head.substr(0, head.size() - 1)) == State::kIncomplete);
  CHECK_FALSE(parser.TakeExpectContinue());  // the head is not complete yet
  CHECK(parser.Feed("\n") == State::kIncomplete);
  CHECK(parser.TakeExpectContinue());
  CHECK_FALSE(parser.TakeExpectContinue());  // once
  CHECK(parser.Feed("he") == State::kIncomplete);
  CHECK_FALSE(parser.TakeExpectContinue());
  CHECK(parser.Feed("llo") == State::kComplete);
  CHECK_FALSE(parser.TakeExpectContinue());
  CHECK(parser.request().body == "hello");
  CHECK(*parser.request().Header("expect") == "100-continue");

  // Head and body in the same read: no "100 Continue" (the body is already here).
  HttpRequestParser together;
  CHECK(together.Feed(head + "hello") == State::kComplete);
  CHECK_FALSE(together.TakeExpectContinue());
  CHECK(Parse({head + "hello"}).expect_continues == 0);
  CHECK(Parse({head, "hello"}).expect_continues == 1);
  CHECK(Parse({head + "he", "llo"}).expect_continues == 1);

  // Nothing to wait for without a body; case-insensitive value.
  CHECK(Parse({"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n"})
            .expect_continues == 0);
  CHECK(Parse({"POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n", "ok"})
            .expect_continues == 1);
  // A body refused by its length is answered with the error, not with 100 Continue.
  HttpRequestLimits limits;
  limits.max_body_bytes = 4;
  HttpRequestParser refused(limits);
  CHECK(refused.Feed(head) == State::kError);
  CHECK_FALSE(refused.TakeExpectContinue());
  CHECK(refused.error_status() == 413);

  // A pipelined request's expectation is its own.
  HttpRequestParser pipelined;
  CHECK(pipelined.Feed("GET /a HTTP/1.1\r\n\r\n" + head) == State::kComplete);
  CHECK_FALSE(pipelined.TakeExpectContinue());
  CHECK(pipelined.Next() == State::kIncomplete);
  CHECK(pipelined.TakeExpectContinue());
}

TEST_CASE("http request parser: empty lines before a request line are ignored") {
  const Outcome out = CheckSplitInvariant("\r\n\r\n\nGET /a HTTP/1.1\r\n\r\n");
  REQUIRE(out.requests.size() == 1);
  CHECK(out.requests[0].path == "/a");
  // Between pipelined requests too (a client ending a body with an extra CRLF).
  const Outcome two = CheckSplitInvariant(
      "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nok\r\n"
      "GET /b HTTP/1.1\r\n\r\n");
  REQUIRE(two.requests.size() == 2);
  CHECK(two.requests[0].body == "ok");
  CHECK(two.requests[1].path == "/b");
  CHECK(two.requests[1].headers.empty());
  // Only empty lines: nothing buffered, nothing counted against the head limit.
  HttpRequestLimits limits;
  limits.max_head_bytes = 32;
  HttpRequestParser parser(limits);
  for (int i = 0; i < 100; ++i) CHECK(parser.Feed("\r\n") == State::kIncomplete);
  CHECK(parser.Feed("GET / HTTP/1.1\r\n\r\n") == State::kComplete);
}

TEST_CASE("http request parser: pipelined bytes behind a complete request are bounded") {
  HttpRequestLimits limits;
  limits.max_head_bytes = 64;
  limits.max_body_bytes = 32;
  HttpRequestParser parser(limits);
  REQUIRE(parser.Feed("GET /a HTTP/1.1\r\n\r\n") == State::kComplete);
  // Up to one request's worth (head + body limits) is kept for the next request...
  CHECK(parser.Feed(std::string(90, 'x')) == State::kComplete);
  // ...more is dropped, and the next request fails instead of growing the buffer.
  CHECK(parser.Feed(std::string(10, 'x')) == State::kComplete);
  CHECK(parser.Next() == State::kError);
  CHECK(parser.error_status() == 400);
}

}  // namespace
}  // namespace llmprobe::net
