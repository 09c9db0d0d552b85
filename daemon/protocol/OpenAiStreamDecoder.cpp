#include "protocol/OpenAiStreamDecoder.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/SseParser.h"

namespace llmprobe {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

constexpr size_t kMaxErrorMessageBytes = 256;
constexpr size_t kMaxPayloadInDetail = 128;

std::string TruncateUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t cut = max;
  // Back up to the start of a UTF-8 sequence so the message stays valid text.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut));
}

std::string_view TrimAscii(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

// At most kMaxPayloadInDetail bytes of payload, control bytes replaced, for error details.
std::string PayloadExcerpt(std::string_view payload) {
  std::string out(payload.substr(0, kMaxPayloadInDetail));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  if (payload.size() > kMaxPayloadInDetail) out += "...";
  return out;
}

// Why a chunk could not be read. `where` names the field; `code` is simdjson's error, if any.
struct Problem {
  DecodeError::Kind kind = DecodeError::Kind::kMalformedJson;
  const char* where = "";
  error_code code = simdjson::SUCCESS;
};

bool Malformed(error_code code, const char* where, Problem* p) {
  *p = Problem{DecodeError::Kind::kMalformedJson, where, code};
  return false;
}

bool Shape(const char* where, Problem* p) {
  *p = Problem{DecodeError::Kind::kUnexpectedShape, where, simdjson::SUCCESS};
  return false;
}

bool TypeOf(od::value& v, od::json_type* type, const char* where, Problem* p) {
  const error_code e = v.type().get(*type);
  return e == simdjson::SUCCESS || Malformed(e, where, p);
}

// Opens `v` as an object. *is_null is set (and true returned) for a JSON null.
bool OpenObject(od::value& v, od::object* obj, bool* is_null, const char* where, Problem* p) {
  od::json_type type;
  if (!TypeOf(v, &type, where, p)) return false;
  *is_null = type == od::json_type::null;
  if (*is_null) return true;
  if (type != od::json_type::object) return Shape(where, p);
  const error_code e = v.get_object().get(*obj);
  return e == simdjson::SUCCESS || Malformed(e, where, p);
}

bool OpenArray(od::value& v, od::array* arr, bool* is_null, const char* where, Problem* p) {
  od::json_type type;
  if (!TypeOf(v, &type, where, p)) return false;
  *is_null = type == od::json_type::null;
  if (*is_null) return true;
  if (type != od::json_type::array) return Shape(where, p);
  const error_code e = v.get_array().get(*arr);
  return e == simdjson::SUCCESS || Malformed(e, where, p);
}

// Runs fn(key, value) for each field of object `v` (null = no fields). fn returns false to fail.
template <typename Fn>
bool ForEachField(od::value& v, const char* where, Problem* p, Fn&& fn) {
  od::object obj;
  bool is_null = false;
  if (!OpenObject(v, &obj, &is_null, where, p)) return false;
  if (is_null) return true;
  for (auto field_result : obj) {
    od::field field;
    const error_code e = std::move(field_result).get(field);
    if (e != simdjson::SUCCESS) return Malformed(e, where, p);
    if (!fn(field.key(), field.value())) return false;
  }
  return true;
}

// Sets *non_empty when `v` is a non-empty string. Null counts as empty. The string is not
// unescaped: its raw form is empty exactly when the closing quote comes first.
bool NonEmptyString(od::value& v, bool* non_empty, const char* where, Problem* p) {
  od::json_type type;
  if (!TypeOf(v, &type, where, p)) return false;
  if (type == od::json_type::null) return true;
  if (type != od::json_type::string) return Shape(where, p);
  od::raw_json_string raw;
  const error_code e = v.get_raw_json_string().get(raw);
  if (e != simdjson::SUCCESS) return Malformed(e, where, p);
  if (raw.raw()[0] != '"') *non_empty = true;
  return true;
}

// Copies a string value (unescaped) into *out. Other types leave it alone: error texts are read
// leniently, an oddly typed message must not hide the error itself.
bool CopyIfString(od::value& v, std::string* out, const char* where, Problem* p) {
  od::json_type type;
  if (!TypeOf(v, &type, where, p)) return false;
  if (type != od::json_type::string) return true;
  std::string_view s;
  const error_code e = v.get_string().get(s);
  if (e != simdjson::SUCCESS) return Malformed(e, where, p);
  out->assign(s);
  return true;
}

bool ReadCount(od::value& v, int64_t* out, const char* where, Problem* p) {
  od::json_type type;
  if (!TypeOf(v, &type, where, p)) return false;
  if (type == od::json_type::null) return true;
  if (type != od::json_type::number) return Shape(where, p);
  const error_code e = v.get_int64().get(*out);
  return e == simdjson::SUCCESS || Shape(where, p);
}

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
  od::array arr;
  bool is_null = false;
  if (!OpenArray(v, &arr, &is_null, kWhere, p)) return false;
  if (is_null) return true;
  for (auto element : arr) {
    od::value call;
    const error_code e = std::move(element).get(call);
    if (e != simdjson::SUCCESS) return Malformed(e, kWhere, p);
    const bool ok = ForEachField(call, kWhere, p, [&](od::raw_json_string key, od::value& cv) {
      return key == "function" ? ReadFunction(cv, ev, p) : true;
    });
    if (!ok) return false;
  }
  return true;
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

class OpenAiStreamDecoder final : public StreamDecoder {
 public:
  explicit OpenAiStreamDecoder(ApiKind api)
      : chat_(api == ApiKind::kOpenAiChat), sink_([this](const SseEvent& e) { OnEvent(e); }) {}
  OpenAiStreamDecoder(const OpenAiStreamDecoder&) = delete;  // sink_ captures `this`
  OpenAiStreamDecoder& operator=(const OpenAiStreamDecoder&) = delete;

  bool Feed(std::string_view bytes, std::vector<StreamEvent>* out, DecodeError* error) override {
    if (!failed_) {
      out_ = out;
      if (!sse_.Feed(bytes, sink_)) FailSse();
      out_ = nullptr;
    }
    return Report(error);
  }

  bool Finish(std::vector<StreamEvent>* out, DecodeError* error) override {
    if (!failed_) {
      out_ = out;
      if (!sse_.Finish(sink_)) FailSse();
      out_ = nullptr;
    }
    return Report(error);
  }

 private:
  bool Report(DecodeError* error) const {
    if (!failed_) return true;
    if (error != nullptr) *error = error_;
    return false;
  }

  void FailSse() {
    failed_ = true;
    error_ = DecodeError{DecodeError::Kind::kLineTooLong, sse_.error_message()};
  }

  void OnEvent(const SseEvent& event) {
    if (failed_) return;  // an earlier event of the same Feed failed
    const bool error_event = event.type == "error";
    const std::string_view trimmed = TrimAscii(event.data);
    StreamEvent ev;
    if (!error_event) {
      if (trimmed.empty()) return;  // a data-only keep-alive: nothing to report
      if (trimmed == "[DONE]") {
        ev.done = true;
        out_->push_back(std::move(ev));
        return;
      }
    }
    Problem problem;
    if (!DecodeJson(event.data, error_event, &ev, &problem)) {
      if (!error_event) {
        failed_ = true;
        error_.kind = problem.kind;
        error_.detail = Describe(problem, trimmed);
        return;
      }
      ev = StreamEvent();  // an `event: error` whose data is not a JSON chunk: take it as text
    }
    if (error_event && !ev.error) {
      ev.error = true;
      ev.error_message =
          TruncateUtf8(trimmed.empty() ? "SSE error event" : trimmed, kMaxErrorMessageBytes);
    }
    out_->push_back(std::move(ev));
  }

  static std::string Describe(const Problem& problem, std::string_view payload) {
    std::string detail;
    if (problem.kind == DecodeError::Kind::kUnexpectedShape) {
      detail = std::string("unexpected type of ") + problem.where;
    } else {
      detail = std::string("malformed JSON chunk at ") + problem.where;
      if (problem.code != simdjson::SUCCESS) {
        detail += std::string(" (") + simdjson::error_message(problem.code) + ")";
      }
    }
    return detail + ": " + PayloadExcerpt(payload);
  }

  // Parses one chunk into *ev; in an `event: error`, a top-level "message" is the error text.
  // The data is copied into a reused padded buffer: simdjson reads up to SIMDJSON_PADDING bytes
  // past the end, and the SSE parser's buffer promises no such slack.
  bool DecodeJson(std::string_view data, bool error_event, StreamEvent* ev, Problem* p) {
    const size_t needed = data.size() + simdjson::SIMDJSON_PADDING;
    if (needed > buffer_capacity_) {
      buffer_capacity_ = std::max({needed, 2 * buffer_capacity_, size_t{1024}});
      buffer_.reset(new char[buffer_capacity_]);
    }
    std::memcpy(buffer_.get(), data.data(), data.size());
    // Zeroed padding keeps the bytes simdjson may read initialized (valgrind-clean).
    std::memset(buffer_.get() + data.size(), 0, simdjson::SIMDJSON_PADDING);

    od::document doc;
    error_code e = parser_.iterate(buffer_.get(), data.size(), buffer_capacity_).get(doc);
    if (e != simdjson::SUCCESS) return Malformed(e, "document", p);
    od::object root;
    e = doc.get_object().get(root);
    if (e == simdjson::INCORRECT_TYPE) return Malformed(e, "root (not a JSON object)", p);
    if (e != simdjson::SUCCESS) return Malformed(e, "document", p);

    bool error_object = false;     // {"error": ...}
    bool object_is_error = false;  // {"object": "error", "message": ...}
    message_.clear();
    error_type_.clear();
    top_message_.clear();
    for (auto field_result : root) {
      od::field field;
      e = std::move(field_result).get(field);
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
    const char* trailing = nullptr;
    if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
      return Malformed(simdjson::SUCCESS, "trailing content after the JSON object", p);
    }
    if ((object_is_error || (error_event && !top_message_.empty())) && !error_object) {
      error_object = true;
      message_ = std::move(top_message_);
    }
    if (error_object) {
      ev->error = true;
      const std::string_view text = !message_.empty()      ? std::string_view(message_)
                                    : !error_type_.empty() ? std::string_view(error_type_)
                                                           : "error object without a message";
      ev->error_message = TruncateUtf8(text, kMaxErrorMessageBytes);
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
  SseParser sse_;
  const SseParser::EventSink sink_;  // bound once: no allocation per Feed
  od::parser parser_;
  std::unique_ptr<char[]> buffer_;
  size_t buffer_capacity_ = 0;
  std::vector<StreamEvent>* out_ = nullptr;  // valid during Feed/Finish only
  bool failed_ = false;
  DecodeError error_{DecodeError::Kind::kMalformedJson, ""};
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
