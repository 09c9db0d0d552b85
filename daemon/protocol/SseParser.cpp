#include "protocol/SseParser.h"

#include <algorithm>
#include <cstring>

namespace llmprobe {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Offset of the first `c` in data[from, n), or n. memchr is vectorized in glibc; the callers
// cache the result so that each byte is scanned at most once per character searched.
size_t FindByte(const char* data, size_t from, size_t n, char c) {
  const void* hit = std::memchr(data + from, c, n - from);
  return hit == nullptr ? n : static_cast<size_t>(static_cast<const char*>(hit) - data);
}

}  // namespace

SseParser::SseParser(SseLimits limits) : limits_(limits) {}

bool SseParser::Fail(Error error) {
  error_ = error;
  return false;
}

std::string SseParser::error_message() const {
  switch (error_) {
    case Error::kNone:
      return "";
    case Error::kLineTooLong:
      return "SSE line longer than " + std::to_string(limits_.max_line_bytes) + " bytes";
    case Error::kEventTooLong:
      return "SSE event data longer than " + std::to_string(limits_.max_event_bytes) + " bytes";
  }
  return "SSE error";
}

bool SseParser::Feed(std::string_view bytes, const EventSink& sink) {
  if (error_ != Error::kNone) return false;
  if (bom_matched_ >= 0 && !bytes.empty()) {
    // At the start of the stream: skip a BOM, which may itself arrive split.
    const size_t before = static_cast<size_t>(bom_matched_);
    size_t i = 0;
    while (bom_matched_ < 3 && i < bytes.size() &&
           bytes[i] == kBom[static_cast<size_t>(bom_matched_)]) {
      ++bom_matched_;
      ++i;
    }
    if (bom_matched_ < 3 && i == bytes.size()) return true;  // a BOM prefix so far
    const bool full_bom = bom_matched_ == 3;
    bom_matched_ = -1;
    if (!full_bom && before > 0) {
      // Bytes held back from earlier calls turned out not to be a BOM: they are content. The
      // bytes matched in this call are still at the front of `bytes`.
      if (!FeedLines(kBom.substr(0, before), sink)) return false;
    }
    if (full_bom) bytes.remove_prefix(i);
  }
  return FeedLines(bytes, sink);
}

bool SseParser::FeedLines(std::string_view bytes, const EventSink& sink) {
  const char* data = bytes.data();
  const size_t n = bytes.size();
  size_t pos = 0;
  if (n == 0) return true;
  if (pending_cr_) {
    pending_cr_ = false;
    if (data[0] == '\n') pos = 1;  // second half of a CRLF split across calls
  }
  size_t lf = FindByte(data, pos, n, '\n');
  size_t cr = FindByte(data, pos, n, '\r');
  while (pos < n) {
    const size_t eol = std::min(lf, cr);
    if (eol == n) {
      // No terminator in the rest: keep the partial line for the next call.
      if (partial_line_.size() + (n - pos) > limits_.max_line_bytes) {
        return Fail(Error::kLineTooLong);
      }
      partial_line_.append(data + pos, n - pos);
      return true;
    }
    size_t next = eol + 1;
    if (data[eol] == '\r') {
      if (next == n) {
        pending_cr_ = true;
      } else if (data[next] == '\n') {
        ++next;
      }
    }
    const std::string_view segment(data + pos, eol - pos);
    if (partial_line_.empty()) {
      // Common case: the whole line is inside this call's bytes; no copy.
      if (segment.size() > limits_.max_line_bytes) return Fail(Error::kLineTooLong);
      if (!ProcessLine(segment, sink)) return false;
    } else {
      if (partial_line_.size() + segment.size() > limits_.max_line_bytes) {
        return Fail(Error::kLineTooLong);
      }
      partial_line_.append(segment);
      const bool ok = ProcessLine(partial_line_, sink);
      partial_line_.clear();
      if (!ok) return false;
    }
    pos = next;
    if (lf < pos) lf = FindByte(data, pos, n, '\n');
    if (cr < pos) cr = FindByte(data, pos, n, '\r');
  }
  return true;
}

bool SseParser::ProcessLine(std::string_view line, const EventSink& sink) {
  if (line.empty()) {
    Dispatch(sink);
    return true;
  }
  if (line[0] == ':') return true;  // comment, e.g. ": keep-alive"
  const size_t colon = line.find(':');
  std::string_view field = line;
  std::string_view value;
  if (colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    const size_t added = value.size() + (has_data_ ? 1 : 0);
    if (data_.size() + added > limits_.max_event_bytes) return Fail(Error::kEventTooLong);
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    type_.assign(value);
  }
  // `id`, `retry` and unknown fields: ignored (no reconnection here).
  return true;
}

void SseParser::Dispatch(const EventSink& sink) {
  if (has_data_) sink(SseEvent{type_, data_});
  // clear() keeps the capacity: the next event reuses the buffers.
  data_.clear();
  type_.clear();
  has_data_ = false;
}

bool SseParser::Finish(const EventSink& sink) {
  if (error_ != Error::kNone) return false;
  if (bom_matched_ > 0) {
    // The whole body was a BOM prefix: it is content after all.
    const size_t held = static_cast<size_t>(bom_matched_);
    bom_matched_ = -1;
    if (!FeedLines(kBom.substr(0, held), sink)) return false;
  }
  if (!partial_line_.empty()) {
    const bool ok = ProcessLine(partial_line_, sink);
    partial_line_.clear();
    if (!ok) return false;
  }
  Dispatch(sink);
  bom_matched_ = 0;
  pending_cr_ = false;
  return true;
}

}  // namespace llmprobe
