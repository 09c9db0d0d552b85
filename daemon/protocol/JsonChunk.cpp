#include "protocol/JsonChunk.h"

#include <algorithm>
#include <cstring>

namespace llmprobe::json {

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

std::string PayloadExcerpt(std::string_view payload) {
  std::string out(payload.substr(0, kMaxPayloadInDetail));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  if (payload.size() > kMaxPayloadInDetail) out += "...";
  return out;
}

DecodeError Describe(const Problem& problem, std::string_view payload) {
  std::string detail;
  if (problem.kind == DecodeError::Kind::kUnexpectedShape) {
    detail = std::string("unexpected type of ") + problem.where;
  } else {
    detail = std::string("malformed JSON chunk at ") + problem.where;
    if (problem.code != simdjson::SUCCESS) {
      detail += std::string(" (") + simdjson::error_message(problem.code) + ")";
    }
  }
  return DecodeError{problem.kind, detail + ": " + PayloadExcerpt(TrimAscii(payload))};
}

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

bool RawString(od::value& v, od::raw_json_string* raw, bool* is_null, const char* where,
               Problem* p) {
  od::json_type type;
  if (!TypeOf(v, &type, where, p)) return false;
  *is_null = type == od::json_type::null;
  if (*is_null) return true;
  if (type != od::json_type::string) return Shape(where, p);
  const error_code e = v.get_raw_json_string().get(*raw);
  return e == simdjson::SUCCESS || Malformed(e, where, p);
}

bool NonEmptyString(od::value& v, bool* non_empty, const char* where, Problem* p) {
  od::raw_json_string raw;
  bool is_null = false;
  if (!RawString(v, &raw, &is_null, where, p)) return false;
  // The raw form is not unescaped: it is empty exactly when the closing quote comes first.
  if (!is_null && raw.raw()[0] != '"') *non_empty = true;
  return true;
}

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

bool ReadBool(od::value& v, bool* out, const char* where, Problem* p) {
  od::json_type type;
  if (!TypeOf(v, &type, where, p)) return false;
  if (type == od::json_type::null) return true;
  if (type != od::json_type::boolean) return Shape(where, p);
  const error_code e = v.get_bool().get(*out);
  return e == simdjson::SUCCESS || Malformed(e, where, p);
}

bool ChunkParser::Open(std::string_view data, od::document* doc, od::object* root, Problem* p) {
  const size_t needed = data.size() + simdjson::SIMDJSON_PADDING;
  if (needed > capacity_) {
    capacity_ = std::max({needed, 2 * capacity_, size_t{1024}});
    buffer_.reset(new char[capacity_]);
  }
  std::memcpy(buffer_.get(), data.data(), data.size());
  // Zeroed padding keeps the bytes simdjson may read initialized (valgrind-clean).
  std::memset(buffer_.get() + data.size(), 0, simdjson::SIMDJSON_PADDING);
  error_code e = parser_.iterate(buffer_.get(), data.size(), capacity_).get(*doc);
  if (e != simdjson::SUCCESS) return Malformed(e, "document", p);
  e = doc->get_object().get(*root);
  if (e == simdjson::INCORRECT_TYPE) return Malformed(e, "root (not a JSON object)", p);
  if (e != simdjson::SUCCESS) return Malformed(e, "document", p);
  return true;
}

bool ChunkParser::CheckEnd(od::document& doc, Problem* p) {
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
    return Malformed(simdjson::SUCCESS, "trailing content after the JSON object", p);
  }
  return true;
}

}  // namespace llmprobe::json
