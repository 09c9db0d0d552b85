// The workload section of a target (see WorkloadSchema.h).
#include "config/WorkloadSchema.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/FileText.h"
#include "config/LoadSchema.h"  // KeyForMode
#include "config/PromptsFile.h"

namespace llmprobe::schema {
namespace {

// Far above any sane prompt set; stops a wrong path (a log, a disk image) from eating memory.
constexpr size_t kMaxPromptsFileBytes = 256 * 1024 * 1024;
// Bad lines reported one by one; the rest are counted (a wrong file would bury the output).
constexpr size_t kMaxPromptsFileErrors = 10;
// extra_body nesting; deeper is a mistake (or an attack on the recursion below).
constexpr int kMaxExtraBodyDepth = 32;

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// "-12", "+3", "7": YAML 1.2 core schema decimal integers.
bool IsIntegerText(std::string_view s) {
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A plain scalar of extra_body as JSON, typed as YAML 1.2's core schema types it: booleans,
// decimal integers and floats; anything else (".inf", "0x1f", words) is a string.
nlohmann::ordered_json PlainScalarToJson(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  const bool integer = IsIntegerText(text);  // before dropping a '+': "+-1" is no number
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  if (integer) {
    int64_t n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec == std::errc() && end == digits.data() + digits.size()) return n;
  }
  bool has_digit = false;
  bool number_chars = true;
  for (char c : digits) {
    has_digit = has_digit || (c >= '0' && c <= '9');
    number_chars = number_chars && ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' ||
                                    c == '+' || c == '-');
  }
  if (has_digit && number_chars) {
    double x = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), x);
    if (ec == std::errc() && end == digits.data() + digits.size() && std::isfinite(x)) return x;
  }
  return text;
}

// YAML -> JSON for extra_body; records errors (non-string or duplicate keys, too deep) and
// returns false on any.
bool ToJson(YamlReader& r, const YAML::Node& node, const std::string& path, int depth,
            nlohmann::ordered_json* out) {
  if (depth > kMaxExtraBodyDepth) {
    r.Error(node, path, "nested more than " + std::to_string(kMaxExtraBodyDepth) + " levels deep");
    return false;
  }
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      *out = YamlReader::IsPlainScalar(node) ? PlainScalarToJson(node.Scalar())
                                             : nlohmann::ordered_json(node.Scalar());
      return true;
    case YAML::NodeType::Sequence: {
      *out = nlohmann::ordered_json::array();
      bool ok = true;
      for (size_t i = 0; i < node.size(); ++i) {
        nlohmann::ordered_json item;
        ok = ToJson(r, node[i], YamlReader::Index(path, i), depth + 1, &item) && ok;
        out->push_back(std::move(item));
      }
      return ok;
    }
    case YAML::NodeType::Map: {
      *out = nlohmann::ordered_json::object();
      bool ok = true;
      std::map<std::string, int> seen;  // key -> line of first occurrence
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          r.Error(entry.first, path,
                  "expected a string key, got " + YamlReader::Describe(entry.first));
          ok = false;
          continue;
        }
        const std::string& key = entry.first.Scalar();
        const std::string key_path = YamlReader::Join(path, key);
        if (auto it = seen.find(key); it != seen.end()) {
          r.Error(entry.first, key_path,
                  "duplicate key " + Quoted(key) + " (first defined at line " +
                      std::to_string(it->second) + ")");
          ok = false;
          continue;
        }
        seen.emplace(key, YamlReader::LineOf(entry.first));
        nlohmann::ordered_json value;
        ok = ToJson(r, entry.second, key_path, depth + 1, &value) && ok;
        (*out)[key] = std::move(value);
      }
      return ok;
    }
    default:  // null (also an implicit one): a JSON null, which removes the key it patches
      *out = nullptr;
      return true;
  }
}

