#include "config/YamlReader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "common/Duration.h"

namespace llmprobe {
namespace {

// Keeps messages one line long when someone pastes a paragraph where a number belongs.
std::string Quote(std::string_view text) {
  constexpr size_t kMax = 60;
  if (text.size() > kMax) return "\"" + std::string(text.substr(0, kMax)) + "...\"";
  return "\"" + std::string(text) + "\"";
}

}  // namespace

std::string YamlReader::Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      // yaml-cpp tags quoted (and block) scalars "!"; plain ones "?".
      return node.Tag() == "!" ? "string " + Quote(node.Scalar()) : Quote(node.Scalar());
    default:
      return "null";
  }
}

namespace {

// Optimal string alignment distance (Levenshtein plus adjacent transpositions: "promtp").
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The closest allowed key within distance 2; none when the key is so short that distance 2
// would match nearly anything ("ab" is not a typo of "api").
std::string Suggest(std::string_view key, std::initializer_list<std::string_view> allowed) {
  std::string best;
  size_t best_distance = 3;
  for (std::string_view candidate : allowed) {
    const size_t dist = EditDistance(key, candidate);
    if (dist < best_distance && dist < key.size()) {
      best = std::string(candidate);
      best_distance = dist;
    }
  }
  return best;
}

bool ParseNumber(std::string_view text, double* out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

enum class IntParse { kOk, kOutOfRange, kInvalid };

// An integer too large for int64_t is kOutOfRange (so it is reported as out of range, not as
// "not an integer"), never clamped: a clamped value could pass a bound of INT64_MAX.
IntParse ParseInt(std::string_view text, int64_t* out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return IntParse::kInvalid;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  if (end != text.data() + text.size()) return IntParse::kInvalid;
  if (ec == std::errc::result_out_of_range) return IntParse::kOutOfRange;
  return ec == std::errc() ? IntParse::kOk : IntParse::kInvalid;
}

// Shortest round-trip spelling, whole numbers without exponent: 1e7 -> "10000000", 0.5 -> "0.5".
std::string FormatNumber(double x) {
  if (x == std::trunc(x) && std::fabs(x) < 1e15) return std::to_string(static_cast<int64_t>(x));
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), x);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(x);
}

// A finite number written without quotes; "inf" and "nan", which from_chars takes, are not.
bool AsNumber(const YAML::Node& node, double* out) {
  return YamlReader::IsPlainScalar(node) && ParseNumber(node.Scalar(), out) && std::isfinite(*out);
}

// Control characters as C escapes ("\\n", "\\t", "\\x01"); everything else as it is.
std::string EscapeControlChars(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
  return out;
}

}  // namespace

bool YamlReader::IsPlainScalar(const YAML::Node& node) {
  return node.IsScalar() && node.Tag() != "!";
}

bool NumberRange::Contains(double x) const {
  return (min_inclusive ? x >= min : x > min) && (max_inclusive ? x <= max : x < max);
}

std::string NumberRange::ToString() const {
  std::string out = (min_inclusive ? ">= " : "> ") + FormatNumber(min);
  if (max != kNoLimit) out += (max_inclusive ? " and <= " : " and < ") + FormatNumber(max);
  return out;
}

YamlReader::YamlReader(std::string source_name) : file_(std::move(source_name)) {}

std::string YamlReader::Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string YamlReader::Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

int YamlReader::LineOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

void YamlReader::Error(const YAML::Node& at, const std::string& path, std::string message) {
  const YAML::Mark mark = at.Mark();
  if (mark.is_null()) {
    Error(1, 1, path, std::move(message));
  } else {
    Error(mark.line + 1, mark.column + 1, path, std::move(message));
  }
}

void YamlReader::Error(int line, int column, const std::string& path, std::string message) {
  // One error per line: values echoed in the message or the path (a multi-line scalar, a key
  // with a newline) must not break it.
  errors_.push_back(
      ConfigError{file_, line, column, EscapeControlChars(path), EscapeControlChars(message)});
}

std::vector<ConfigError> YamlReader::TakeErrors() {
  // Checks run per section (a missing key is found after its siblings were read), so sort.
  std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return std::exchange(errors_, {});
}

