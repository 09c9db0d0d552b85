// The config schema: which keys exist where, what each must hold, and the checks that span keys.
// Typed reading and error collection live in YamlReader; URL splitting in TargetUrl.cpp.
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

#include <climits>
#include <cstddef>
#include <exception>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/Duration.h"
#include "config/FileText.h"
#include "config/YamlReader.h"

namespace llmprobe {
namespace {

// Far above any sane config; stops a wrong path (a log, /dev/zero) from eating memory.
constexpr size_t kMaxConfigBytes = 16 * 1024 * 1024;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// RFC 9110 token: the characters allowed in a header field name.
bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsEnvName(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool HasControlChar(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

// "host:port", "[v6]:port" or ":port", as net.Listen and httplib take it.
bool IsListenAddress(std::string_view addr) {
  const size_t colon = addr.rfind(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view host = addr.substr(0, colon);
  const std::string_view port = addr.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  int n = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n > 65535) return false;
  if (!host.empty() && host.front() == '[') return host.back() == ']' && host.size() > 2;
  return host.find_first_of(":[] \t") == std::string_view::npos;
}

void ReadGlobal(YamlReader& r, const YAML::Node& node, const std::string& path,
                GlobalConfig* global) {
  if (!r.CheckMapping(node, path, {"web_listen_address", "log_level", "log_format"})) return;
  std::string address;
  if (r.ReadString(node, path, "web_listen_address", &address)) {
    if (IsListenAddress(address)) {
      global->web_listen_address = address;
    } else {
      YAML::Node value;
      YamlReader::Find(node, "web_listen_address", &value);
      r.Error(
          value, YamlReader::Join(path, "web_listen_address"),
          "invalid listen address \"" + address + "\" (expected host:port, e.g. 127.0.0.1:9470)");
    }
  }
  r.ReadChoice(node, path, "log_level", {"debug", "info", "warn", "error"}, &global->log_level);
  r.ReadChoice(node, path, "log_format", {"logfmt", "json"}, &global->log_format);
}

void ReadHeaders(YamlReader& r, const YAML::Node& node, const std::string& path,
                 std::map<std::string, std::string>* headers) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    r.Error(node, path, "expected a mapping, got " + YamlReader::Describe(node));
    return;
  }
  std::map<std::string, int> seen;  // lower-cased name -> line
  for (const auto& entry : node) {
    std::string name;
    if (!r.AsString(entry.first, entry.first, path, &name)) continue;
    const std::string header_path = YamlReader::Join(path, name);
    const std::string lower = Lower(name);
    bool name_ok = !name.empty();
    for (char c : name) name_ok = name_ok && IsTokenChar(c);
    if (!name_ok) {
      r.Error(entry.first, header_path, "invalid header name \"" + name + "\" (not an HTTP token)");
      continue;
    }
    if (lower == "authorization" || lower == "api-key" || lower == "x-api-key") {
      r.Error(entry.first, header_path,
              "header \"" + name + "\" would put a secret in the config file; use " +
                  "auth.bearer_token_file or auth.bearer_token_env instead");
      continue;
    }
    if (auto it = seen.find(lower); it != seen.end()) {
      r.Error(entry.first, header_path,
              "duplicate header \"" + name + "\" (first defined at line " +
                  std::to_string(it->second) + ")");
      continue;
    }
    seen.emplace(lower, YamlReader::LineOf(entry.first));
    std::string value;
    if (!r.AsString(entry.second, entry.first, header_path, &value)) continue;
    if (HasControlChar(value)) {
      r.Error(entry.second, header_path, "header value must not contain control characters");
      continue;
    }
    (*headers)[name] = value;
  }
}

void ReadAuth(YamlReader& r, const YAML::Node& node, const std::string& path, AuthConfig* auth) {
  if (!r.CheckMapping(node, path, {"bearer_token_file", "bearer_token_env"})) return;
  SecretRef ref;
  const bool has_file = r.ReadString(node, path, "bearer_token_file", &ref.file, false);
  const bool has_env = r.ReadString(node, path, "bearer_token_env", &ref.env, false);
  YAML::Node file_node, env_node;
  YamlReader::Find(node, "bearer_token_file", &file_node);
  YamlReader::Find(node, "bearer_token_env", &env_node);
  if (has_env && !IsEnvName(ref.env)) {
    r.Error(env_node, YamlReader::Join(path, "bearer_token_env"),
            "invalid environment variable name \"" + ref.env + "\"");
    return;
  }
  if (has_file && has_env) {
    // Reported at whichever of the two comes second in the file.
    const bool env_later = env_node.Mark().pos > file_node.Mark().pos;
    r.Error(env_later ? env_node : file_node,
            YamlReader::Join(path, env_later ? "bearer_token_env" : "bearer_token_file"),
            "only one of bearer_token_file and bearer_token_env may be set");
    return;
  }
  auth->bearer_token = ref;
}

void ReadTls(YamlReader& r, const YAML::Node& node, const std::string& path, TlsConfig* tls) {
  if (!r.CheckMapping(
          node, path,
          {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"})) {
    return;
  }
  r.ReadString(node, path, "ca_file", &tls->ca_file);
  r.ReadString(node, path, "cert_file", &tls->cert_file);
  r.ReadString(node, path, "key_file", &tls->key_file);
  r.ReadString(node, path, "server_name", &tls->server_name);
  r.ReadBool(node, path, "insecure_skip_verify", &tls->insecure_skip_verify);
  if (!tls->cert_file.empty() && tls->key_file.empty()) {
    r.Error(node, path, "missing required key \"key_file\" (cert_file is set)");
  } else if (tls->cert_file.empty() && !tls->key_file.empty()) {
    r.Error(node, path, "missing required key \"cert_file\" (key_file is set)");
  }
}

void ReadTimeouts(YamlReader& r, const YAML::Node& node, const std::string& path,
                  TimeoutsConfig* t) {
  if (!r.CheckMapping(node, path, {"connect", "first_token", "between_tokens", "total"})) return;
  r.ReadDuration(node, path, "connect", false, &t->connect_ns);
  r.ReadDuration(node, path, "first_token", false, &t->first_token_ns);
  r.ReadDuration(node, path, "between_tokens", false, &t->between_tokens_ns);
  r.ReadDuration(node, path, "total", false, &t->total_ns);
}

void ReadWorkload(YamlReader& r, const YAML::Node& node, const std::string& path,
                  WorkloadConfig* w) {
  if (!r.CheckMapping(node, path, {"prompt_tokens", "max_tokens", "ignore_eos", "unique_prefix"})) {
    return;
  }
  r.ReadInt(node, path, "prompt_tokens", 1, INT_MAX, &w->prompt_tokens);
  r.ReadInt(node, path, "max_tokens", 1, INT_MAX, &w->max_tokens);
  r.ReadBool(node, path, "ignore_eos", &w->ignore_eos);
  r.ReadBool(node, path, "unique_prefix", &w->unique_prefix);
}

void ReadLoad(YamlReader& r, const YAML::Node& node, const std::string& path, LoadConfig* load) {
  if (!r.CheckMapping(node, path, {"concurrency", "stage_duration", "warmup"})) return;
  r.ReadIntList(node, path, "concurrency", 1, 4096, "concurrency level", &load->concurrency);
  const bool stage_ok =
      r.ReadDuration(node, path, "stage_duration", false, &load->stage_duration_ns);
  YAML::Node stage_node;
  const bool stage_given = YamlReader::Find(node, "stage_duration", &stage_node);
  int64_t warmup = load->warmup_ns;
  if (!r.ReadDuration(node, path, "warmup", true, &warmup)) return;
  if (stage_given && !stage_ok) return;  // nothing sound to compare with
  if (warmup >= load->stage_duration_ns) {
    YAML::Node warmup_node;
    YamlReader::Find(node, "warmup", &warmup_node);
    r.Error(warmup_node, YamlReader::Join(path, "warmup"),
            "must be shorter than stage_duration (" + FormatDuration(load->stage_duration_ns) +
                "), got " + FormatDuration(warmup));
    return;
  }
  load->warmup_ns = warmup;
}

void ReadBuckets(YamlReader& r, const YAML::Node& node, const std::string& path, BucketsConfig* b) {
  if (!r.CheckMapping(node, path,
                      {"time_to_first_token", "time_per_output_token", "request_duration"})) {
    return;
  }
  r.ReadBucketList(node, path, "time_to_first_token", &b->time_to_first_token);
  r.ReadBucketList(node, path, "time_per_output_token", &b->time_per_output_token);
  r.ReadBucketList(node, path, "request_duration", &b->request_duration);
}

void ReadTarget(YamlReader& r, const YAML::Node& node, const std::string& path, TargetConfig* t) {
  if (!r.CheckMapping(node, path,
                      {"name", "api", "url", "model", "headers", "auth", "tls_config", "timeouts",
                       "workload", "load", "buckets"},
                      /*null_is_empty=*/false)) {
    return;
  }
  r.Require(node, path, {"name", "api", "url", "model"});
  auto field = [&](std::string_view key) { return YamlReader::Join(path, key); };
  YAML::Node value;

  std::string name;
  if (r.ReadString(node, path, "name", &name, false)) {
    bool ok = true;
    for (char c : name) ok = ok && IsNameChar(c);
    if (ok) {
      t->name = name;
    } else {
      YamlReader::Find(node, "name", &value);
      r.Error(value, field("name"),
              "invalid target name \"" + name + "\" (use only letters, digits, '_', '.' and '-')");
    }
  }

  std::string api;
  if (r.ReadChoice(node, path, "api", {"openai-chat", "openai-completions"}, &api)) {
    t->api = api == "openai-completions" ? ApiKind::kOpenAiCompletions : ApiKind::kOpenAiChat;
  }

  bool url_ok = false;
  if (r.ReadString(node, path, "url", &t->url, false)) {
    Result<UrlParts> parts = ParseTargetUrl(t->url, t->api);
    if (parts.ok()) {
      t->url_parts = std::move(parts).value();
      url_ok = true;
    } else {
      YamlReader::Find(node, "url", &value);
      r.Error(value, field("url"), parts.status().message());
    }
  }

  r.ReadString(node, path, "model", &t->model, false);

  if (YamlReader::Find(node, "headers", &value))
    ReadHeaders(r, value, field("headers"), &t->headers);
  if (YamlReader::Find(node, "auth", &value)) ReadAuth(r, value, field("auth"), &t->auth);
  if (YamlReader::Find(node, "tls_config", &value)) {
    ReadTls(r, value, field("tls_config"), &t->tls);
    if (url_ok && t->url_parts.scheme != "https") {
      r.Error(value, field("tls_config"),
              "an http:// url does not use TLS; remove tls_config or use https://");
    }
  }
  if (YamlReader::Find(node, "timeouts", &value)) {
    ReadTimeouts(r, value, field("timeouts"), &t->timeouts);
  }
  if (YamlReader::Find(node, "workload", &value)) {
    ReadWorkload(r, value, field("workload"), &t->workload);
  }
  if (YamlReader::Find(node, "load", &value)) ReadLoad(r, value, field("load"), &t->load);
  if (YamlReader::Find(node, "buckets", &value))
    ReadBuckets(r, value, field("buckets"), &t->buckets);
}

void ReadRoot(YamlReader& r, const YAML::Node& root, Config* config) {
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
  std::map<std::string, int> first_line;  // target name -> line of its name
  for (size_t i = 0; i < value.size(); ++i) {
    const YAML::Node item = value[i];
    const std::string path = YamlReader::Index("targets", i);
    TargetConfig target;
    ReadTarget(r, item, path, &target);
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

Result<Config> LoadConfigString(std::string_view yaml, const std::string& source_name) {
  YamlReader reader(source_name);
  Config config;
  // yaml-cpp reports syntax errors, bad aliases and the like by exception; every one is caught
  // here and given the file name and a 1-based position.
  try {
    const std::string text(yaml);
    CheckSingleDocument(text, reader);
    // YAML::Load builds the first document only, so it cannot run into the loop above.
    if (!reader.has_errors()) ReadRoot(reader, YAML::Load(text), &config);
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
  return LoadConfigString(text, path);
}

}  // namespace llmprobe
