#include "protocol/FramedStreamDecoder.h"

#include <string>

namespace llmprobe {

FramedStreamDecoder::FramedStreamDecoder(Framing framing, SseLimits limits)
    : framing_(framing),
      sse_(limits),
      lines_(limits.max_line_bytes),
      sse_sink_([this](const SseEvent& e) { OnUnit(e.type, e.data); }),
      line_sink_([this](std::string_view line) { OnUnit({}, line); }) {}

bool FramedStreamDecoder::Feed(std::string_view bytes, std::vector<StreamEvent>* out,
                               DecodeError* error) {
  if (!failed_) {
    out_ = out;
    if (framing_ == Framing::kSse) {
      if (!sse_.Feed(bytes, sse_sink_)) FailFraming(sse_.error_message());
    } else {
      if (!lines_.Feed(bytes, line_sink_)) FailFraming(lines_.error_message());
    }
    out_ = nullptr;
  }
  return Report(error);
}

bool FramedStreamDecoder::Finish(std::vector<StreamEvent>* out, DecodeError* error) {
  if (!failed_) {
    out_ = out;
    if (framing_ == Framing::kSse) {
      if (!sse_.Finish(sse_sink_)) FailFraming(sse_.error_message());
    } else {
      if (!lines_.Finish(line_sink_)) FailFraming(lines_.error_message());
    }
    out_ = nullptr;
  }
  return Report(error);
}

void FramedStreamDecoder::OnUnit(std::string_view type, std::string_view data) {
  if (failed_) return;  // an earlier unit of the same Feed failed
  if (!DecodeUnit(type, data, out_, &error_)) failed_ = true;
}

void FramedStreamDecoder::FailFraming(const std::string& message) {
  // A unit that failed first keeps its own error.
  if (failed_) return;
  failed_ = true;
  error_ = DecodeError{DecodeError::Kind::kLineTooLong, message};
}

bool FramedStreamDecoder::Report(DecodeError* error) const {
  if (!failed_) return true;
  if (error != nullptr) *error = error_;
  return false;
}

}  // namespace llmprobe
