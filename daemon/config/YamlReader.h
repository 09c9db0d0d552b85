// Typed, error-collecting reads from a parsed yaml-cpp tree, for the config loader only.
//
// Every problem becomes a ConfigError (1-based line:column, key path, message) and reading goes
// on, so one pass reports all of them. Positions: the value node of the offending key; for an
// unknown or duplicate key, the key itself; for a missing key, the mapping that lacks it; for a
// key written with no value (an implicit null, which yaml-cpp places at the next token), the key.
//
// yaml-cpp types appear here only by reference, so this header does not pull yaml-cpp in.
// One YamlReader per load; not thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/ConfigLoader.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace llmprobe {

// Bounds for YamlReader::ReadNumber, built by chaining: NumberRange::Above(0).Below(1) is (0, 1),
// NumberRange::AtLeast(0) is [0, inf).
struct NumberRange {
  double min = 0;
  bool min_inclusive = true;
  static constexpr double kNoLimit = std::numeric_limits<double>::infinity();
  double max = kNoLimit;  // kNoLimit: no upper bound
  bool max_inclusive = true;

  static NumberRange Above(double low) { return {low, false, kNoLimit, true}; }
  static NumberRange AtLeast(double low) { return {low, true, kNoLimit, true}; }
  NumberRange Below(double limit) const { return {min, min_inclusive, limit, false}; }
  NumberRange UpTo(double limit) const { return {min, min_inclusive, limit, true}; }

  bool Contains(double x) const;
  std::string ToString() const;  // "> 0 and <= 10000", ">= 0"
};

class YamlReader {
 public:
  explicit YamlReader(std::string source_name);

  // "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
  static std::string Join(const std::string& path, std::string_view key);
  // "targets" + 2 -> "targets[2]".
  static std::string Index(const std::string& path, size_t i);

  // Records an error at `at` (1:1 when the node has no position, e.g. an empty document).
  void Error(const YAML::Node& at, const std::string& path, std::string message);
  // Records an error whose position is already known (1-based; 0 = unknown).
  void Error(int line, int column, const std::string& path, std::string message);
  bool has_errors() const { return !errors_.empty(); }
  // Errors recorded so far: compare before and after reading a section to learn whether it was
  // sound, so checks that span sections are skipped rather than drawing derived errors.
  size_t error_count() const { return errors_.size(); }
  // All errors so far, in file order (stable for errors at the same position).
  std::vector<ConfigError> TakeErrors();

  // What a node is, for "expected X, got Y": "a list", "a mapping", "null", "\"abc\"" (plain
  // scalar) or "string \"128\"" (quoted scalar where a number or boolean was expected).
  static std::string Describe(const YAML::Node& node);

  // 1-based line of a node (0 if it has none), for "first defined at line N" messages.
  static int LineOf(const YAML::Node& node);

  // A scalar written without quotes: only those may be read as numbers, booleans or null.
  static bool IsPlainScalar(const YAML::Node& node);

  // Checks that `node` is a mapping whose keys are strings from `allowed`, each at most once;
  // reports unknown keys (with an edit-distance suggestion) and duplicates. A null node counts
  // as an empty mapping when `null_is_empty`. Returns false if `node` is not a mapping at all,
  // in which case nothing inside it should be read.
  bool CheckMapping(const YAML::Node& node, const std::string& path,
                    std::initializer_list<std::string_view> allowed, bool null_is_empty = true);

  // Reports `missing required key "k"` at `map` for every key of `keys` it lacks, unless an
  // unknown key of `map` was already answered with "did you mean k?". `map` must have passed
  // CheckMapping.
  void Require(const YAML::Node& map, const std::string& path,
               std::initializer_list<std::string_view> keys);

  // Finds `key` in mapping `map` (first occurrence). On success rebinds *value (and *key_node
  // if given) to the entry's nodes.
  static bool Find(const YAML::Node& map, std::string_view key, YAML::Node* value,
                   YAML::Node* key_node = nullptr);

  // Typed reads of entry `key` of mapping `map`, whose path is `path`. Each returns true and
  // sets *out only when the key is present and its value valid; an absent key returns false
  // with no error and leaves *out alone (so in-class defaults stay); an invalid value records
  // an error and returns false.
  bool ReadString(const YAML::Node& map, const std::string& path, std::string_view key,
                  std::string* out, bool allow_empty = true);
  bool ReadInt(const YAML::Node& map, const std::string& path, std::string_view key, int min,
               int max, int* out);
  bool ReadInt64(const YAML::Node& map, const std::string& path, std::string_view key, int64_t min,
                 int64_t max, int64_t* out);
  // A finite number written without quotes ("1", "0.5", "2.5e1") within `range`.
  bool ReadNumber(const YAML::Node& map, const std::string& path, std::string_view key,
                  const NumberRange& range, double* out);
  bool ReadBool(const YAML::Node& map, const std::string& path, std::string_view key, bool* out);
  bool ReadDuration(const YAML::Node& map, const std::string& path, std::string_view key,
                    bool allow_zero, int64_t* out);
  bool ReadChoice(const YAML::Node& map, const std::string& path, std::string_view key,
                  std::initializer_list<std::string_view> choices, std::string* out);
  // The same with choices known only at run time (e.g. every ApiKindName).
  bool ReadChoice(const YAML::Node& map, const std::string& path, std::string_view key,
                  const std::vector<std::string_view>& choices, std::string* out);
  // A non-empty list of distinct integers in [min, max]; `noun` names an element in messages.
  bool ReadIntList(const YAML::Node& map, const std::string& path, std::string_view key, int min,
                   int max, std::string_view noun, std::vector<int>* out);
  // A non-empty list of distinct finite numbers within `range`, kept in written order.
  bool ReadNumberList(const YAML::Node& map, const std::string& path, std::string_view key,
                      const NumberRange& range, std::string_view noun, std::vector<double>* out);
  // A non-empty, strictly increasing list of positive finite numbers.
  bool ReadBucketList(const YAML::Node& map, const std::string& path, std::string_view key,
                      std::vector<double>* out);

  // A scalar read as a string (any plain or quoted scalar). `key` positions the error for an
  // implicit null. Records an error and returns false for null, lists and mappings.
  bool AsString(const YAML::Node& value, const YAML::Node& key, const std::string& path,
                std::string* out);

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
  std::set<std::string> suggested_;  // key paths offered as "did you mean" for an unknown key
};

}  // namespace llmprobe
