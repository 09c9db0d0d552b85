#include "protocol/OpenAiStreamDecoder.h"

#include <string>
#include <string_view>
#include <utility>

#include "protocol/FramedStreamDecoder.h"
#include "protocol/JsonChunk.h"

namespace llmprobe {
namespace {

namespace od = simdjson::ondemand;
using json::CopyIfString;
using json::ForEachField;
using json::Malformed;
using json::NonEmptyString;
using json::OpenArray;
using json::Problem;
using json::ReadCount;
using json::Shape;
using json::TypeOf;
using simdjson::error_code;

bool ReadFinish(od::value& v, FinishReason* out, Problem* p) {
  constexpr const char* kWhere = "finish_reason";
  od::json_type type;
  if (!TypeOf(v, &type, kWhere, p)) return false;
  if (type == od::json_type::null) return true;
  if (type != od::json_type::string) return Shape(kWhere, p);
  od::raw_json_string raw;
  const error_code e = v.get_raw_json_string().get(raw);
  if (e != simdjson::SUCCESS) return Malformed(e, kWhere, p);
  if (raw == "stop") {
    *out = FinishReason::kStop;
  } else if (raw == "length") {
    *out = FinishReason::kLength;
  } else if (raw == "tool_calls" || raw == "function_call") {
    *out = FinishReason::kToolCalls;
  } else if (raw == "content_filter") {
    *out = FinishReason::kContentFilter;
  } else {
    *out = FinishReason::kOther;
  }
  return true;
}

// `function` of a tool call, or the legacy `function_call` delta.
bool ReadFunction(od::value& v, StreamEvent* ev, Problem* p) {
  return ForEachField(v, "function", p, [&](od::raw_json_string key, od::value& fv) {
    if (key == "name" || key == "arguments") {
      return NonEmptyString(fv, &ev->tool_call, "function.name/arguments", p);
    }
    return true;
  });
}

bool ReadToolCalls(od::value& v, StreamEvent* ev, Problem* p) {
  constexpr const char* kWhere = "delta.tool_calls";
  return json::ForEachElement(v, kWhere, p, [&](od::value& call) {
    return ForEachField(call, kWhere, p, [&](od::raw_json_string key, od::value& cv) {
      return key == "function" ? ReadFunction(cv, ev, p) : true;
    });
  });
}

bool ReadDelta(od::value& v, StreamEvent* ev, Problem* p) {
  return ForEachField(v, "delta", p, [&](od::raw_json_string key, od::value& dv) {
    if (key == "content") return NonEmptyString(dv, &ev->content, "delta.content", p);
    if (key == "reasoning_content" || key == "reasoning") {
      return NonEmptyString(dv, &ev->reasoning, "delta.reasoning_content", p);
    }
    if (key == "tool_calls") return ReadToolCalls(dv, ev, p);
    if (key == "function_call") return ReadFunction(dv, ev, p);
    return true;  // role, refusal, unknown fields
  });
}

bool ReadChoice(od::value& v, bool chat, StreamEvent* ev, Problem* p) {
  return ForEachField(v, "choices[0]", p, [&](od::raw_json_string key, od::value& cv) {
    if (key == "finish_reason") return ReadFinish(cv, &ev->finish, p);
    if (chat && key == "delta") return ReadDelta(cv, ev, p);
    if (!chat && key == "text") return NonEmptyString(cv, &ev->content, "choices[0].text", p);
    return true;
  });
}

// Only the first choice is read: llmprobe never asks for n > 1.
bool ReadChoices(od::value& v, bool chat, StreamEvent* ev, Problem* p) {
  od::array arr;
  bool is_null = false;
  if (!OpenArray(v, &arr, &is_null, "choices", p)) return false;
  if (is_null) return true;
  for (auto element : arr) {
    od::value choice;
    const error_code e = std::move(element).get(choice);
    if (e != simdjson::SUCCESS) return Malformed(e, "choices", p);
    return ReadChoice(choice, chat, ev, p);  // the rest is skipped by the parent iterator
  }
  return true;
}

bool ReadUsage(od::value& v, TokenUsage* usage, Problem* p) {
  return ForEachField(v, "usage", p, [&](od::raw_json_string key, od::value& uv) {
    if (key == "prompt_tokens") return ReadCount(uv, &usage->prompt_tokens, "usage", p);
    if (key == "completion_tokens") return ReadCount(uv, &usage->completion_tokens, "usage", p);
    if (key == "prompt_tokens_details") {
      return ForEachField(
          uv, "usage.prompt_tokens_details", p, [&](od::raw_json_string dkey, od::value& dv) {
            return dkey == "cached_tokens" ? ReadCount(dv, &usage->cached_tokens, "usage", p)
                                           : true;
          });
    }
    return true;
  });
}

class OpenAiStreamDecoder final : public FramedStreamDecoder {
 public:
  explicit OpenAiStreamDecoder(ApiKind api)
      : FramedStreamDecoder(Framing::kSse, SseLimits()), chat_(api == ApiKind::kOpenAiChat) {}

