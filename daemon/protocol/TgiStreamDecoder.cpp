#include "protocol/TgiStreamDecoder.h"

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
using json::Problem;
using json::ReadCount;
using json::TypeOf;
using simdjson::error_code;

bool ReadDetails(od::value& v, StreamEvent* ev, Problem* p) {
  return ForEachField(v, "details", p, [&](od::raw_json_string key, od::value& dv) {
    if (key == "finish_reason") {
      od::raw_json_string raw;
      bool is_null = false;
      if (!json::RawString(dv, &raw, &is_null, "details.finish_reason", p)) return false;
      if (is_null) return true;
      if (raw == "length") {
        ev->finish = FinishReason::kLength;
      } else if (raw == "eos_token" || raw == "stop_sequence") {
        ev->finish = FinishReason::kStop;
      } else {
        ev->finish = FinishReason::kOther;
      }
      return true;
    }
    if (key == "generated_tokens") {
      return ReadCount(dv, &ev->usage.completion_tokens, "details.generated_tokens", p);
    }
    if (key == "input_length" || key == "prompt_tokens") {
      return ReadCount(dv, &ev->usage.prompt_tokens, "details.input_length", p);
    }
    return true;  // seed, best_of_sequences
  });
}

class TgiStreamDecoder final : public FramedStreamDecoder {
 public:
  TgiStreamDecoder() : FramedStreamDecoder(Framing::kSse, {size_t{4} << 20, size_t{4} << 20}) {}

 private:
  bool DecodeUnit(std::string_view sse_type, std::string_view data, std::vector<StreamEvent>* out,
                  DecodeError* error) override {
    const std::string_view trimmed = json::TrimAscii(data);
    if (trimmed.empty()) return true;  // a data-only keep-alive
    StreamEvent ev;
    Problem problem;
    if (!DecodeJson(data, &ev, &problem)) {
      if (sse_type != "error") {
        *error = json::Describe(problem, data);
        return false;
      }
      ev = StreamEvent();  // an `event: error` whose data is not JSON: its text is the message
      ev.error = true;
      ev.error_message = json::TruncateUtf8(trimmed, json::kMaxErrorMessageBytes);
    } else if (sse_type == "error" && !ev.error) {
      ev.error = true;
      ev.error_message = json::TruncateUtf8(trimmed, json::kMaxErrorMessageBytes);
    }
    if (ev.content && (ev.done || ev.finish != FinishReason::kNone || ev.usage.present())) {
      // The token first, then the end: usage on a token event would read as per-chunk usage.
      StreamEvent token;
      token.content = true;
      ev.content = false;
      out->push_back(std::move(token));
    }
    out->push_back(std::move(ev));
    return true;
  }

  bool DecodeJson(std::string_view data, StreamEvent* ev, Problem* p) {
    od::document doc;
    od::object root;
    if (!parser_.Open(data, &doc, &root, p)) return false;
    bool text = false;
    bool special = false;
    bool error = false;
    message_.clear();
    error_type_.clear();
    for (auto field_result : root) {
      od::field field;
      const error_code e = std::move(field_result).get(field);
      if (e != simdjson::SUCCESS) return Malformed(e, "document", p);
      const od::raw_json_string key = field.key();
      od::value& v = field.value();
      bool ok = true;
      if (key == "token") {
        ok = ForEachField(v, "token", p, [&](od::raw_json_string tkey, od::value& tv) {
          if (tkey == "text") return json::NonEmptyString(tv, &text, "token.text", p);
          if (tkey == "special") return json::ReadBool(tv, &special, "token.special", p);
          return true;
        });
      } else if (key == "generated_text") {
        od::json_type type;
        ok = TypeOf(v, &type, "generated_text", p);
        if (ok && type != od::json_type::null) {
          if (type != od::json_type::string) return json::Shape("generated_text", p);
          ev->done = true;
        }
      } else if (key == "details") {
        ok = ReadDetails(v, ev, p);
      } else if (key == "error") {
        od::json_type type;
        ok = TypeOf(v, &type, "error", p);
        if (ok && type != od::json_type::null) {
          error = true;
          ok = CopyIfString(v, &message_, "error", p);
        }
      } else if (key == "error_type") {
        ok = CopyIfString(v, &error_type_, "error_type", p);
      }
      if (!ok) return false;
    }
    if (!json::ChunkParser::CheckEnd(doc, p)) return false;
    ev->content = text && !special;
    if (error) {
      ev->error = true;
      const std::string_view msg = !message_.empty()      ? std::string_view(message_)
                                   : !error_type_.empty() ? std::string_view(error_type_)
                                                          : std::string_view("error event");
      ev->error_message = json::TruncateUtf8(msg, json::kMaxErrorMessageBytes);
    }
    return true;
  }

  json::ChunkParser parser_;
  // Reused for the rare error events.
  std::string message_;
  std::string error_type_;
};

}  // namespace

std::unique_ptr<StreamDecoder> NewTgiStreamDecoder() {
  return std::make_unique<TgiStreamDecoder>();
}

}  // namespace llmprobe
