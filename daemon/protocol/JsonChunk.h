// Helpers shared by the stream decoders for reading one JSON chunk with simdjson's on-demand
// API: a reused padded parse buffer, typed field readers that name the field on failure, and
// the short texts that go into errors. Only the decoders include this (it pulls in simdjson).
//
// The readers never validate fields they skip: a chunk is malformed when its structure is
// broken, it has trailing content, or it is not a JSON object; a known field of the wrong type
// is an unexpected shape.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/Dialect.h"
#include "protocol/StreamEvent.h"

namespace llmprobe::json {

namespace od = simdjson::ondemand;
using simdjson::error_code;

constexpr size_t kMaxErrorMessageBytes = 256;  // StreamEvent::error_message
constexpr size_t kMaxPayloadInDetail = 128;    // payload quoted in a DecodeError

// `s` cut to at most `max` bytes, backed up to the start of a UTF-8 sequence.
std::string TruncateUtf8(std::string_view s, size_t max);
// `s` without leading and trailing ASCII whitespace.
std::string_view TrimAscii(std::string_view s);
// At most kMaxPayloadInDetail bytes of `payload`, control bytes replaced, "..." if cut.
std::string PayloadExcerpt(std::string_view payload);

// Why a chunk could not be read. `where` names the field; `code` is simdjson's error, if any.
struct Problem {
  DecodeError::Kind kind = DecodeError::Kind::kMalformedJson;
  const char* where = "";
  error_code code = simdjson::SUCCESS;
};

// "malformed JSON chunk at <where> (<simdjson error>): <excerpt>" or
// "unexpected type of <where>: <excerpt>".
DecodeError Describe(const Problem& problem, std::string_view payload);

// Both set *p and return false, so that readers can `return Malformed(...)`.
bool Malformed(error_code code, const char* where, Problem* p);
bool Shape(const char* where, Problem* p);

bool TypeOf(od::value& v, od::json_type* type, const char* where, Problem* p);
// Opens `v` as an object / array. *is_null is set (and true returned) for a JSON null.
bool OpenObject(od::value& v, od::object* obj, bool* is_null, const char* where, Problem* p);
bool OpenArray(od::value& v, od::array* arr, bool* is_null, const char* where, Problem* p);

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

// Runs fn(element) for each element of array `v` (null = none). fn returns false to fail.
template <typename Fn>
bool ForEachElement(od::value& v, const char* where, Problem* p, Fn&& fn) {
  od::array arr;
  bool is_null = false;
  if (!OpenArray(v, &arr, &is_null, where, p)) return false;
  if (is_null) return true;
  for (auto element : arr) {
    od::value value;
    const error_code e = std::move(element).get(value);
    if (e != simdjson::SUCCESS) return Malformed(e, where, p);
    if (!fn(value)) return false;
  }
  return true;
}

// Sets *non_empty when `v` is a non-empty string (never clears it). Null counts as empty.
bool NonEmptyString(od::value& v, bool* non_empty, const char* where, Problem* p);
// The raw (still escaped) string `v`; *is_null for a JSON null. Compare with `raw == "text"`.
// The view points into the parse buffer: valid until the next Iterate.
bool RawString(od::value& v, od::raw_json_string* raw, bool* is_null, const char* where,
               Problem* p);
// Copies a string value (unescaped) into *out. Other types leave it alone: error texts are
// read leniently, an oddly typed message must not hide the error itself.
bool CopyIfString(od::value& v, std::string* out, const char* where, Problem* p);
// A non-negative integer count; null leaves *out alone.
bool ReadCount(od::value& v, int64_t* out, const char* where, Problem* p);
// A JSON boolean; null leaves *out alone.
bool ReadBool(od::value& v, bool* out, const char* where, Problem* p);

// One document at a time over a reused padded copy of the chunk: simdjson reads up to
// SIMDJSON_PADDING bytes past the end, and the framing buffers promise no such slack.
// Allocates only while the buffer grows. Not thread-safe.
class ChunkParser {
 public:
  // Parses `data` and opens its root object. On failure fills *p (not an object: malformed).
  bool Open(std::string_view data, od::document* doc, od::object* root, Problem* p);
  // After the fields of the root were iterated: false (and *p) when content follows the object.
  static bool CheckEnd(od::document& doc, Problem* p);

 private:
  od::parser parser_;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
};

}  // namespace llmprobe::json
