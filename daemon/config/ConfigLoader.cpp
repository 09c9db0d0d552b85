// The config loader: the document checks, the root and global sections, and the checks that
// span targets (unique names, one currency). A target's keys are in TargetSchema.cpp, its load,
// schedule, slo and budget in LoadSchema.cpp; typed reading and error collection in
// YamlReader; URL splitting in TargetUrl.cpp.
//
// Error format (ConfigError::ToString), one line per error, in file order:
//   file:line:col: key.path: message      position and key path known (the usual case)
//   file:line:col: message                 error about the whole document (key path empty)
//   file: message                          no position (the file cannot be read)
// YAML syntax errors use the key path "(yaml)" and yaml-cpp's own message:
//   my.yaml:3:1: (yaml): end of sequence flow not found
#include "config/ConfigLoader.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <exception>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/HostPort.h"
#include "config/FileText.h"
#include "config/TargetSchema.h"
#include "config/YamlReader.h"

namespace llmprobe {
namespace {

// Far above any sane config; stops a wrong path (a log, /dev/zero) from eating memory.
constexpr size_t kMaxConfigBytes = 16 * 1024 * 1024;
// Label cardinality: every target is a `target` label value on ~20 metric families, times its
// levels (LoadSchema.cpp: at most kMaxLevelsPerTarget). A fleet larger than this is sharded
// (--shard INDEX/COUNT), which keeps each replica's /metrics small.
constexpr size_t kMaxTargets = 500;

// What ParseHostPort leaves to the socket layer: a host with spaces, control characters or
// stray brackets ("[::1" after a lost "]") would only fail at bind time, after the reload.
bool IsListenHost(std::string_view host) {
  for (char c : host) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '[' || c == ']') return false;
  }
  return true;
}

void ReadGlobal(YamlReader& r, const YAML::Node& node, const std::string& path,
                GlobalConfig* global) {
  if (!r.CheckMapping(node, path, {"web_listen_address", "log_level", "log_format"})) return;
  std::string address;
  if (r.ReadString(node, path, "web_listen_address", &address)) {
    // The web server parses the address with the same function (WebServer.cpp).
    Result<HostPort> parsed = ParseHostPort(address);
    std::string problem;
    if (!parsed.ok()) {
      problem = parsed.status().message();
    } else if (!IsListenHost(parsed.value().host)) {
      problem = "address \"" + address + "\" has an invalid host \"" + parsed.value().host + "\"";
    }
    if (problem.empty()) {
      global->web_listen_address = address;
    } else {
      YAML::Node value;
      YamlReader::Find(node, "web_listen_address", &value);
      r.Error(value, YamlReader::Join(path, "web_listen_address"), problem);
    }
  }
  r.ReadChoice(node, path, "log_level", {"debug", "info", "warn", "error"}, &global->log_level);
  r.ReadChoice(node, path, "log_format", {"logfmt", "json"}, &global->log_format);
}

// The cost estimate is one metric with the currency in its help text, so every priced target
// must use one currency. Reported at the second target that differs, naming the first.
class CurrencyCheck {
 public:
  void Add(YamlReader& r, const YAML::Node& target_node, const std::string& path,
           const TargetConfig& target) {
    if (!target.budget.priced()) return;
    YAML::Node budget, price, currency;
    YamlReader::Find(target_node, "budget", &budget);
    YamlReader::Find(budget, "price", &price);
    const bool given = YamlReader::Find(price, "currency", &currency);
    const YAML::Node& at = given ? currency : price;  // price is a mapping: it has a position
    const std::string text = "\"" + target.budget.currency + "\"" + (given ? "" : " (the default)");
    if (first_.empty()) {
      first_ = target.budget.currency;
      first_text_ = text;
      first_target_ = target.name.empty() ? path : "target \"" + target.name + "\"";
      first_line_ = YamlReader::LineOf(at);
      return;
    }
    if (target.budget.currency == first_) return;
    r.Error(at, YamlReader::Join(path, "budget.price.currency"),
            "currency " + text + " differs from " + first_text_ + " of " + first_target_ +
                " (line " + std::to_string(first_line_) +
                "); all priced targets must use the same currency");
  }

 private:
  std::string first_;  // currency of the first priced target; empty before it
  std::string first_text_;
  std::string first_target_;
  int first_line_ = 0;
};