bool YamlReader::CheckMapping(const YAML::Node& node, const std::string& path,
                              std::initializer_list<std::string_view> allowed, bool null_is_empty) {
  if (node.IsNull() && null_is_empty) return true;
  if (!node.IsMap()) {
    Error(node, path, "expected a mapping, got " + Describe(node));
    return false;
  }
  std::map<std::string, int, std::less<>> seen;  // key -> line of first occurrence
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) {
      Error(key, path, "expected a string key, got " + Describe(key));
      continue;
    }
    const std::string& name = key.Scalar();
    const std::string key_path = Join(path, name);
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string message = "unknown key " + Quote(name);
      if (std::string suggestion = Suggest(name, allowed); !suggestion.empty()) {
        message += " (did you mean " + Quote(suggestion) + "?)";
        suggested_.insert(Join(path, suggestion));
      }
      Error(key, key_path, std::move(message));
      continue;
    }
    if (auto it = seen.find(name); it != seen.end()) {
      Error(key, key_path,
            "duplicate key " + Quote(name) + " (first defined at line " +
                std::to_string(it->second) + ")");
      continue;
    }
    seen.emplace(name, LineOf(key));
  }
  return true;
}

void YamlReader::Require(const YAML::Node& map, const std::string& path,
                         std::initializer_list<std::string_view> keys) {
  YAML::Node unused;
  for (std::string_view key : keys) {
    // "modle" already drew "did you mean model?": a second error for "model" adds nothing.
    if (suggested_.count(Join(path, key)) != 0) continue;
    if (!Find(map, key, &unused)) Error(map, path, "missing required key " + Quote(key));
  }
}

bool YamlReader::Find(const YAML::Node& map, std::string_view key, YAML::Node* value,
                      YAML::Node* key_node) {
  if (!map.IsMap()) return false;
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) {
      // reset() rebinds; operator= would write through to the node *value refers to.
      value->reset(entry.second);
      if (key_node != nullptr) key_node->reset(entry.first);
      return true;
    }
  }
  return false;
}

bool YamlReader::AsString(const YAML::Node& value, const YAML::Node& key, const std::string& path,
                          std::string* out) {
  if (!value.IsScalar()) {
    Error(value.IsNull() ? key : value, path, "expected a string, got " + Describe(value));
    return false;
  }
  *out = value.Scalar();
  return true;
}

bool YamlReader::ReadString(const YAML::Node& map, const std::string& path, std::string_view key,
                            std::string* out, bool allow_empty) {
  YAML::Node value, key_node;
  if (!Find(map, key, &value, &key_node)) return false;
  const std::string key_path = Join(path, key);
  std::string text;
  if (!AsString(value, key_node, key_path, &text)) return false;
  if (!allow_empty && text.empty()) {
    Error(value, key_path, "must not be empty");
    return false;
  }
  *out = std::move(text);
  return true;
}

bool YamlReader::ReadInt(const YAML::Node& map, const std::string& path, std::string_view key,
                         int min, int max, int* out) {
  int64_t n = 0;
  if (!ReadInt64(map, path, key, min, max, &n)) return false;
  *out = static_cast<int>(n);
  return true;
}

bool YamlReader::ReadInt64(const YAML::Node& map, const std::string& path, std::string_view key,
                           int64_t min, int64_t max, int64_t* out) {
  YAML::Node value, key_node;
  if (!Find(map, key, &value, &key_node)) return false;
  const std::string key_path = Join(path, key);
  int64_t n = 0;
  const IntParse parsed = IsPlainScalar(value) ? ParseInt(value.Scalar(), &n) : IntParse::kInvalid;
  if (parsed == IntParse::kInvalid) {
    Error(value.IsNull() ? key_node : value, key_path,
          "expected an integer, got " + Describe(value));
    return false;
  }
  if (parsed == IntParse::kOutOfRange || n < min || n > max) {
    const bool no_max = max == INT_MAX || max == INT64_MAX;
    Error(value, key_path,
          (no_max ? "must be >= " + std::to_string(min)
                  : "must be between " + std::to_string(min) + " and " + std::to_string(max)) +
              ", got " + value.Scalar());
    return false;
  }
  *out = n;
  return true;
}

