// The framing half of every stream decoder: splits the body into units (SSE events via
// SseParser, or NDJSON lines via LineSplitter), keeps the failed state, and hands each unit to
// DecodeUnit() of the dialect's decoder. A unit that fails stops the stream: later units of the
// same Feed are dropped and later calls return the same error.
#pragma once

#include <string_view>
#include <vector>

#include "protocol/Dialect.h"
#include "protocol/LineSplitter.h"
#include "protocol/SseParser.h"

namespace llmprobe {

enum class Framing { kSse, kNdjson };

// Not thread-safe; one per stream.
class FramedStreamDecoder : public StreamDecoder {
 public:
  // `limits.max_line_bytes` also bounds NDJSON lines.
  FramedStreamDecoder(Framing framing, SseLimits limits);
  FramedStreamDecoder(const FramedStreamDecoder&) = delete;  // the sinks capture `this`
  FramedStreamDecoder& operator=(const FramedStreamDecoder&) = delete;

  bool Feed(std::string_view bytes, std::vector<StreamEvent>* out, DecodeError* error) final;
  bool Finish(std::vector<StreamEvent>* out, DecodeError* error) final;

 protected:
  // One unit: `type` is the SSE `event:` name (empty when none, and for NDJSON), `data` the SSE
  // data or the NDJSON line. Appends the unit's events to *out; on a payload error returns
  // false with *error filled.
  virtual bool DecodeUnit(std::string_view type, std::string_view data,
                          std::vector<StreamEvent>* out, DecodeError* error) = 0;

 private:
  void OnUnit(std::string_view type, std::string_view data);
  void FailFraming(const std::string& message);
  bool Report(DecodeError* error) const;

  const Framing framing_;
  SseParser sse_;
  LineSplitter lines_;
  const SseParser::EventSink sse_sink_;  // bound once: no allocation per Feed
  const LineSplitter::LineSink line_sink_;
  std::vector<StreamEvent>* out_ = nullptr;  // valid during Feed/Finish only
  bool failed_ = false;
  DecodeError error_{DecodeError::Kind::kMalformedJson, ""};
};

}  // namespace llmprobe