void ReadExtraBody(YamlReader& r, const YAML::Node& node, const std::string& path,
                   std::string* out) {
  if (node.IsNull()) return;  // `extra_body:` with everything commented out
  if (!node.IsMap()) {
    r.Error(node, path, "expected a mapping, got " + YamlReader::Describe(node));
    return;
  }
  YAML::Node stream, stream_key;
  if (YamlReader::Find(node, "stream", &stream, &stream_key)) {
    r.Error(stream_key, YamlReader::Join(path, "stream"),
            "must not be set: llmprobe measures streamed responses only");
    return;
  }
  nlohmann::ordered_json body;
  if (!ToJson(r, node, path, 0, &body)) return;
  *out = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// `prompt_tokens` written as a mapping.
void ReadPromptLength(YamlReader& r, const YAML::Node& node, const std::string& path,
                      WorkloadConfig* w) {
  if (!r.CheckMapping(node, path, {"distribution", "value", "min", "max", "mean", "stddev"})) {
    return;
  }
  YAML::Node distribution_node;
  const bool given = YamlReader::Find(node, "distribution", &distribution_node);
  std::string distribution = "fixed";
  if (!r.ReadChoice(node, path, "distribution", {"fixed", "uniform", "normal"}, &distribution) &&
      given) {
    return;  // which keys belong is unknown
  }
  const std::string mode_text = "distribution is " + distribution + (given ? "" : ", the default");
  const size_t errors_before = r.error_count();
  auto key_of = [&](std::string_view key, std::string_view owner) {
    const bool read = KeyForMode(r, node, path, key, distribution == owner, true,
                                 "distribution " + std::string(owner), mode_text, "");
    YAML::Node unused;
    if (distribution == owner && !YamlReader::Find(node, key, &unused)) {
      r.Error(node, path, "missing required key " + Quoted(key) + " (" + mode_text + ")");
    }
    return read;
  };
  WorkloadConfig v;  // committed only when the whole mapping is valid
  if (key_of("value", "fixed"))
    r.ReadInt(node, path, "value", 1, kMaxPromptTokens, &v.prompt_tokens);
  const bool min_ok = key_of("min", "uniform") &&
                      r.ReadInt(node, path, "min", 1, kMaxPromptTokens, &v.prompt_tokens_min);
  if (key_of("max", "uniform") &&
      r.ReadInt(node, path, "max", 1, kMaxPromptTokens, &v.prompt_tokens_max) && min_ok &&
      v.prompt_tokens_max < v.prompt_tokens_min) {
    YAML::Node max_node;
    YamlReader::Find(node, "max", &max_node);
    r.Error(max_node, YamlReader::Join(path, "max"),
            "must be >= min (" + std::to_string(v.prompt_tokens_min) + "), got " +
                std::to_string(v.prompt_tokens_max));
  }
  if (key_of("mean", "normal"))
    r.ReadInt(node, path, "mean", 1, kMaxPromptTokens, &v.prompt_tokens);
  if (key_of("stddev", "normal")) {
    r.ReadNumber(node, path, "stddev", NumberRange::AtLeast(0).UpTo(kMaxPromptTokens),
                 &v.prompt_tokens_stddev);
  }
  if (r.error_count() != errors_before) return;
  if (distribution == "uniform") {
    w->prompt_distribution = PromptLengthDistribution::kUniform;
    w->prompt_tokens_min = v.prompt_tokens_min;
    w->prompt_tokens_max = v.prompt_tokens_max;
    w->prompt_tokens = (v.prompt_tokens_min + v.prompt_tokens_max) / 2;  // the nominal length
  } else if (distribution == "normal") {
    w->prompt_distribution = PromptLengthDistribution::kNormal;
    w->prompt_tokens = v.prompt_tokens;
    w->prompt_tokens_stddev = v.prompt_tokens_stddev;
  } else {
    w->prompt_distribution = PromptLengthDistribution::kFixed;
    w->prompt_tokens = v.prompt_tokens;
  }
}

// `prompt_tokens`: an integer or a mapping. Returns true when it was valid (or absent).
bool ReadPromptTokens(YamlReader& r, const YAML::Node& workload, const std::string& path,
                      WorkloadConfig* w) {
  YAML::Node value, key;
  if (!YamlReader::Find(workload, "prompt_tokens", &value, &key)) return true;
  const std::string key_path = YamlReader::Join(path, "prompt_tokens");
  const size_t errors_before = r.error_count();
  if (value.IsMap()) {
    ReadPromptLength(r, value, key_path, w);
  } else if (YamlReader::IsPlainScalar(value) && IsIntegerText(value.Scalar())) {
    if (r.ReadInt(workload, path, "prompt_tokens", 1, kMaxPromptTokens, &w->prompt_tokens)) {
      w->prompt_distribution = PromptLengthDistribution::kFixed;
    }
  } else {
    r.Error(value.IsNull() ? key : value, key_path,
            "expected an integer or a mapping (distribution: fixed, uniform or normal), got " +
                YamlReader::Describe(value));
  }
  return r.error_count() == errors_before;
}

// The shortest prompt a distribution asks for, and how to name it in a message.
std::pair<int, std::string> ShortestPrompt(const WorkloadConfig& w) {
  switch (w.prompt_distribution) {
    case PromptLengthDistribution::kUniform:
      return {w.prompt_tokens_min, "prompt_tokens.min " + std::to_string(w.prompt_tokens_min)};
    case PromptLengthDistribution::kNormal:
      return {w.prompt_tokens, "prompt_tokens.mean " + std::to_string(w.prompt_tokens)};
    case PromptLengthDistribution::kFixed:
      break;
  }
  return {w.prompt_tokens, "prompt_tokens " + std::to_string(w.prompt_tokens)};
}

void ReadPromptsFile(YamlReader& r, const YAML::Node& workload, const std::string& path,
                     const std::string& base_dir, WorkloadConfig* w) {
  std::string written;
  if (!r.ReadString(workload, path, "prompts_file", &written, false)) return;
  YAML::Node value;
  YamlReader::Find(workload, "prompts_file", &value);
  const std::string key_path = YamlReader::Join(path, "prompts_file");
  const std::string file = ResolveConfigPath(base_dir, written);
  std::string text;
  if (const int err = ReadFileText(file, kMaxPromptsFileBytes, &text); err != 0) {
    r.Error(value, key_path, "cannot read prompts file " + Quoted(file) + ": " + ErrnoMessage(err));
    return;
  }
  ParsedPrompts parsed = ParsePromptsJsonl(text);
  // Each bad line is an error at the key, its own position in the message: "file:line: ...".
  for (size_t i = 0; i < parsed.errors.size() && i < kMaxPromptsFileErrors; ++i) {
    const PromptsFileError& e = parsed.errors[i];
    r.Error(value, key_path, file + ":" + std::to_string(e.line) + ": " + e.message);
  }
  if (parsed.errors.size() > kMaxPromptsFileErrors) {
    r.Error(value, key_path,
            file + ": " + std::to_string(parsed.errors.size() - kMaxPromptsFileErrors) +
                " more invalid lines not shown");
  }
  if (!parsed.errors.empty()) return;
  if (parsed.entries.empty()) {
    r.Error(value, key_path, "prompts file " + Quoted(file) + " holds no prompts");
    return;
  }
  w->prompts_file = file;
  w->prompts.entries = std::make_shared<const std::vector<PromptEntry>>(std::move(parsed.entries));
}

bool SendsVllmExtras(ApiKind api) {
  return api == ApiKind::kOpenAiChat || api == ApiKind::kOpenAiCompletions ||
         api == ApiKind::kOpenAiResponses;
}

}  // namespace

