#include "config/WebConfig.h"

#include <yaml-cpp/yaml.h>

#include <exception>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "config/ConfigLoader.h"
#include "config/FileText.h"
#include "config/YamlReader.h"

namespace llmprobe {
namespace {

// A web config is a few lines; anything bigger is a wrong path.
constexpr size_t kMaxWebConfigBytes = 1024 * 1024;

constexpr std::string_view kBcryptAlphabet =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

struct ClientAuthEntry {
  ClientAuth value;
  const char* name;
};
constexpr ClientAuthEntry kClientAuths[] = {
    {ClientAuth::kNoClientCert, "NoClientCert"},
    {ClientAuth::kRequestClientCert, "RequestClientCert"},
    {ClientAuth::kRequireAnyClientCert, "RequireAnyClientCert"},
    {ClientAuth::kVerifyClientCertIfGiven, "VerifyClientCertIfGiven"},
    {ClientAuth::kRequireAndVerifyClientCert, "RequireAndVerifyClientCert"},
};

// exporter-toolkit keys llmprobe does not implement: refused with a reason rather than ignored,
// so a copied config does not silently lose a setting.
void RefuseUnsupported(YamlReader& r, const YAML::Node& map, const std::string& path,
                       std::initializer_list<std::pair<std::string_view, const char*>> keys) {
  for (const auto& [key, why] : keys) {
    YAML::Node value, key_node;
    if (YamlReader::Find(map, key, &value, &key_node)) {
      std::string message = "not supported by llmprobe";
      if (*why != '\0') message += std::string(" (") + why + ")";
      r.Error(key_node, YamlReader::Join(path, key), std::move(message));
    }
  }
}

bool ReadFileName(YamlReader& r, const YAML::Node& map, const std::string& path,
                  std::string_view key, const std::string& base_dir, std::string* out) {
  std::string name;
  if (!r.ReadString(map, path, key, &name, /*allow_empty=*/false)) return false;
  *out = ResolveConfigPath(base_dir, name);
  return true;
}

bool ReadVersion(YamlReader& r, const YAML::Node& map, const std::string& path,
                 std::string_view key, TlsVersion* out) {
  std::string name;
  if (!r.ReadChoice(map, path, key, {"TLS12", "TLS13"}, &name)) return false;
  *out = name == "TLS13" ? TlsVersion::kTls13 : TlsVersion::kTls12;
  return true;
}

void ReadTls(YamlReader& r, const YAML::Node& node, const std::string& path,
             const std::string& base_dir, std::optional<WebTlsConfig>* out) {
  // An empty block means no TLS, as in exporter-toolkit (no cert_file and no key_file).
  if (node.IsNull()) return;
  if (!r.CheckMapping(
          node, path,
          {"cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version",
           "max_version", "cert", "key", "client_ca", "cipher_suites", "curve_preferences",
           "prefer_server_cipher_suites", "client_allowed_sans"})) {
    return;
  }
  const size_t errors_before = r.error_count();
  RefuseUnsupported(r, node, path,
                    {{"cert", "use cert_file"},
                     {"key", "use key_file"},
                     {"client_ca", "use client_ca_file"},
                     {"cipher_suites", "OpenSSL's defaults are used"},
                     {"curve_preferences", "OpenSSL's defaults are used"},
                     {"prefer_server_cipher_suites", "OpenSSL's defaults are used"},
                     {"client_allowed_sans", ""}});
  r.Require(node, path, {"cert_file", "key_file"});
  WebTlsConfig tls;
  ReadFileName(r, node, path, "cert_file", base_dir, &tls.cert_file);
  ReadFileName(r, node, path, "key_file", base_dir, &tls.key_file);
  ReadFileName(r, node, path, "client_ca_file", base_dir, &tls.client_ca_file);
  std::string auth_name;
  if (r.ReadChoice(node, path, "client_auth_type",
                   {"NoClientCert", "RequestClientCert", "RequireAnyClientCert",
                    "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"},
                   &auth_name)) {
    for (const ClientAuthEntry& e : kClientAuths) {
      if (auth_name == e.name) tls.client_auth = e.value;
    }
  }
  ReadVersion(r, node, path, "min_version", &tls.min_version);
  ReadVersion(r, node, path, "max_version", &tls.max_version);
  if (r.error_count() != errors_before) return;

  // Checks across keys, positioned at the key that makes the combination wrong.
  YAML::Node value;
  if (VerifiesClientCert(tls.client_auth) && tls.client_ca_file.empty()) {
    YamlReader::Find(node, "client_auth_type", &value);
    r.Error(value, YamlReader::Join(path, "client_auth_type"),
            std::string(ClientAuthName(tls.client_auth)) +
                " verifies client certificates: set client_ca_file to the CA that signs them");
  }
  if (tls.client_auth == ClientAuth::kNoClientCert && !tls.client_ca_file.empty()) {
    YamlReader::Find(node, "client_ca_file", &value);
    r.Error(value, YamlReader::Join(path, "client_ca_file"),
            "client CAs are set but client_auth_type is NoClientCert (set client_auth_type, "
            "e.g. RequireAndVerifyClientCert)");
  }
  if (tls.min_version > tls.max_version) {
    YamlReader::Find(node, "min_version", &value);
    r.Error(value, YamlReader::Join(path, "min_version"), "must not be above max_version");
  }
  *out = std::move(tls);
}

void ReadUsers(YamlReader& r, const YAML::Node& node, const std::string& path,
               std::map<std::string, std::string>* users) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    r.Error(node, path,
            "expected a mapping of user names to bcrypt hashes, got " + YamlReader::Describe(node));
    return;
  }
  std::map<std::string, int> seen;  // user -> line of first definition
  for (const auto& entry : node) {
    std::string user;
    if (!r.AsString(entry.first, entry.first, path, &user)) continue;
    const std::string user_path = YamlReader::Join(path, user);
    if (user.empty() || user.find(':') != std::string::npos || HasControlChar(user)) {
      r.Error(entry.first, path,
              "invalid user name (must be non-empty, without ':' or control characters)");
      continue;
    }
    if (auto it = seen.find(user); it != seen.end()) {
      r.Error(entry.first, user_path,
              "duplicate user (first defined at line " + std::to_string(it->second) + ")");
      continue;
    }
    seen.emplace(user, YamlReader::LineOf(entry.first));
    std::string hash;
    if (!r.AsString(entry.second, entry.first, user_path, &hash)) continue;
    if (BcryptCost(hash) < 0) {
      // The value is not echoed: it may be a password typed where the hash belongs.
      std::string message =
          "not a bcrypt hash (expected \"$2y$\", a cost from 04 to 31, \"$\" and 53 characters, "
          "as `htpasswd -nBC 10 " +
          user + "` prints after \"" + user + ":\")";
      if (hash.rfind(user + ":", 0) == 0) {
        message = "the hash starts with \"" + user + ":\": keep only what follows the colon";
      }
      r.Error(entry.second, user_path, std::move(message));
      continue;
    }
    (*users)[user] = std::move(hash);
  }
}

