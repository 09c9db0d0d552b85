// The target schema: identity (name, api, url, model), how to reach it (headers, auth,
// tls_config, timeouts), what to ask (workload) and how to record it (buckets). The load,
// schedule, slo and budget sections are in LoadSchema.cpp.
#include "config/TargetSchema.h"
#include "config/FileText.h"

#include <yaml-cpp/yaml.h>

#include <climits>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/ConfigLoader.h"
#include "config/LoadSchema.h"
#include "config/WorkloadSchema.h"

namespace llmprobe::schema {
namespace {

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
    if (HasControlChar(value, /*allow_tab=*/true)) {
      r.Error(entry.second, header_path, "header value must not contain control characters");
      continue;
    }
    (*headers)[name] = value;
  }
}

void ReadAuth(YamlReader& r, const YAML::Node& node, const std::string& path, AuthConfig* auth) {
  if (!r.CheckMapping(node, path, {"bearer_token_file", "bearer_token_env", "header"})) return;
  SecretRef ref;
  const bool has_file = r.ReadString(node, path, "bearer_token_file", &ref.file, false);
  const bool has_env = r.ReadString(node, path, "bearer_token_env", &ref.env, false);
  YAML::Node file_node, env_node, header_node, header_key;
  YamlReader::Find(node, "bearer_token_file", &file_node);
  YamlReader::Find(node, "bearer_token_env", &env_node);
  if (YamlReader::Find(node, "header", &header_node, &header_key)) {
    std::string header;
    if (r.ReadChoice(node, path, "header", {"default", "bearer", "api-key", "x-api-key"},
                     &header)) {
      YAML::Node unused;
      if (!YamlReader::Find(node, "bearer_token_file", &unused) &&
          !YamlReader::Find(node, "bearer_token_env", &unused)) {
        r.Error(header_key, YamlReader::Join(path, "header"),
                "has no effect without bearer_token_file or bearer_token_env");
      } else {
        auth->header = AuthHeaderFromName(header).value_or(AuthHeader::kDefault);
      }
    }
  }
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
  if (!r.CheckMapping(node, path,
                      {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify",
                       "min_version"})) {
    return;
  }
  r.ReadString(node, path, "ca_file", &tls->ca_file);
  r.ReadString(node, path, "cert_file", &tls->cert_file);
  r.ReadString(node, path, "key_file", &tls->key_file);
  r.ReadString(node, path, "server_name", &tls->server_name);
  r.ReadBool(node, path, "insecure_skip_verify", &tls->insecure_skip_verify);
  // Spelt as in prometheus/common's tls_config; TLS 1.0 and 1.1 are not offered.
  r.ReadChoice(node, path, "min_version", {"TLS12", "TLS13"}, &tls->min_version);
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

void ReadBuckets(YamlReader& r, const YAML::Node& node, const std::string& path, BucketsConfig* b) {
  if (!r.CheckMapping(node, path,
                      {"time_to_first_token", "time_per_output_token", "request_duration"})) {
    return;
  }
  r.ReadBucketList(node, path, "time_to_first_token", &b->time_to_first_token);
  r.ReadBucketList(node, path, "time_per_output_token", &b->time_per_output_token);
  r.ReadBucketList(node, path, "request_duration", &b->request_duration);
}

}  // namespace

void ReadTarget(YamlReader& r, const YAML::Node& node, const std::string& path,
                const std::string& base_dir, TargetConfig* t) {
  if (!r.CheckMapping(node, path,
                      {"name", "api", "url", "model", "headers", "auth", "tls_config", "timeouts",
                       "workload", "load", "schedule", "slo", "budget", "buckets"},
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

  // Every dialect's name is valid. An invalid or missing one leaves the api unknown: the url is
  // then read as openai-chat's and the dialect-bound workload keys are not checked.
  std::vector<std::string_view> api_names;
  for (ApiKind kind : AllApiKinds()) api_names.emplace_back(ApiKindName(kind));
  std::string api_name;
  std::optional<ApiKind> api;
  if (r.ReadChoice(node, path, "api", api_names, &api_name)) api = ApiKindFromName(api_name);
  if (api) t->api = *api;

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
    ReadWorkload(r, value, field("workload"), api, base_dir, &t->workload);
  }
  const size_t errors_before_load = r.error_count();
  if (YamlReader::Find(node, "load", &value)) ReadLoad(r, value, field("load"), &t->load);
  const bool load_ok = r.error_count() == errors_before_load;
  YAML::Node key;
  if (YamlReader::Find(node, "schedule", &value, &key)) {
    ReadSchedule(r, value, key, field("schedule"), t->load, load_ok, &t->schedule);
  }
  if (YamlReader::Find(node, "slo", &value, &key)) ReadSlo(r, value, key, field("slo"), &t->slo);
  if (YamlReader::Find(node, "budget", &value)) ReadBudget(r, value, field("budget"), &t->budget);
  if (YamlReader::Find(node, "buckets", &value))
    ReadBuckets(r, value, field("buckets"), &t->buckets);
}

}  // namespace llmprobe::schema
