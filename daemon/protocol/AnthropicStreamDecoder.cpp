#include "protocol/AnthropicStreamDecoder.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/FramedStreamDecoder.h"
#include "protocol/JsonChunk.h"

namespace llmprobe {
namespace {

namespace od = simdjson::ondemand;
using json::CopyIfString;
using json::ForEachField;
using json::Malformed;
using json::NonEmptyString;
using json::Problem;
using json::ReadCount;
using json::TypeOf;
using simdjson::error_code;

FinishReason StopReason(const od::raw_json_string& raw) {
  if (raw == "end_turn" || raw == "stop_sequence") return FinishReason::kStop;
  if (raw == "max_tokens") return FinishReason::kLength;
  if (raw == "tool_use") return FinishReason::kToolCalls;
  if (raw == "refusal") return FinishReason::kContentFilter;
  return FinishReason::kOther;  // pause_turn, model_context_window_exceeded, ...
}

// Counts of one usage object; -1 = not in it.
struct Usage {
  int64_t input = -1;
  int64_t cache_creation = -1;
  int64_t cache_read = -1;
  int64_t output = -1;
};

bool ReadUsage(od::value& v, Usage* u, Problem* p) {
  return ForEachField(v, "usage", p, [&](od::raw_json_string key, od::value& uv) {
    if (key == "input_tokens") return ReadCount(uv, &u->input, "usage.input_tokens", p);
    if (key == "cache_creation_input_tokens") {
      return ReadCount(uv, &u->cache_creation, "usage.cache_creation_input_tokens", p);
    }
    if (key == "cache_read_input_tokens") {
      return ReadCount(uv, &u->cache_read, "usage.cache_read_input_tokens", p);
    }
    if (key == "output_tokens") return ReadCount(uv, &u->output, "usage.output_tokens", p);
    return true;
  });
}

void ApplyUsage(const Usage& u, bool with_output, TokenUsage* out) {
  if (u.input >= 0) {
    out->prompt_tokens = u.input + (u.cache_creation > 0 ? u.cache_creation : 0) +
                         (u.cache_read > 0 ? u.cache_read : 0);
  }
  if (u.cache_read >= 0) out->cached_tokens = u.cache_read;
  if (with_output && u.output >= 0) out->completion_tokens = u.output;
}

class AnthropicStreamDecoder final : public FramedStreamDecoder {
 public:
  AnthropicStreamDecoder() : FramedStreamDecoder(Framing::kSse, SseLimits()) {}

 private:
  bool DecodeUnit(std::string_view sse_type, std::string_view data, std::vector<StreamEvent>* out,
                  DecodeError* error) override {
    const std::string_view trimmed = json::TrimAscii(data);
    if (trimmed.empty()) return true;  // a data-only keep-alive
    StreamEvent ev;
    Problem problem;
    if (!DecodeJson(data, sse_type, &ev, &problem)) {
      if (sse_type != "error") {
        *error = json::Describe(problem, data);
        return false;
      }
      ev = StreamEvent();  // an `event: error` whose data is not JSON: its text is the message
      ev.error = true;
      ev.error_message = json::TruncateUtf8(trimmed, json::kMaxErrorMessageBytes);
    }
    out->push_back(std::move(ev));
    return true;
  }