void ReadRoot(YamlReader& r, const YAML::Node& root, const std::string& base_dir, Config* config) {
  if (!r.CheckMapping(root, "", {"global", "targets"})) return;
  r.Require(root, "", {"targets"});
  YAML::Node value, key;
  if (YamlReader::Find(root, "global", &value)) ReadGlobal(r, value, "global", &config->global);
  if (!YamlReader::Find(root, "targets", &value, &key)) return;
  if (value.IsNull() || (value.IsSequence() && value.size() == 0)) {
    r.Error(value.IsNull() ? key : value, "targets", "must list at least one target");
    return;
  }
  if (!value.IsSequence()) {
    r.Error(value, "targets", "expected a list, got " + YamlReader::Describe(value));
    return;
  }
  if (value.size() > kMaxTargets) {
    r.Error(value, "targets",
            "lists " + std::to_string(value.size()) + " targets, more than " +
                std::to_string(kMaxTargets) +
                " (label cardinality): split them over replicas with --shard INDEX/COUNT");
    return;
  }
  std::map<std::string, int> first_line;  // target name -> line of its name
  CurrencyCheck currency;
  for (size_t i = 0; i < value.size(); ++i) {
    const YAML::Node item = value[i];
    const std::string path = YamlReader::Index("targets", i);
    TargetConfig target;
    schema::ReadTarget(r, item, path, base_dir, &target);
    currency.Add(r, item, path, target);
    if (!target.name.empty()) {
      YAML::Node name_node;
      YamlReader::Find(item, "name", &name_node);
      if (auto it = first_line.find(target.name); it != first_line.end()) {
        r.Error(name_node, YamlReader::Join(path, "name"),
                "duplicate target name \"" + target.name + "\" (first defined at line " +
                    std::to_string(it->second) + ")");
      } else {
        first_line.emplace(target.name, YamlReader::LineOf(name_node));
      }
    }
    config->targets.push_back(std::move(target));
  }
}

// Records, per YAML document, where it starts and where its first real content is.
class DocumentScanner final : public YAML::EventHandler {
 public:
  struct Document {
    YAML::Mark start;
    YAML::Mark content;  // first scalar, sequence, mapping or alias
    bool has_content = false;
  };
  std::vector<Document> documents;

  void OnDocumentStart(const YAML::Mark& mark) override { documents.push_back({mark, mark}); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Content(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Content(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Content(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Content(mark);
  }
  void OnMapEnd() override {}

 private:
  void Content(const YAML::Mark& mark) {
    if (!documents.empty() && !documents.back().has_content) {
      documents.back().content = mark;
      documents.back().has_content = true;
    }
  }
};

// Checks that the text holds one YAML document (a trailing empty one, "---" at the end, is
// fine). Runs yaml-cpp's event parser instead of YAML::LoadAll: on some invalid input (a line
// starting with ',' after a block sequence) yaml-cpp 0.7's parser stops advancing and LoadAll
// appends empty documents until memory runs out (fixed upstream in yaml-cpp PR #1319, not in
// Debian's 0.7.0). A document starting where the previous one did is that loop, and is
// reported as a syntax error. Throws YAML::Exception on syntax errors.
void CheckSingleDocument(const std::string& text, YamlReader& r) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentScanner scanner;
  while (parser.HandleNextDocument(scanner)) {
    const auto& docs = scanner.documents;
    if (docs.size() < 2) continue;
    const DocumentScanner::Document& doc = docs.back();
    const DocumentScanner::Document& prev = docs[docs.size() - 2];
    if (doc.start.pos == prev.start.pos) {
      r.Error(doc.start.line + 1, doc.start.column + 1, "(yaml)",
              "unexpected content (not valid YAML)");
      return;
    }
    if (doc.has_content) {
      r.Error(doc.content.line + 1, doc.content.column + 1, "(yaml)",
              "only one YAML document is allowed");
      return;
    }
  }
}

Status JoinErrors(const std::vector<ConfigError>& errors) {
  std::string message;
  for (const ConfigError& e : errors) {
    if (!message.empty()) message += '\n';
    message += e.ToString();
  }
  return Status::Error(std::move(message));
}

}  // namespace

std::string ConfigError::ToString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!key_path.empty()) out += key_path + ": ";
  return out + message;
}

Result<Config> LoadConfigString(std::string_view yaml, const std::string& source_name,
                                const std::string& base_dir) {
  YamlReader reader(source_name);
  Config config;
  // yaml-cpp reports syntax errors, bad aliases and the like by exception; every one is caught
  // here and given the file name and a 1-based position.
  try {
    const std::string text(yaml);
    CheckSingleDocument(text, reader);
    // YAML::Load builds the first document only, so it cannot run into the loop above.
    if (!reader.has_errors()) ReadRoot(reader, YAML::Load(text), base_dir, &config);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    const int column = e.mark.is_null() ? 0 : e.mark.column + 1;
    reader.Error(line, column, "(yaml)", e.msg);
  } catch (const std::exception& e) {
    reader.Error(0, 0, "", std::string("internal error while reading config: ") + e.what());
  }
  if (reader.has_errors()) return JoinErrors(reader.TakeErrors());
  config.source_path = source_name;
  return config;
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::string text;
  if (const int err = ReadFileText(path, kMaxConfigBytes, &text); err != 0) {
    return Status::Error(
        ConfigError{path, 0, 0, "", "cannot read file: " + ErrnoMessage(err)}.ToString());
  }
  // Data files named in the config (workload.prompts_file) are relative to its directory.
  return LoadConfigString(text, path, std::filesystem::path(path).parent_path().string());
}

}  // namespace llmprobe
