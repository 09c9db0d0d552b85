#include "protocol/OpenAiResponsesDecoder.h"

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

enum class Kind {
  kOther,
  kContentDelta,
  kReasoningDelta,
  kToolDelta,
  kItemAdded,
  kCompleted,
  kIncomplete,
  kFailed,
  kError,
};

// `type` is a raw_json_string or a string_view; both compare with == against literals.
template <typename S>
Kind Classify(const S& type) {
  if (type == "response.output_text.delta" || type == "response.refusal.delta") {
    return Kind::kContentDelta;
  }
  if (type == "response.reasoning_text.delta" || type == "response.reasoning_summary_text.delta") {
    return Kind::kReasoningDelta;
  }
  if (type == "response.function_call_arguments.delta" ||
      type == "response.custom_tool_call_input.delta") {
    return Kind::kToolDelta;
  }
  if (type == "response.output_item.added") return Kind::kItemAdded;
  if (type == "response.completed") return Kind::kCompleted;
  if (type == "response.incomplete") return Kind::kIncomplete;
  if (type == "response.failed") return Kind::kFailed;
  if (type == "error") return Kind::kError;
  return Kind::kOther;
}

bool ReadUsage(od::value& v, TokenUsage* usage, Problem* p) {
  return ForEachField(v, "response.usage", p, [&](od::raw_json_string key, od::value& uv) {
    if (key == "input_tokens") return ReadCount(uv, &usage->prompt_tokens, "usage", p);
    if (key == "output_tokens") return ReadCount(uv, &usage->completion_tokens, "usage", p);
    if (key == "input_tokens_details") {
      return ForEachField(
          uv, "usage.input_tokens_details", p, [&](od::raw_json_string dkey, od::value& dv) {
            return dkey == "cached_tokens" ? ReadCount(dv, &usage->cached_tokens, "usage", p)
                                           : true;
          });
    }
    return true;
  });
}

FinishReason IncompleteFinish(std::string_view reason) {
  if (reason == "max_output_tokens") return FinishReason::kLength;
  if (reason == "content_filter") return FinishReason::kContentFilter;
  return FinishReason::kOther;
}

class OpenAiResponsesDecoder final : public FramedStreamDecoder {
 public:
  OpenAiResponsesDecoder()
      : FramedStreamDecoder(Framing::kSse, {size_t{4} << 20, size_t{4} << 20}) {}

 private:
  // What one event said, gathered in one pass over its fields (their order is free).
  struct Fields {
    bool has_type = false;
    od::raw_json_string type;
    bool delta = false;      // non-empty string "delta"
    bool item_name = false;  // non-empty item.name
    bool error = false;      // non-null top-level "error"
    TokenUsage usage;
  };

  bool DecodeUnit(std::string_view sse_type, std::string_view data, std::vector<StreamEvent>* out,
                  DecodeError* error) override {
    const std::string_view trimmed = json::TrimAscii(data);
    if (trimmed.empty()) return true;  // a data-only keep-alive
    StreamEvent ev;
    Fields f;
    Problem problem;
    if (!ReadFields(data, &f, &problem)) {
      if (sse_type != "error") {
        *error = json::Describe(problem, data);
        return false;
      }
      // An `event: error` whose data is not JSON: its text is the message.
      ev.error = true;
      ev.error_message = json::TruncateUtf8(trimmed, json::kMaxErrorMessageBytes);
      out->push_back(std::move(ev));
      return true;
    }
    const Kind kind = f.has_type ? Classify(f.type) : Classify(sse_type);
    ev.usage = f.usage;
    switch (kind) {
      case Kind::kContentDelta:
        ev.content = f.delta;
        break;
      case Kind::kReasoningDelta:
        ev.reasoning = f.delta;
        break;
      case Kind::kToolDelta:
        ev.tool_call = f.delta;
        break;
      case Kind::kItemAdded:
        ev.tool_call = f.item_name;
        break;
      case Kind::kCompleted:
        ev.finish = saw_tool_call_ ? FinishReason::kToolCalls : FinishReason::kStop;
        ev.done = true;
        break;
      case Kind::kIncomplete:
        ev.finish = IncompleteFinish(reason_);
        ev.done = true;
        break;
      case Kind::kFailed:
      case Kind::kError:
        f.error = true;
        break;
      case Kind::kOther:
        break;
    }
    if (f.error) {
      ev.error = true;
      const std::string_view text = !message_.empty() ? std::string_view(message_)
                                    : !code_.empty()  ? std::string_view(code_)
                                                      : std::string_view("response failed");
      ev.error_message = json::TruncateUtf8(text, json::kMaxErrorMessageBytes);
    }
    if (ev.tool_call) saw_tool_call_ = true;
    out->push_back(std::move(ev));
    return true;
  }

