// Splits a byte stream into lines for newline-delimited JSON (NDJSON, e.g. Ollama), fed the
// bytes of one body split at arbitrary positions. No I/O, no clocks.
//
// A line ends at LF; a CR right before the LF is dropped (CRLF). Every line is delivered,
// blank ones included. Memory is bounded: a line longer than `max_line_bytes` (without its
// terminator) is an error, whatever the split.
//
// Thread-safety: none. One splitter per stream, used from one thread at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace llmprobe {

class LineSplitter {
 public:
  // Receives each complete line, without terminator. The view is valid during the call only.
  using LineSink = std::function<void(std::string_view)>;

  explicit LineSplitter(size_t max_line_bytes = size_t{1} << 20);

  // Calls `sink` once per line completed by `bytes`. Returns false when a line is too long; the
  // splitter then stays failed and later calls return false.
  bool Feed(std::string_view bytes, const LineSink& sink);
  // The body ended: a final line without terminator is delivered (if non-empty). Returns false
  // if the splitter had failed. The splitter is then reset for a new stream.
  bool Finish(const LineSink& sink);

  bool failed() const { return failed_; }
  // "NDJSON line longer than N bytes" once failed; empty otherwise.
  std::string error_message() const;
  size_t max_line_bytes() const { return max_line_bytes_; }

 private:
  void Deliver(std::string_view line, const LineSink& sink);

  size_t max_line_bytes_;
  bool failed_ = false;
  std::string partial_;  // a line split across Feed calls (only then)
};

}  // namespace llmprobe
