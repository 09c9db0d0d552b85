// The web config (exporter-toolkit shape): strict loading with exact messages per fixture in
// testdata/web/, path resolution, bcrypt hash shapes; the basic authenticator: header parsing,
// right and wrong passwords, unknown users paying for bcrypt, the verified-password cache.
#include <doctest/doctest.h>

#include <crypt.h>

#include <map>
#include <string>

#include "config/WebConfig.h"
#include "web/BasicAuth.h"

namespace llmprobe {
namespace {

const std::string kWebTestdata = LLMPROBE_TESTDATA_DIR "/web";

std::string ErrorsOf(std::string_view yaml) {
  Result<WebConfig> r = LoadWebConfigString(yaml, "w.yml", "/etc/llmprobe");
  return r.ok() ? std::string() : r.status().message();
}

// A bcrypt hash of `password` at `cost`, written as htpasswd does ("$2y$").
std::string Bcrypt(const std::string& password, int cost) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, salt,
                           sizeof(salt)) != nullptr);
  crypt_data data{};
  std::string hash = crypt_r(password.c_str(), salt, &data);
  REQUIRE(hash.size() == 60);
  hash[2] = 'y';
  return hash;
}

// "Basic base64(user:password)" (test values only: ASCII).
std::string BasicHeader(const std::string& credentials) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= credentials.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(credentials[i]) << 16) |
                       (static_cast<unsigned char>(credentials[i + 1]) << 8) |
                       static_cast<unsigned char>(credentials[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kAlphabet[(v >> s) & 63];
  }
  const size_t rest = credentials.size() - i;
  if (rest > 0) {
    unsigned v = static_cast<unsigned char>(credentials[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(credentials[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return "Basic " + out;
}

}  // namespace

TEST_CASE("web config: the full example loads, with paths relative to the file's directory") {
  Result<WebConfig> r = LoadWebConfigFile(kWebTestdata + "/good_full.yml");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  const WebConfig& w = r.value();
  REQUIRE(w.tls.has_value());
  CHECK(w.tls->cert_file == kWebTestdata + "/server.crt");
  CHECK(w.tls->key_file == "/etc/llmprobe/server.key");  // absolute: as written
  CHECK(w.tls->client_ca_file == kWebTestdata + "/certs/ca.crt");
  CHECK(w.tls->client_auth == ClientAuth::kRequireAndVerifyClientCert);
  CHECK(w.tls->min_version == TlsVersion::kTls13);
  CHECK(w.tls->max_version == TlsVersion::kTls13);
  REQUIRE(w.basic_auth_users.size() == 2);
  CHECK(w.basic_auth_users.at("alice").rfind("$2y$10$", 0) == 0);
  CHECK(w.basic_auth_users.at("bob").rfind("$2b$04$", 0) == 0);
  CHECK(w.source_path == kWebTestdata + "/good_full.yml");
}

TEST_CASE("web config: defaults, empty files and blocks") {
  Result<WebConfig> empty = LoadWebConfigString("", "w.yml", "");
  REQUIRE(empty.ok());
  CHECK_FALSE(empty.value().tls.has_value());
  CHECK(empty.value().basic_auth_users.empty());
  // An empty tls_server_config means no TLS, as in exporter-toolkit.
  Result<WebConfig> no_tls =
      LoadWebConfigString("tls_server_config:\nbasic_auth_users:\n", "w.yml", "");
  REQUIRE(no_tls.ok());
  CHECK_FALSE(no_tls.value().tls.has_value());
  Result<WebConfig> tls = LoadWebConfigString(
      "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n", "w.yml", "/etc/x");
  REQUIRE(tls.ok());
  CHECK(tls.value().tls->cert_file == "/etc/x/a.crt");
  CHECK(tls.value().tls->client_auth == ClientAuth::kNoClientCert);
  CHECK(tls.value().tls->min_version == TlsVersion::kTls12);
  CHECK(tls.value().tls->max_version == TlsVersion::kTls13);
  // Every client_auth_type of exporter-toolkit.
  for (const char* name : {"NoClientCert", "RequestClientCert", "RequireAnyClientCert",
                           "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"}) {
    const std::string ca = std::string(name) == "NoClientCert" ? "" : "  client_ca_file: ca.crt\n";
    Result<WebConfig> r = LoadWebConfigString(
        "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_auth_type: " +
            std::string(name) + "\n" + ca,
        "w.yml", "");
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(std::string(ClientAuthName(r.value().tls->client_auth)) == name);
  }
  CHECK(LoadWebConfigFile("/nonexistent/web.yml").status().message() ==
        "/nonexistent/web.yml: cannot read file: No such file or directory");
}

TEST_CASE("web config: each bad_*.yml fixture fails with its exact message") {
  struct Case {
    const char* file;
    std::string message;  // after "<testdata>/web/<file>:"
  };
  const Case cases[] = {
      {"bad_unknown_key.yml",
       "3:3: tls_server_config.key_fil: unknown key \"key_fil\" (did you mean \"key_file\"?)"},
      {"bad_client_auth_type.yml",
       "4:21: tls_server_config.client_auth_type: invalid value \"RequireClientCert\" (expected "
       "one of: NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, "
       "RequireAndVerifyClientCert)"},
      {"bad_verify_without_ca.yml",
       "4:21: tls_server_config.client_auth_type: RequireAndVerifyClientCert verifies client "
       "certificates: set client_ca_file to the CA that signs them"},
      {"bad_ca_without_client_auth.yml",
       "4:19: tls_server_config.client_ca_file: client CAs are set but client_auth_type is "
       "NoClientCert (set client_auth_type, e.g. RequireAndVerifyClientCert)"},
      {"bad_min_version.yml",
       "4:16: tls_server_config.min_version: invalid value \"TLS10\" (expected one of: TLS12, "
       "TLS13)"},
      {"bad_min_above_max.yml",
       "4:16: tls_server_config.min_version: must not be above max_version"},
      {"bad_unsupported_key.yml",
       "4:3: tls_server_config.cipher_suites: not supported by llmprobe (OpenSSL's defaults are "
       "used)\n" +
           kWebTestdata +
           "/bad_unsupported_key.yml:5:1: http_server_config: not supported by llmprobe "
           "(HTTP/1.1 only; no extra response headers)"},
      {"bad_missing_key_file.yml", "2:3: tls_server_config: missing required key \"key_file\""},
      {"bad_password_not_hash.yml",
       "2:10: basic_auth_users.alice: not a bcrypt hash (expected \"$2y$\", a cost from 04 to "
       "31, \"$\" and 53 characters, as `htpasswd -nBC 10 alice` prints after \"alice:\")\n" +
           kWebTestdata +
           "/bad_password_not_hash.yml:3:8: basic_auth_users.bob: the hash starts with \"bob:\": "
           "keep only what follows the colon\n" +
           kWebTestdata +
           "/bad_password_not_hash.yml:4:3: basic_auth_users: invalid user name (must be "
           "non-empty, without ':' or control characters)"},
      {"bad_yaml_syntax.yml", "3:1: (yaml): end of sequence flow not found"},
      {"bad_users_not_mapping.yml",
       "2:3: basic_auth_users: expected a mapping of user names to bcrypt hashes, got a list"},
  };
  for (const Case& c : cases) {
    const std::string path = kWebTestdata + "/" + c.file;
    Result<WebConfig> r = LoadWebConfigFile(path);
    CHECK_MESSAGE(!r.ok(), c.file);
    CHECK(r.status().message() == path + ":" + c.message);
  }
}

TEST_CASE("web config: errors never echo what was written as a password") {
  const std::string errors = ErrorsOf("basic_auth_users:\n  alice: correct-horse-battery\n");
  CHECK(errors.find("basic_auth_users.alice: not a bcrypt hash") != std::string::npos);
  CHECK(errors.find("correct-horse") == std::string::npos);
  CHECK(ErrorsOf("basic_auth_users:\n  alice: x\n  alice: y\n")
            .find("3:3: basic_auth_users.alice: duplicate user (first defined at line 2)") !=
        std::string::npos);
  CHECK(ErrorsOf("tls_server_config:\n  cert_file: a\n  key_file: b\n  key: inline\n") ==
        "w.yml:4:3: tls_server_config.key: not supported by llmprobe (use key_file)");
}

TEST_CASE("web config: bcrypt hash shapes") {
  CHECK(BcryptCost("$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi") == 10);
  CHECK(BcryptCost("$2a$04$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi") == 4);
  CHECK(BcryptCost("$2b$31$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi") == 31);
  CHECK(BcryptCost("$2x$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi") == -1);
  CHECK(BcryptCost("$2y$03$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi") == -1);
  CHECK(BcryptCost("$2y$32$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi") == -1);
  CHECK(BcryptCost("$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeS") == -1);
  CHECK(BcryptCost("$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeS!") == -1);
  CHECK(BcryptCost("$6$rounds=5000$abc") == -1);
  CHECK(BcryptCost("") == -1);
}

TEST_CASE("basic auth: Authorization header parsing") {
  std::string user, password;
  REQUIRE(ParseBasicAuthorization(BasicHeader("alice:pa:ss"), &user, &password));
  CHECK(user == "alice");
  CHECK(password == "pa:ss");  // only the first colon separates
  REQUIRE(ParseBasicAuthorization("basic " + BasicHeader("a:").substr(6), &user, &password));
  CHECK(user == "a");
  CHECK(password.empty());
  CHECK(ParseBasicAuthorization(BasicHeader("ab:c"), &user, &password));  // no padding needed
  CHECK_FALSE(ParseBasicAuthorization(BasicHeader("no-colon"), &user, &password));
  CHECK_FALSE(ParseBasicAuthorization("Bearer abc", &user, &password));
  CHECK_FALSE(ParseBasicAuthorization("Basic", &user, &password));
  CHECK_FALSE(ParseBasicAuthorization("Basic YWxpY2U6cHc", &user, &password));   // bad length
  CHECK_FALSE(ParseBasicAuthorization("Basic YWxp!2U6cHc=", &user, &password));  // bad char
  CHECK_FALSE(ParseBasicAuthorization("Basic YQ==YWFh", &user, &password));      // after pad
  CHECK_FALSE(ParseBasicAuthorization("", &user, &password));
}

TEST_CASE("basic auth: right, wrong and unknown, unknown users pay for bcrypt, successes cached") {
  BasicAuthenticator auth({{"alice", Bcrypt("s3cret", 4)}, {"bob", Bcrypt("other", 4)}});
  CHECK(auth.Check("alice", "s3cret"));
  const uint64_t runs = auth.bcrypt_runs();
  CHECK(runs == 1);
  // Cached: no second bcrypt for the same user and password.
  CHECK(auth.Check("alice", "s3cret"));
  CHECK(auth.CheckHeader(BasicHeader("alice:s3cret")));
  CHECK(auth.bcrypt_runs() == runs);
  // Wrong passwords are checked every time (failures are not cached).
  CHECK_FALSE(auth.Check("alice", "s3cret!"));
  CHECK_FALSE(auth.Check("alice", "s3cret!"));
  CHECK(auth.bcrypt_runs() == runs + 2);
  // Bob's password is not Alice's.
  CHECK_FALSE(auth.Check("alice", "other"));
  CHECK(auth.Check("bob", "other"));
  // An unknown user costs a bcrypt run too (against the dummy hash), and fails.
  const uint64_t before = auth.bcrypt_runs();
  CHECK_FALSE(auth.Check("mallory", "s3cret"));
  CHECK_FALSE(auth.Check("", ""));
  CHECK(auth.bcrypt_runs() == before + 2);
  // A password with a NUL byte never matches, even when its prefix would.
  CHECK_FALSE(auth.Check("alice", std::string("s3cret\0x", 8)));
  CHECK_FALSE(auth.CheckHeader("Bearer s3cret"));
  CHECK_FALSE(auth.CheckHeader(""));
  // A very long password is checked (bcrypt reads 72 bytes) and fails.
  CHECK_FALSE(auth.Check("alice", std::string(100000, 'x')));
}

TEST_CASE("basic auth: the cache keeps the latest kCacheEntries successes") {
  std::map<std::string, std::string> users;
  const size_t n = BasicAuthenticator::kCacheEntries + 1;
  for (size_t i = 0; i < n; ++i) users["u" + std::to_string(i)] = Bcrypt("pw", 4);
  BasicAuthenticator many(users);
  for (size_t i = 0; i < n; ++i) CHECK(many.Check("u" + std::to_string(i), "pw"));
  CHECK(many.bcrypt_runs() == n);
  // u0 was evicted by the last one; u1..un are still cached.
  CHECK(many.Check("u1", "pw"));
  CHECK(many.bcrypt_runs() == n);
  CHECK(many.Check("u0", "pw"));
  CHECK(many.bcrypt_runs() == n + 1);
}

}  // namespace llmprobe