  bool ReadFields(std::string_view data, Fields* f, Problem* p) {
    od::document doc;
    od::object root;
    if (!parser_.Open(data, &doc, &root, p)) return false;
    message_.clear();
    code_.clear();
    reason_.clear();
    for (auto field_result : root) {
      od::field field;
      const error_code e = std::move(field_result).get(field);
      if (e != simdjson::SUCCESS) return Malformed(e, "document", p);
      const od::raw_json_string key = field.key();
      od::value& v = field.value();
      bool ok = true;
      if (key == "type") {
        bool is_null = false;
        ok = json::RawString(v, &f->type, &is_null, "type", p);
        f->has_type = ok && !is_null;
      } else if (key == "delta") {
        od::json_type type;
        ok = TypeOf(v, &type, "delta", p);
        // Only string deltas are read; other shapes belong to events not decoded here.
        if (ok && type == od::json_type::string) ok = NonEmptyString(v, &f->delta, "delta", p);
      } else if (key == "item") {
        ok = ForEachField(v, "item", p, [&](od::raw_json_string ikey, od::value& iv) {
          return ikey == "name" ? NonEmptyString(iv, &f->item_name, "item.name", p) : true;
        });
      } else if (key == "response") {
        ok = ReadResponse(v, f, p);
      } else if (key == "error") {
        ok = ReadError(v, &f->error, p);
      } else if (key == "message") {
        ok = CopyIfString(v, &message_, "message", p);
      } else if (key == "code") {
        ok = CopyIfString(v, &code_, "code", p);
      }
      if (!ok) return false;
    }
    return json::ChunkParser::CheckEnd(doc, p);
  }

  bool ReadResponse(od::value& v, Fields* f, Problem* p) {
    return ForEachField(v, "response", p, [&](od::raw_json_string key, od::value& rv) {
      if (key == "usage") return ReadUsage(rv, &f->usage, p);
      if (key == "error") {
        bool unused = false;  // response.error is null until the response failed
        return ReadError(rv, &unused, p);
      }
      if (key == "incomplete_details") {
        return ForEachField(
            rv, "response.incomplete_details", p, [&](od::raw_json_string dkey, od::value& dv) {
              return dkey == "reason" ? CopyIfString(dv, &reason_, "reason", p) : true;
            });
      }
      return true;
    });
  }

  // An error object {code, message, ...} or a plain string; null means none.
  bool ReadError(od::value& v, bool* is_error, Problem* p) {
    od::json_type type;
    if (!TypeOf(v, &type, "error", p)) return false;
    if (type == od::json_type::null) return true;
    *is_error = true;
    if (type == od::json_type::string) return CopyIfString(v, &message_, "error", p);
    if (type != od::json_type::object) return true;
    return ForEachField(v, "error", p, [&](od::raw_json_string key, od::value& ev) {
      if (key == "message") return CopyIfString(ev, &message_, "error.message", p);
      if (key == "code") return CopyIfString(ev, &code_, "error.code", p);
      return true;
    });
  }

  json::ChunkParser parser_;
  bool saw_tool_call_ = false;
  // Reused for the rare error and incomplete events.
  std::string message_;
  std::string code_;
  std::string reason_;
};

}  // namespace

std::unique_ptr<StreamDecoder> NewOpenAiResponsesDecoder() {
  return std::make_unique<OpenAiResponsesDecoder>();
}

}  // namespace llmprobe