 private:
  bool DecodeUnit(std::string_view type, std::string_view data, std::vector<StreamEvent>* out,
                  DecodeError* error) override {
    const bool error_event = type == "error";
    const std::string_view trimmed = json::TrimAscii(data);
    StreamEvent ev;
    if (!error_event) {
      if (trimmed.empty()) return true;  // a data-only keep-alive: nothing to report
      if (trimmed == "[DONE]") {
        ev.done = true;
        out->push_back(std::move(ev));
        return true;
      }
    }
    Problem problem;
    if (!DecodeJson(data, error_event, &ev, &problem)) {
      if (!error_event) {
        *error = json::Describe(problem, data);
        return false;
      }
      ev = StreamEvent();  // an `event: error` whose data is not a JSON chunk: take it as text
    }
    if (error_event && !ev.error) {
      ev.error = true;
      ev.error_message = json::TruncateUtf8(trimmed.empty() ? "SSE error event" : trimmed,
                                            json::kMaxErrorMessageBytes);
    }
    out->push_back(std::move(ev));
    return true;
  }

  // Parses one chunk into *ev; in an `event: error`, a top-level "message" is the error text.
  bool DecodeJson(std::string_view data, bool error_event, StreamEvent* ev, Problem* p) {
    od::document doc;
    od::object root;
    if (!parser_.Open(data, &doc, &root, p)) return false;
    bool error_object = false;     // {"error": ...}
    bool object_is_error = false;  // {"object": "error", "message": ...}
    message_.clear();
    error_type_.clear();
    top_message_.clear();
    for (auto field_result : root) {
      od::field field;
      const error_code e = std::move(field_result).get(field);
      if (e != simdjson::SUCCESS) return Malformed(e, "document", p);
      const od::raw_json_string key = field.key();
      od::value& v = field.value();
      bool ok = true;
      if (key == "choices") {
        ok = ReadChoices(v, chat_, ev, p);
      } else if (key == "usage") {
        ok = ReadUsage(v, &ev->usage, p);
      } else if (key == "error") {
        ok = ReadError(v, &error_object, p);
      } else if (key == "object") {
        od::raw_json_string raw;
        object_is_error = v.get_raw_json_string().get(raw) == simdjson::SUCCESS && raw == "error";
      } else if (key == "message") {
        ok = CopyIfString(v, &top_message_, "message", p);
      }
      if (!ok) return false;
    }
    if (!json::ChunkParser::CheckEnd(doc, p)) return false;
    if ((object_is_error || (error_event && !top_message_.empty())) && !error_object) {
      error_object = true;
      message_ = std::move(top_message_);
    }
    if (error_object) {
      ev->error = true;
      const std::string_view text = !message_.empty()      ? std::string_view(message_)
                                    : !error_type_.empty() ? std::string_view(error_type_)
                                                           : "error object without a message";
      ev->error_message = json::TruncateUtf8(text, json::kMaxErrorMessageBytes);
    }
    return true;
  }

  // `error` is an object {message, type, ...} or a plain string; null means no error.
  bool ReadError(od::value& v, bool* is_error, Problem* p) {
    od::json_type type;
    if (!TypeOf(v, &type, "error", p)) return false;
    if (type == od::json_type::null) return true;
    *is_error = true;
    if (type == od::json_type::string) return CopyIfString(v, &message_, "error", p);
    if (type != od::json_type::object) return true;  // e.g. `true`: an error without text
    return ForEachField(v, "error", p, [&](od::raw_json_string key, od::value& mv) {
      if (key == "message") return CopyIfString(mv, &message_, "error.message", p);
      if (key == "type") return CopyIfString(mv, &error_type_, "error.type", p);
      return true;
    });
  }

  const bool chat_;
  json::ChunkParser parser_;
  // Reused for the rare error chunks.
  std::string message_;
  std::string error_type_;
  std::string top_message_;
};

}  // namespace

std::unique_ptr<StreamDecoder> NewOpenAiStreamDecoder(ApiKind api) {
  return std::make_unique<OpenAiStreamDecoder>(api);
}

}  // namespace llmprobe