bool YamlReader::ReadNumber(const YAML::Node& map, const std::string& path, std::string_view key,
                            const NumberRange& range, double* out) {
  YAML::Node value, key_node;
  if (!Find(map, key, &value, &key_node)) return false;
  const std::string key_path = Join(path, key);
  double x = 0;
  if (!AsNumber(value, &x)) {
    Error(value.IsNull() ? key_node : value, key_path, "expected a number, got " + Describe(value));
    return false;
  }
  if (!range.Contains(x)) {
    Error(value, key_path, "must be " + range.ToString() + ", got " + value.Scalar());
    return false;
  }
  *out = x;
  return true;
}

bool YamlReader::ReadBool(const YAML::Node& map, const std::string& path, std::string_view key,
                          bool* out) {
  YAML::Node value, key_node;
  if (!Find(map, key, &value, &key_node)) return false;
  // YAML 1.2 core schema only: "yes", "on", "y" are strings there, and ambiguous to readers.
  static const std::set<std::string, std::less<>> kTrue = {"true", "True", "TRUE"};
  static const std::set<std::string, std::less<>> kFalse = {"false", "False", "FALSE"};
  if (IsPlainScalar(value) && kTrue.count(value.Scalar()) != 0) {
    *out = true;
    return true;
  }
  if (IsPlainScalar(value) && kFalse.count(value.Scalar()) != 0) {
    *out = false;
    return true;
  }
  Error(value.IsNull() ? key_node : value, Join(path, key),
        "expected a boolean (true or false), got " + Describe(value));
  return false;
}

bool YamlReader::ReadDuration(const YAML::Node& map, const std::string& path, std::string_view key,
                              bool allow_zero, int64_t* out) {
  YAML::Node value, key_node;
  if (!Find(map, key, &value, &key_node)) return false;
  const std::string key_path = Join(path, key);
  if (!value.IsScalar()) {
    Error(value.IsNull() ? key_node : value, key_path,
          "expected a duration such as \"30s\", got " + Describe(value));
    return false;
  }
  Result<int64_t> parsed = ParseDuration(value.Scalar());
  if (!parsed.ok()) {
    Error(value, key_path, parsed.status().message());
    return false;
  }
  if (!allow_zero && parsed.value() == 0) {
    Error(value, key_path, "must be greater than 0, got " + Quote(value.Scalar()));
    return false;
  }
  *out = parsed.value();
  return true;
}

bool YamlReader::ReadChoice(const YAML::Node& map, const std::string& path, std::string_view key,
                            std::initializer_list<std::string_view> choices, std::string* out) {
  return ReadChoice(map, path, key, std::vector<std::string_view>(choices), out);
}

bool YamlReader::ReadChoice(const YAML::Node& map, const std::string& path, std::string_view key,
                            const std::vector<std::string_view>& choices, std::string* out) {
  YAML::Node value, key_node;
  if (!Find(map, key, &value, &key_node)) return false;
  const std::string key_path = Join(path, key);
  std::string text;
  if (!AsString(value, key_node, key_path, &text)) return false;
  if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
    std::string list;
    for (std::string_view choice : choices)
      list += (list.empty() ? "" : ", ") + std::string(choice);
    Error(value, key_path, "invalid value " + Quote(text) + " (expected one of: " + list + ")");
    return false;
  }
  *out = std::move(text);
  return true;
}