  bool DecodeJson(std::string_view data, std::string_view sse_type, StreamEvent* ev, Problem* p) {
    od::document doc;
    od::object root;
    if (!parser_.Open(data, &doc, &root, p)) return false;
    bool has_type = false;
    od::raw_json_string type;
    bool error = false;
    Usage usage;
    bool message_usage = false;  // usage came from message_start's message
    message_.clear();
    error_type_.clear();
    for (auto field_result : root) {
      od::field field;
      const error_code e = std::move(field_result).get(field);
      if (e != simdjson::SUCCESS) return Malformed(e, "document", p);
      const od::raw_json_string key = field.key();
      od::value& v = field.value();
      bool ok = true;
      if (key == "type") {
        bool is_null = false;
        ok = json::RawString(v, &type, &is_null, "type", p);
        has_type = ok && !is_null;
      } else if (key == "delta") {
        ok = ReadDelta(v, ev, p);
      } else if (key == "content_block") {
        ok = ReadBlock(v, ev, p);
      } else if (key == "usage") {
        ok = ReadUsage(v, &usage, p);
      } else if (key == "message") {
        ok = ForEachField(v, "message", p, [&](od::raw_json_string mkey, od::value& mv) {
          if (mkey != "usage") return true;
          message_usage = true;
          return ReadUsage(mv, &usage, p);
        });
      } else if (key == "error") {
        ok = ReadError(v, &error, p);
      }
      if (!ok) return false;
    }
    if (!json::ChunkParser::CheckEnd(doc, p)) return false;
    // message_start's output_tokens is a placeholder, not a count of generated tokens.
    ApplyUsage(usage, /*with_output=*/!message_usage, &ev->usage);
    if (has_type ? type == "message_stop" : sse_type == "message_stop") ev->done = true;
    if (has_type ? type == "error" : sse_type == "error") error = true;
    if (error) {
      ev->error = true;
      const std::string_view text = !message_.empty()      ? std::string_view(message_)
                                    : !error_type_.empty() ? std::string_view(error_type_)
                                                           : std::string_view("error event");
      ev->error_message = json::TruncateUtf8(text, json::kMaxErrorMessageBytes);
    }
    return true;
  }

  // content_block_delta's delta, or message_delta's delta (stop_reason). Field names tell the
  // channel, whatever delta.type says.
  static bool ReadDelta(od::value& v, StreamEvent* ev, Problem* p) {
    return ForEachField(v, "delta", p, [&](od::raw_json_string key, od::value& dv) {
      if (key == "text") return NonEmptyString(dv, &ev->content, "delta.text", p);
      if (key == "thinking") return NonEmptyString(dv, &ev->reasoning, "delta.thinking", p);
      if (key == "partial_json") {
        return NonEmptyString(dv, &ev->tool_call, "delta.partial_json", p);
      }
      if (key == "stop_reason") {
        od::raw_json_string raw;
        bool is_null = false;
        if (!json::RawString(dv, &raw, &is_null, "delta.stop_reason", p)) return false;
        if (!is_null) ev->finish = StopReason(raw);
      }
      return true;  // type, signature, citation, stop_sequence, unknown fields
    });
  }

  static bool ReadBlock(od::value& v, StreamEvent* ev, Problem* p) {
    return ForEachField(v, "content_block", p, [&](od::raw_json_string key, od::value& bv) {
      if (key == "text") return NonEmptyString(bv, &ev->content, "content_block.text", p);
      if (key == "thinking" || key == "data") {
        return NonEmptyString(bv, &ev->reasoning, "content_block.thinking", p);
      }
      if (key == "name") return NonEmptyString(bv, &ev->tool_call, "content_block.name", p);
      return true;  // type, id, input, signature, citations
    });
  }

  // {"type": "overloaded_error", "message": "Overloaded"}, a plain string, or null.
  bool ReadError(od::value& v, bool* is_error, Problem* p) {
    od::json_type type;
    if (!TypeOf(v, &type, "error", p)) return false;
    if (type == od::json_type::null) return true;
    *is_error = true;
    if (type == od::json_type::string) return CopyIfString(v, &message_, "error", p);
    if (type != od::json_type::object) return true;
    return ForEachField(v, "error", p, [&](od::raw_json_string key, od::value& ev) {
      if (key == "message") return CopyIfString(ev, &message_, "error.message", p);
      if (key == "type") return CopyIfString(ev, &error_type_, "error.type", p);
      return true;
    });
  }

  json::ChunkParser parser_;
  // Reused for the rare error events.
  std::string message_;
  std::string error_type_;
};

}  // namespace

std::unique_ptr<StreamDecoder> NewAnthropicStreamDecoder() {
  return std::make_unique<AnthropicStreamDecoder>();
}

}  // namespace llmprobe
