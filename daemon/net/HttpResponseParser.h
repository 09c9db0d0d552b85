// An incremental HTTP/1.1 response parser for a client: status line and headers (names
// lower-cased, size bounded), then the body framed by Transfer-Encoding: chunked (extensions
// and trailers skipped), Content-Length, or the end of the connection. 1xx interim responses
// are skipped; 204, 304 and responses to HEAD have no body. Body bytes are handed out as views
// into the caller's buffer, de-chunked, one call per contiguous piece: nothing is copied.
//
// Not thread-safe; one parser per connection, Reset() between responses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmprobe::net {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponseLimits {
  size_t max_head_bytes = 64 * 1024;       // status line + headers (and, separately, trailers)
  size_t max_chunk_line_bytes = 4 * 1024;  // chunk size + extensions
};

class HttpResponseParser {
 public:
  using Limits = HttpResponseLimits;

  // Receives the parts of one response, in order, from inside Feed()/FinishEof().
  class Listener {
   public:
    virtual void OnResponseHead(int status, const HttpHeaders& headers) = 0;
    // A piece of the (de-chunked) body. Return false to stop parsing (state kStopped).
    virtual bool OnResponseBody(std::string_view piece) = 0;

   protected:
    ~Listener() = default;
  };

  enum class State {
    kHead,      // reading the status line and headers
    kBody,      // reading a body (any framing)
    kComplete,  // the response ended; Feed() consumes nothing more
    kStopped,   // the listener returned false
    kError,     // malformed or over a limit; see error()
  };

  explicit HttpResponseParser(Limits limits = {}) : limits_(limits) {}

  // Prepares for the next response; `head_request` = the request was HEAD (no body follows).
  void Reset(bool head_request = false);
  // Parses `data`, calling the listener. Returns the number of bytes consumed: all of `data`,
  // unless the response completed (the rest is not part of it), the listener stopped, or an
  // error occurred.
  size_t Feed(std::string_view data, Listener& listener);
  // The peer closed the connection: completes a body delimited by the close; anything else
  // unfinished becomes an error. Returns state() == kComplete.
  bool FinishEof();

  State state() const { return state_; }
  bool complete() const { return state_ == State::kComplete; }
  const std::string& error() const { return error_; }
  int status() const { return status_; }
  // After the head: whether the connection may carry another request once this response is
  // complete (HTTP/1.1 without "Connection: close", HTTP/1.0 with keep-alive, not
  // close-delimited).
  bool keep_alive() const { return keep_alive_; }
  // Whether the body runs until the connection closes.
  bool close_delimited() const { return framing_ == Framing::kUntilClose; }

 private:
  enum class Framing { kNone, kLength, kChunked, kUntilClose };
  enum class ChunkStep { kSize, kData, kDataEnd, kTrailers };

  size_t FeedHead(std::string_view data, Listener& listener);
  size_t FeedBody(std::string_view data, Listener& listener);
  size_t FeedChunked(std::string_view data, Listener& listener);
  bool ParseHead(std::string_view head, Listener& listener);
  bool ParseChunkSize(std::string_view line);
  size_t Fail(std::string message, size_t consumed);

  const Limits limits_;
  State state_ = State::kHead;
  std::string error_;
  bool head_request_ = false;
  std::string buf_;  // partial head, chunk-size line or trailers
  size_t scan_from_ = 0;
  int status_ = 0;
  bool keep_alive_ = false;
  Framing framing_ = Framing::kNone;
  ChunkStep chunk_step_ = ChunkStep::kSize;
  uint64_t remaining_ = 0;  // bytes left of the body (kLength) or of the current chunk
  size_t trailer_bytes_ = 0;
};

}  // namespace llmprobe::net
