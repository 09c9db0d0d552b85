// HttpResponseParser: framing (chunked with extensions and trailers, Content-Length,
// close-delimited, no-body statuses, 1xx), limits, errors, and split invariance: feeding the
// bytes in two pieces at every split point, or one byte at a time, yields what feeding them
// whole yields.
#include "net/HttpResponseParser.h"

#include <doctest/doctest.h>

#include "net/HttpRequestEncoder.h"

#include <string>
#include <string_view>

namespace llmprobe::net {
namespace {

// Records everything the parser reports as one comparable string.
struct Recorder final : HttpResponseParser::Listener {
  std::string log;
  std::string body;
  int heads = 0;
  size_t stop_after_bytes = std::string::npos;  // return false once body reaches this size

  void OnResponseHead(int status, const HttpHeaders& headers) override {
    ++heads;
    log += "[" + std::to_string(status);
    for (const auto& [name, value] : headers) log += "|" + name + "=" + value;
    log += "]";
  }
  bool OnResponseBody(std::string_view piece) override {
    REQUIRE(!piece.empty());
    body.append(piece);
    return body.size() < stop_after_bytes;
  }
};

struct Outcome {
  std::string log, body, error, rest;
  HttpResponseParser::State state;
  bool keep_alive = false;
  std::string Summary() const {
    // Where parsing stopped after an error may depend on the split; the error may not.
    const bool ok = state != HttpResponseParser::State::kError;
    return log + " body=" + body + " state=" + std::to_string(static_cast<int>(state)) +
           " err=" + error + (ok ? " rest=" + rest : "") + " ka=" + std::to_string(keep_alive);
  }
};

// Feeds `pieces` in order (each fully, re-feeding what a piece left unconsumed only to find
// the remainder), then EOF if asked.
Outcome Parse(const std::vector<std::string_view>& pieces, bool eof = false,
              HttpResponseLimits limits = {}, bool head_request = false) {
  HttpResponseParser parser(limits);
  parser.Reset(head_request);
  Recorder rec;
  Outcome out;
  for (std::string_view piece : pieces) {
    if (parser.state() != HttpResponseParser::State::kHead &&
        parser.state() != HttpResponseParser::State::kBody) {
      out.rest.append(piece);
      continue;
    }
    const size_t used = parser.Feed(piece, rec);
    REQUIRE(used <= piece.size());
    out.rest.append(piece.substr(used));
  }
  if (eof) parser.FinishEof();
  out.log = rec.log;
  out.body = rec.body;
  out.error = parser.error();
  out.state = parser.state();
  out.keep_alive = parser.keep_alive();
  return out;
}

// Checks that every two-piece split and the byte-by-byte feed match the whole feed.
Outcome CheckSplitInvariant(std::string_view bytes, bool eof = false,
                            HttpResponseLimits limits = {}) {
  const Outcome whole = Parse({bytes}, eof, limits);
  for (size_t i = 0; i <= bytes.size(); ++i) {
    const Outcome split = Parse({bytes.substr(0, i), bytes.substr(i)}, eof, limits);
    CAPTURE(i);
    REQUIRE(split.Summary() == whole.Summary());
  }
  std::vector<std::string_view> bytewise;
  for (size_t i = 0; i < bytes.size(); ++i) bytewise.push_back(bytes.substr(i, 1));
  const Outcome one_by_one = Parse(bytewise, eof, limits);
  REQUIRE(one_by_one.Summary() == whole.Summary());
  return whole;
}

}  // namespace

TEST_CASE("chunked body with extensions and trailers, split at every byte") {
  const std::string response =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream\r\n"
      "Transfer-Encoding: chunked\r\n"
      "X-Mixed-Case:  padded value \t\r\n"
      "\r\n"
      "5;name=value;other=\"quoted\"\r\nhello\r\n"
      "1\r\n \r\n"
      "A \r\n0123456789\r\n"
      "0;last\r\n"
      "Trailer-One: 1\r\n"
      "Trailer-Two: 2\r\n"
      "\r\n";
  const Outcome out = CheckSplitInvariant(response);
  CHECK(out.state == HttpResponseParser::State::kComplete);
  CHECK(out.log ==
        "[200|content-type=text/event-stream|transfer-encoding=chunked|x-mixed-case=padded "
        "value]");
  CHECK(out.body == "hello 0123456789");
  CHECK(out.keep_alive);
  CHECK(out.rest.empty());
}

TEST_CASE("chunked body: bytes after the final chunk are left unconsumed") {
  const std::string response =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nHTTP/1.1";
  const Outcome out = CheckSplitInvariant(response);
  CHECK(out.state == HttpResponseParser::State::kComplete);
  CHECK(out.body == "abc");
  CHECK(out.rest == "HTTP/1.1");
}

TEST_CASE("bare LF line endings are accepted") {
  const Outcome out =
      CheckSplitInvariant("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nok\n0\n\n");
  CHECK(out.state == HttpResponseParser::State::kComplete);
  CHECK(out.body == "ok");
}

TEST_CASE("content-length body, split at every byte, keep-alive rules") {
  const Outcome out = CheckSplitInvariant(
      "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 11\r\nRetry-After: 3\r\n\r\n"
      "hello worldEXTRA");
  CHECK(out.state == HttpResponseParser::State::kComplete);
  CHECK(out.log == "[429|content-length=11|retry-after=3]");
  CHECK(out.body == "hello world");
  CHECK(out.rest == "EXTRA");
  CHECK(out.keep_alive);

  CHECK_FALSE(
      Parse({"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"}).keep_alive);
  CHECK_FALSE(Parse({"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"}).keep_alive);
  CHECK(
      Parse({"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"}).keep_alive);
  const Outcome empty = Parse({"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"});
  CHECK(empty.state == HttpResponseParser::State::kComplete);
  CHECK(empty.body.empty());
  // Repeated identical values are one length; differing ones are an error.
  CHECK(Parse({"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok"}).body == "ok");
  CHECK(Parse({"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"}).state ==
        HttpResponseParser::State::kError);
  CHECK(Parse({"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"}).state ==
        HttpResponseParser::State::kError);
}

TEST_CASE("a body without framing runs until the connection closes") {
  const Outcome out = CheckSplitInvariant("HTTP/1.1 200 OK\r\n\r\ndata: a\n\ndata: b\n\n", true);
  CHECK(out.state == HttpResponseParser::State::kComplete);
  CHECK(out.body == "data: a\n\ndata: b\n\n");
  CHECK_FALSE(out.keep_alive);
  const Outcome open = Parse({"HTTP/1.1 200 OK\r\n\r\npartial"}, false);
  CHECK(open.state == HttpResponseParser::State::kBody);
  // Transfer-Encoding without chunked as the final coding also reads until close.
  CHECK(Parse({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxyz"}, true).body ==
        "xyz");
}

TEST_CASE("EOF before the end of a framed response is an error") {
  const Outcome cl = Parse({"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"}, true);
  CHECK(cl.state == HttpResponseParser::State::kError);
  CHECK(cl.error == "connection closed with 7 body bytes missing");
  const Outcome chunked =
      Parse({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"}, true);
  CHECK(chunked.state == HttpResponseParser::State::kError);
  CHECK(chunked.error == "connection closed inside a chunked body");
  CHECK(chunked.body == "ab");
  CHECK(Parse({""}, true).error == "connection closed before the response");
  CHECK(Parse({"HTTP/1.1 200"}, true).error == "connection closed inside the response head");
}

TEST_CASE("1xx interim responses are skipped, 204, 304 and HEAD have no body") {
  const Outcome out = CheckSplitInvariant(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  CHECK(out.log == "[200|content-length=2]");
  CHECK(out.body == "ok");
  const Outcome no_content = Parse({"HTTP/1.1 204 No Content\r\n\r\nrest"});
  CHECK(no_content.state == HttpResponseParser::State::kComplete);
  CHECK(no_content.rest == "rest");
  CHECK(Parse({"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"}).state ==
        HttpResponseParser::State::kComplete);
  const Outcome head = Parse({"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"}, false, {}, true);
  CHECK(head.state == HttpResponseParser::State::kComplete);
  CHECK(head.body.empty());
}

TEST_CASE("oversized heads, chunk lines and trailers are errors, at any split") {
  HttpResponseLimits limits;
  limits.max_head_bytes = 64;
  limits.max_chunk_line_bytes = 16;
  const std::string big_head = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(100, 'x') + "\r\n\r\n";
  const Outcome head = CheckSplitInvariant(big_head, false, limits);
  CHECK(head.state == HttpResponseParser::State::kError);
  CHECK(head.error == "response head exceeds 64 bytes");
  CHECK(head.log.empty());
  // A head that just fits is fine.
  const std::string fits =
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: " + std::string(64 - 43, 'y') + "\r\n\r\n";
  REQUIRE(fits.size() == 64);
  CHECK(CheckSplitInvariant(fits, false, limits).state == HttpResponseParser::State::kComplete);
  const std::string long_ext = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
                               std::string(40, 'e') + "\r\nx\r\n0\r\n\r\n";
  const Outcome ext = CheckSplitInvariant(long_ext, false, limits);
  CHECK(ext.state == HttpResponseParser::State::kError);
  CHECK(ext.error == "chunk size line exceeds 16 bytes");
  const std::string big_trailer =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: " + std::string(100, 't') +
      "\r\n\r\n";
  CHECK(CheckSplitInvariant(big_trailer, false, limits).error == "trailers exceed 64 bytes");
  // Many small trailer lines count together.
  std::string many = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  for (int i = 0; i < 20; ++i) many += "T: x\r\n";
  CHECK(Parse({many + "\r\n"}, false, limits).error == "trailers exceed 64 bytes");
}

TEST_CASE("malformed responses are errors") {
  CHECK(Parse({"HTTP/2 200 OK\r\n\r\n"}).error == "malformed status line: \"HTTP/2 200 OK\"");
  CHECK(Parse({"HTTP/1.1 20 OK\r\n\r\n"}).state == HttpResponseParser::State::kError);
  // Found by fuzz_http_response_parser: a status code below 100 ("078") was taken as 78.
  CHECK(Parse({"HTTP/1.0 078 Internal Server Error\r\n\r\n"}).error ==
        "malformed status line: \"HTTP/1.0 078 Internal Server Error\"");
  CHECK(Parse({"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"}).error ==
        "malformed header line: \"no colon here\"");
  CHECK(Parse({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}).error ==
        "malformed chunk size line: \"zz\"");
  CHECK(Parse({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n"}).error ==
        "missing CRLF after chunk data");
  CHECK(
      Parse({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1234567890abcdef0\r\n"}).state ==
      HttpResponseParser::State::kError);
  // A status line without a reason phrase is valid.
  CHECK(Parse({"HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx"}).body == "x");
  // Folded header lines are joined.
  CHECK(Parse({"HTTP/1.1 200 OK\r\nX-A: one\r\n  two\r\nContent-Length: 0\r\n\r\n"}).log ==
        "[200|x-a=one two|content-length=0]");
}

TEST_CASE("the listener stops the parser") {
  HttpResponseParser parser;
  parser.Reset();
  Recorder rec;
  rec.stop_after_bytes = 3;
  const std::string response =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n";
  const size_t used = parser.Feed(response, rec);
  CHECK(parser.state() == HttpResponseParser::State::kStopped);
  CHECK(rec.body == "abc");
  CHECK(used == response.find("abc") + 3);
  CHECK(parser.Feed("more", rec) == 0);
}

TEST_CASE("Reset makes the parser ready for the next response on the connection") {
  HttpResponseParser parser;
  Recorder rec;
  parser.Reset();
  std::string two = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na";
  CHECK(parser.Feed(two, rec) == two.size());
  CHECK(parser.complete());
  parser.Reset();
  CHECK(parser.Feed("HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nb", rec) > 0);
  CHECK(parser.complete());
  CHECK(rec.log == "[200|content-length=1][201|content-length=1]");
  CHECK(rec.body == "ab");
}

// The request side of the same HTTP/1.1 client: what the response above answers.
TEST_CASE("request encoder: Host, Content-Length and User-Agent unless given") {
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json"}, {"Authorization", "Bearer x"}};
  HttpRequestParts parts;
  parts.method = "POST";
  parts.target = "/v1/chat/completions";
  const std::string host = HostHeaderValue("api.example.com", 443, true);
  parts.host = host;
  parts.headers = &headers;
  parts.body = "{}";
  parts.user_agent = "llmprobe/0.1.0";
  auto out = EncodeHttpRequest(parts);
  REQUIRE(out.ok());
  CHECK(out.value() ==
        "POST /v1/chat/completions HTTP/1.1\r\nHost: api.example.com\r\n"
        "Content-Type: application/json\r\nAuthorization: Bearer x\r\n"
        "User-Agent: llmprobe/0.1.0\r\nContent-Length: 2\r\n\r\n{}");
  const std::vector<std::pair<std::string, std::string>> own = {{"user-agent", "me"},
                                                                {"Content-Length", "2"}};
  parts.headers = &own;
  CHECK(EncodeHttpRequest(parts).value() ==
        "POST /v1/chat/completions HTTP/1.1\r\nHost: api.example.com\r\nuser-agent: me\r\n"
        "Content-Length: 2\r\n\r\n{}");
  CHECK(HostHeaderValue("::1", 8000, false) == "[::1]:8000");
  CHECK(HostHeaderValue("localhost", 80, false) == "localhost");
  CHECK(HostHeaderValue("localhost", 443, false) == "localhost:443");
}

TEST_CASE("request encoder: CR/LF in a header, method or target is refused") {
  HttpRequestParts parts;
  parts.method = "POST";
  parts.target = "/x";
  parts.host = "h";
  std::vector<std::pair<std::string, std::string>> bad = {{"X-A", "1\r\nX-Injected: 2"}};
  parts.headers = &bad;
  CHECK_FALSE(EncodeHttpRequest(parts).ok());
  bad = {{"X A", "1"}};
  CHECK_FALSE(EncodeHttpRequest(parts).ok());
  parts.headers = nullptr;
  parts.target = "/x HTTP/1.1\r\nHost: evil";
  CHECK_FALSE(EncodeHttpRequest(parts).ok());
  parts.target = "/x";
  parts.method = "PO ST";
  CHECK_FALSE(EncodeHttpRequest(parts).ok());
}

}  // namespace llmprobe::net
