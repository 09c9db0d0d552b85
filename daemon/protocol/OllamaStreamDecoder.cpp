#include "protocol/OllamaStreamDecoder.h"

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

bool ReadToolCalls(od::value& v, StreamEvent* ev, Problem* p) {
  constexpr const char* kWhere = "message.tool_calls";
  return json::ForEachElement(v, kWhere, p, [&](od::value& call) {
    return ForEachField(call, kWhere, p, [&](od::raw_json_string key, od::value& cv) {
      if (key != "function") return true;
      return ForEachField(cv, kWhere, p, [&](od::raw_json_string fkey, od::value& fv) {
        return fkey == "name" ? NonEmptyString(fv, &ev->tool_call, "function.name", p) : true;
      });
    });
  });
}

bool ReadMessage(od::value& v, StreamEvent* ev, Problem* p) {
  return ForEachField(v, "message", p, [&](od::raw_json_string key, od::value& mv) {
    if (key == "content") return NonEmptyString(mv, &ev->content, "message.content", p);
    if (key == "thinking") return NonEmptyString(mv, &ev->reasoning, "message.thinking", p);
    if (key == "tool_calls") return ReadToolCalls(mv, ev, p);
    return true;  // role, images
  });
}

class OllamaStreamDecoder final : public FramedStreamDecoder {
 public:
  OllamaStreamDecoder() : FramedStreamDecoder(Framing::kNdjson, SseLimits()) {}

 private:
  bool DecodeUnit(std::string_view, std::string_view line, std::vector<StreamEvent>* out,
                  DecodeError* error) override {
    if (json::TrimAscii(line).empty()) return true;
    StreamEvent ev;
    Problem problem;
    if (!DecodeJson(line, &ev, &problem)) {
      *error = json::Describe(problem, line);
      return false;
    }
    if (ev.carries_token() && (ev.done || ev.finish != FinishReason::kNone || ev.usage.present())) {
      // The token first, then the end: usage on a token event would read as per-chunk usage.
      StreamEvent token;
      std::swap(token.content, ev.content);
      std::swap(token.reasoning, ev.reasoning);
      std::swap(token.tool_call, ev.tool_call);
      out->push_back(std::move(token));
    }
    out->push_back(std::move(ev));
    return true;
  }

  bool DecodeJson(std::string_view line, StreamEvent* ev, Problem* p) {
    od::document doc;
    od::object root;
    if (!parser_.Open(line, &doc, &root, p)) return false;
    bool done = false;
    bool error = false;
    message_.clear();
    for (auto field_result : root) {
      od::field field;
      const error_code e = std::move(field_result).get(field);
      if (e != simdjson::SUCCESS) return Malformed(e, "document", p);
      const od::raw_json_string key = field.key();
      od::value& v = field.value();
      bool ok = true;
      if (key == "message") {
        ok = ReadMessage(v, ev, p);
      } else if (key == "done") {
        ok = json::ReadBool(v, &done, "done", p);
      } else if (key == "done_reason") {
        od::raw_json_string raw;
        bool is_null = false;
        ok = json::RawString(v, &raw, &is_null, "done_reason", p);
        if (ok && !is_null) {
          ev->finish = raw == "stop"     ? FinishReason::kStop
                       : raw == "length" ? FinishReason::kLength
                                         : FinishReason::kOther;
        }
      } else if (key == "eval_count") {
        ok = ReadCount(v, &ev->usage.completion_tokens, "eval_count", p);
      } else if (key == "prompt_eval_count") {
        ok = ReadCount(v, &ev->usage.prompt_tokens, "prompt_eval_count", p);
      } else if (key == "error") {
        ok = ReadError(v, &error, p);
      }
      if (!ok) return false;
    }
    if (!json::ChunkParser::CheckEnd(doc, p)) return false;
    ev->done = done;
    if (error) {
      ev->error = true;
      ev->error_message = json::TruncateUtf8(
          message_.empty() ? std::string_view("error object without a message") : message_,
          json::kMaxErrorMessageBytes);
    }
    return true;
  }

  // A string (Ollama's shape), or an object with a message (proxies); null means none.
  bool ReadError(od::value& v, bool* is_error, Problem* p) {
    od::json_type type;
    if (!TypeOf(v, &type, "error", p)) return false;
    if (type == od::json_type::null) return true;
    *is_error = true;
    if (type == od::json_type::string) return CopyIfString(v, &message_, "error", p);
    if (type != od::json_type::object) return true;
    return ForEachField(v, "error", p, [&](od::raw_json_string key, od::value& mv) {
      return key == "message" ? CopyIfString(mv, &message_, "error.message", p) : true;
    });
  }

  json::ChunkParser parser_;
  std::string message_;  // reused for the rare error lines
};

}  // namespace

std::unique_ptr<StreamDecoder> NewOllamaStreamDecoder() {
  return std::make_unique<OllamaStreamDecoder>();
}

}  // namespace llmprobe