void ReadWorkload(YamlReader& r, const YAML::Node& node, const std::string& path,
                  std::optional<ApiKind> api, const std::string& base_dir, WorkloadConfig* w) {
  if (!r.CheckMapping(node, path,
                      {"prompt_tokens", "shared_prefix_tokens", "unique_prefix", "prompts_file",
                       "prompts_order", "max_tokens", "min_tokens", "ignore_eos",
                       "send_max_completion_tokens", "extra_body"})) {
    return;
  }
  YAML::Node value, key;
  const bool has_file = YamlReader::Find(node, "prompts_file", &value);
  if (has_file) ReadPromptsFile(r, node, path, base_dir, w);

  // Synthetic prompts and prompts from a file exclude each other.
  auto synthetic_key = [&](std::string_view k) {
    if (!YamlReader::Find(node, k, &value, &key)) return false;
    if (!has_file) return true;
    r.Error(key, YamlReader::Join(path, k),
            "not used with prompts_file (the file's prompts are sent as they are)");
    return false;
  };
  const bool length_ok = !synthetic_key("prompt_tokens") || ReadPromptTokens(r, node, path, w);
  int prefix = 0;
  if (synthetic_key("shared_prefix_tokens") &&
      r.ReadInt(node, path, "shared_prefix_tokens", 0, kMaxPromptTokens, &prefix)) {
    const auto [shortest, shortest_text] = ShortestPrompt(*w);
    if (length_ok && prefix > 0 && prefix >= shortest) {
      YamlReader::Find(node, "shared_prefix_tokens", &value);
      r.Error(value, YamlReader::Join(path, "shared_prefix_tokens"),
              "must be less than the shortest prompt (" + shortest_text + "), got " +
                  std::to_string(prefix));
    } else {
      w->shared_prefix_tokens = prefix;
    }
  }
  if (YamlReader::Find(node, "prompts_order", &value, &key)) {
    std::string order;
    if (!has_file) {
      r.Error(key, YamlReader::Join(path, "prompts_order"), "only used with prompts_file");
    } else if (r.ReadChoice(node, path, "prompts_order", {"sequential", "random"}, &order)) {
      w->prompts_order = order == "random" ? PromptsOrder::kRandom : PromptsOrder::kSequential;
    }
  }
  r.ReadBool(node, path, "unique_prefix", &w->unique_prefix);

  // Output length. min_tokens and ignore_eos are vLLM/SGLang extensions that only the OpenAI
  // dialects send; send_max_completion_tokens concerns openai-chat only.
  const std::string api_text = api ? "api is " + std::string(ApiKindName(*api)) : "";
  auto openai_key = [&](std::string_view k) {
    return KeyForMode(r, node, path, k, api && SendsVllmExtras(*api), api.has_value(),
                      "api openai-chat, openai-completions or openai-responses", api_text, "");
  };
  const bool max_ok = r.ReadInt(node, path, "max_tokens", 1, INT_MAX, &w->max_tokens) ||
                      !YamlReader::Find(node, "max_tokens", &value);
  int min_tokens = 0;
  if (openai_key("min_tokens") && r.ReadInt(node, path, "min_tokens", 0, INT_MAX, &min_tokens)) {
    if (max_ok && min_tokens > w->max_tokens) {
      YamlReader::Find(node, "min_tokens", &value);
      r.Error(value, YamlReader::Join(path, "min_tokens"),
              "must not exceed max_tokens (" + std::to_string(w->max_tokens) + "), got " +
                  std::to_string(min_tokens));
    } else {
      w->min_tokens = min_tokens;
    }
  }
  if (openai_key("ignore_eos")) r.ReadBool(node, path, "ignore_eos", &w->ignore_eos);
  if (KeyForMode(r, node, path, "send_max_completion_tokens", api == ApiKind::kOpenAiChat,
                 api.has_value(), "api openai-chat", api_text, "")) {
    r.ReadBool(node, path, "send_max_completion_tokens", &w->send_max_completion_tokens);
  }
  if (YamlReader::Find(node, "extra_body", &value)) {
    ReadExtraBody(r, value, YamlReader::Join(path, "extra_body"), &w->extra_body);
  }
}

}  // namespace llmprobe::schema
