// An incremental Server-Sent-Events parser (WHATWG "event stream" interpretation), fed the bytes
// of one response body split at arbitrary positions. No I/O, no clocks.
//
// Handled: LF, CRLF and lone CR line endings (a CR ending one Feed and an LF starting the next
// are one line ending); a UTF-8 BOM at the very start of the stream; `:` comment lines
// (keep-alives); `data:` (one optional leading space stripped, several lines joined with "\n");
// `event:`; `id:`, `retry:` and unknown fields ignored; dispatch on a blank line, but only when
// the event had at least one `data` line (an `event:` without data is dropped, as in the spec).
// Memory is bounded: a line longer than `max_line_bytes` or event data longer than
// `max_event_bytes` is an error, whatever the split.
//
// Thread-safety: none. One parser per stream, used from one thread at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace llmprobe {

// One dispatched event. The views point into the parser's buffers and are valid only during
// the callback that receives them.
struct SseEvent {
  std::string_view type;  // `event:` field; empty when none was sent (the spec's "message")
  std::string_view data;  // `data:` lines joined with "\n" (no trailing newline)
};

struct SseLimits {
  size_t max_line_bytes = size_t{1} << 20;   // one line, without its terminator
  size_t max_event_bytes = size_t{4} << 20;  // joined data of one event
};

class SseParser {
 public:
  enum class Error { kNone, kLineTooLong, kEventTooLong };
  // Receives each complete event. Called synchronously from Feed/Finish.
  using EventSink = std::function<void(const SseEvent&)>;

  explicit SseParser(SseLimits limits = SseLimits());

  // Parses the next bytes of the body and calls `sink` once per event completed by them.
  // Returns false on a limit violation; the parser then stays failed (error() says why) and
  // later calls return false without parsing.
  bool Feed(std::string_view bytes, const EventSink& sink);

  // The body ended. Choice: a final line without a terminator still counts as a line, and an
  // event that has data but lacked its blank line is dispatched (some servers close right
  // after `data: [DONE]\n`). The spec would drop it; we prefer not to lose a final [DONE] or
  // usage chunk. Returns false if the parser had failed. The parser is then reset to the start
  // of a new stream.
  bool Finish(const EventSink& sink);

  Error error() const { return error_; }
  // Human-readable description of error(); empty when ok.
  std::string error_message() const;
  const SseLimits& limits() const { return limits_; }

 private:
  bool FeedLines(std::string_view bytes, const EventSink& sink);
  bool ProcessLine(std::string_view line, const EventSink& sink);
  void Dispatch(const EventSink& sink);
  bool Fail(Error error);

  SseLimits limits_;
  Error error_ = Error::kNone;
  int bom_matched_ = 0;       // BOM bytes matched at stream start; -1 once past the start
  bool pending_cr_ = false;   // the last byte fed was a CR that ended a line
  bool has_data_ = false;     // the current event has at least one data line
  std::string partial_line_;  // a line split across Feed calls (only then)
  std::string data_;          // data of the current event, reused across events
  std::string type_;          // event type of the current event
};

}  // namespace llmprobe