void ReadRoot(YamlReader& r, const YAML::Node& root, const std::string& base_dir,
              WebConfig* config) {
  if (root.IsNull()) return;  // an empty file: plain HTTP, no authentication
  if (!r.CheckMapping(root, "",
                      {"tls_server_config", "basic_auth_users", "http_server_config", "rate_limit"},
                      /*null_is_empty=*/false)) {
    return;
  }
  RefuseUnsupported(
      r, root, "",
      {{"http_server_config", "HTTP/1.1 only; no extra response headers"}, {"rate_limit", ""}});
  YAML::Node value;
  if (YamlReader::Find(root, "tls_server_config", &value)) {
    ReadTls(r, value, "tls_server_config", base_dir, &config->tls);
  }
  if (YamlReader::Find(root, "basic_auth_users", &value)) {
    ReadUsers(r, value, "basic_auth_users", &config->basic_auth_users);
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

const char* ClientAuthName(ClientAuth auth) {
  for (const ClientAuthEntry& e : kClientAuths) {
    if (e.value == auth) return e.name;
  }
  return "NoClientCert";
}

bool VerifiesClientCert(ClientAuth auth) {
  return auth == ClientAuth::kVerifyClientCertIfGiven ||
         auth == ClientAuth::kRequireAndVerifyClientCert;
}

int BcryptCost(std::string_view hash) {
  // "$2y$10$" + 22 characters of salt + 31 of hash.
  if (hash.size() != 60 || hash.substr(0, 2) != "$2" || hash[3] != '$' || hash[6] != '$') {
    return -1;
  }
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return -1;
  if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9') return -1;
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return -1;
  if (hash.substr(7).find_first_not_of(kBcryptAlphabet) != std::string_view::npos) return -1;
  return cost;
}

Result<WebConfig> LoadWebConfigString(std::string_view yaml, const std::string& source_name,
                                      const std::string& base_dir) {
  YamlReader reader(source_name);
  WebConfig config;
  // yaml-cpp reports syntax errors by exception; each is given the file name and a position.
  try {
    ReadRoot(reader, YAML::Load(std::string(yaml)), base_dir, &config);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
    const int column = e.mark.is_null() ? 0 : e.mark.column + 1;
    reader.Error(line, column, "(yaml)", e.msg);
  } catch (const std::exception& e) {
    reader.Error(0, 0, "", std::string("internal error while reading web config: ") + e.what());
  }
  if (reader.has_errors()) return JoinErrors(reader.TakeErrors());
  config.source_path = source_name;
  return config;
}

Result<WebConfig> LoadWebConfigFile(const std::string& path) {
  std::string text;
  if (const int err = ReadFileText(path, kMaxWebConfigBytes, &text); err != 0) {
    return Status::Error(
        ConfigError{path, 0, 0, "", "cannot read file: " + ErrnoMessage(err)}.ToString());
  }
  return LoadWebConfigString(text, path, std::filesystem::path(path).parent_path().string());
}

}  // namespace llmprobe
