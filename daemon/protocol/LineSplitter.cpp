#include "protocol/LineSplitter.h"

#include <cstring>

namespace llmprobe {

LineSplitter::LineSplitter(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

std::string LineSplitter::error_message() const {
  if (!failed_) return "";
  return "NDJSON line longer than " + std::to_string(max_line_bytes_) + " bytes";
}

void LineSplitter::Deliver(std::string_view line, const LineSink& sink) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  sink(line);
}

bool LineSplitter::Feed(std::string_view bytes, const LineSink& sink) {
  if (failed_) return false;
  const char* data = bytes.data();
  const size_t n = bytes.size();
  size_t pos = 0;
  while (pos < n) {
    const void* hit = std::memchr(data + pos, '\n', n - pos);
    if (hit == nullptr) {
      // No terminator in the rest: keep the partial line for the next call. One byte of slack
      // for a CR that may turn out to belong to a CRLF.
      if (partial_.size() + (n - pos) > max_line_bytes_ + 1) {
        failed_ = true;
        return false;
      }
      partial_.append(data + pos, n - pos);
      return true;
    }
    const size_t eol = static_cast<size_t>(static_cast<const char*>(hit) - data);
    std::string_view segment(data + pos, eol - pos);
    std::string_view line = segment;
    if (!partial_.empty()) {
      partial_.append(segment);
      line = partial_;
    }
    const size_t length = line.size() - (!line.empty() && line.back() == '\r' ? 1 : 0);
    if (length > max_line_bytes_) {
      failed_ = true;
      return false;
    }
    Deliver(line, sink);
    partial_.clear();  // keeps its capacity
    pos = eol + 1;
  }
  return true;
}

bool LineSplitter::Finish(const LineSink& sink) {
  if (failed_) return false;
  if (!partial_.empty()) {
    if (partial_.size() > max_line_bytes_ &&
        !(partial_.size() == max_line_bytes_ + 1 && partial_.back() == '\r')) {
      failed_ = true;
      return false;
    }
    Deliver(partial_, sink);
    partial_.clear();
  }
  return true;
}

}  // namespace llmprobe