bool YamlReader::ReadIntList(const YAML::Node& map, const std::string& path, std::string_view key,
                             int min, int max, std::string_view noun, std::vector<int>* out) {
  YAML::Node value, key_node;
  if (!Find(map, key, &value, &key_node)) return false;
  const std::string key_path = Join(path, key);
  if (!value.IsSequence()) {
    Error(value.IsNull() ? key_node : value, key_path, "expected a list, got " + Describe(value));
    return false;
  }
  if (value.size() == 0) {
    Error(value, key_path, "must list at least one " + std::string(noun));
    return false;
  }
  std::vector<int> result;
  bool ok = true;
  for (size_t i = 0; i < value.size(); ++i) {
    const YAML::Node item = value[i];
    const std::string item_path = Index(key_path, i);
    int64_t n = 0;
    const IntParse parsed = IsPlainScalar(item) ? ParseInt(item.Scalar(), &n) : IntParse::kInvalid;
    if (parsed == IntParse::kInvalid) {
      Error(item, item_path, "expected an integer, got " + Describe(item));
      ok = false;
    } else if (parsed == IntParse::kOutOfRange || n < min || n > max) {
      Error(item, item_path,
            "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                item.Scalar());
      ok = false;
    } else if (std::find(result.begin(), result.end(), n) != result.end()) {
      Error(item, item_path, "duplicate " + std::string(noun) + " " + std::to_string(n));
      ok = false;
    } else {
      result.push_back(static_cast<int>(n));
    }
  }
  if (ok) *out = std::move(result);
  return ok;
}

bool YamlReader::ReadNumberList(const YAML::Node& map, const std::string& path,
                                std::string_view key, const NumberRange& range,
                                std::string_view noun, std::vector<double>* out) {
  YAML::Node value, key_node;
  if (!Find(map, key, &value, &key_node)) return false;
  const std::string key_path = Join(path, key);
  if (!value.IsSequence()) {
    Error(value.IsNull() ? key_node : value, key_path, "expected a list, got " + Describe(value));
    return false;
  }
  if (value.size() == 0) {
    Error(value, key_path, "must list at least one " + std::string(noun));
    return false;
  }
  std::vector<double> result;
  std::vector<size_t> index;  // result[k] was item index[k]
  bool ok = true;
  for (size_t i = 0; i < value.size(); ++i) {
    const YAML::Node item = value[i];
    const std::string item_path = Index(key_path, i);
    double x = 0;
    if (!AsNumber(item, &x)) {
      Error(item, item_path, "expected a number, got " + Describe(item));
      ok = false;
      continue;
    }
    if (!range.Contains(x)) {
      Error(item, item_path, "must be " + range.ToString() + ", got " + item.Scalar());
      ok = false;
      continue;
    }
    // "1" and "1.0" are the same level; the message says which item it repeats.
    const auto same = std::find(result.begin(), result.end(), x);
    if (same != result.end()) {
      Error(item, item_path,
            "duplicate " + std::string(noun) + " " + item.Scalar() + " (same value as item " +
                std::to_string(index[static_cast<size_t>(same - result.begin())]) + ")");
      ok = false;
      continue;
    }
    result.push_back(x);
    index.push_back(i);
  }
  if (ok) *out = std::move(result);
  return ok;
}

bool YamlReader::ReadBucketList(const YAML::Node& map, const std::string& path,
                                std::string_view key, std::vector<double>* out) {
  YAML::Node value, key_node;
  if (!Find(map, key, &value, &key_node)) return false;
  const std::string key_path = Join(path, key);
  if (!value.IsSequence()) {
    Error(value.IsNull() ? key_node : value, key_path, "expected a list, got " + Describe(value));
    return false;
  }
  if (value.size() == 0) {
    Error(value, key_path, "must list at least one bucket bound");
    return false;
  }
  std::vector<double> result;
  std::string previous_text;
  bool ok = true;
  for (size_t i = 0; i < value.size(); ++i) {
    const YAML::Node item = value[i];
    const std::string item_path = Index(key_path, i);
    double x = 0;
    if (!IsPlainScalar(item) || !ParseNumber(item.Scalar(), &x)) {
      Error(item, item_path, "expected a number, got " + Describe(item));
      ok = false;
      continue;
    }
    if (!std::isfinite(x) || x <= 0) {
      Error(item, item_path, "bucket bounds must be positive numbers, got " + item.Scalar());
      ok = false;
      continue;
    }
    if (!result.empty() && x <= result.back()) {
      Error(item, item_path,
            "bucket bounds must be strictly increasing, got " + item.Scalar() + " after " +
                previous_text);
      ok = false;
      continue;  // later items are compared with the last good one
    }
    result.push_back(x);
    previous_text = item.Scalar();
  }
  if (ok) *out = std::move(result);
  return ok;
}

}  // namespace llmprobe
