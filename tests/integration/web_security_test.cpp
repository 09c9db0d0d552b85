// The web server secured by a web config file (exporter-toolkit shape), checked with real TLS
// clients (OpenSSL through httplib::SSLClient; curl too when it is installed) and wrong
// passwords. Certificates come from the openssl CLI in a temp dir: a CA, a server certificate
// for 127.0.0.1, a client certificate from the CA and one from another ("rogue") CA.
#include <doctest/doctest.h>

#include <crypt.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <httplib.h>

#include "app/Daemon.h"
#include "config/ConfigLoader.h"
#include "config/WebConfig.h"
#include "mock/MockServer.h"
#include "support/RawHttp.h"
#include "support/TestSupport.h"
#include "web/WebServer.h"

using namespace llmprobe;
using namespace llmprobe::testing;

namespace {

// Runs `openssl <args>` in `dir`; fails the test if it fails.
void Openssl(const std::string& dir, const std::string& args) {
  std::string out;
  const int rc = RunShell("cd '" + dir + "' && openssl " + args + " 2>&1", &out);
  REQUIRE_MESSAGE(rc == 0, (std::string("openssl ") + args + ": " + out));
}

// A CA, a server certificate for 127.0.0.1/localhost and client certificates, in a temp dir.
struct Pki {
  TempDir dir;
  std::string Path(const std::string& name) const { return dir.path() + "/" + name; }

  Pki() {
    const std::string& d = dir.path();
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    Openssl(d,
            "req -x509 " + ec + " -keyout ca.key -out ca.crt -days 2 -subj /CN=llmprobe-test-ca");
    Openssl(d,
            "req -x509 " + ec + " -keyout rogue-ca.key -out rogue-ca.crt -days 2 -subj /CN=rogue");
    dir.WriteFile("server.ext",
                  "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    dir.WriteFile("client.ext", "extendedKeyUsage=clientAuth\n");
    Issue("server", "ca", "server.ext");
    Issue("client", "ca", "client.ext");
    Issue("rogue", "rogue-ca", "client.ext");
  }

  void Issue(const std::string& name, const std::string& ca, const std::string& ext) {
    const std::string& d = dir.path();
    Openssl(d, "req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + name +
                   ".key -out " + name + ".csr -subj /CN=" + name);
    Openssl(d, "x509 -req -in " + name + ".csr -CA " + ca + ".crt -CAkey " + ca +
                   ".key -CAcreateserial -days 2 -out " + name + ".crt -extfile " + ext);
  }
};

// A bcrypt hash as `htpasswd -nBC <cost>` prints it ("$2y$").
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

struct ClientOptions {
  std::string ca = {};    // CA file to verify the server with; "" = the system store
  std::string cert = {};  // client certificate
  std::string key = {};   // its key
  std::string user = {};  // basic auth when set
  std::string password = {};
  std::string method = "GET";
};

struct Reply {
  int status = 0;  // 0 = no HTTP response (TLS or connection failure)
  std::string body;
  std::string www_authenticate;
  std::string error;  // why there was no response
};

// One HTTPS request with OpenSSL (httplib::SSLClient), on a new connection.
Reply Https(int port, const std::string& path, const ClientOptions& o) {
  std::unique_ptr<httplib::SSLClient> cli =
      o.cert.empty() ? std::make_unique<httplib::SSLClient>("127.0.0.1", port)
                     : std::make_unique<httplib::SSLClient>("127.0.0.1", port, o.cert, o.key);
  if (!o.ca.empty()) cli->set_ca_cert_path(o.ca.c_str());
  cli->enable_server_certificate_verification(true);
  cli->set_connection_timeout(std::chrono::seconds(5));
  cli->set_read_timeout(std::chrono::seconds(15));
  if (!o.user.empty()) cli->set_basic_auth(o.user.c_str(), o.password.c_str());
  httplib::Result res = o.method == "POST" ? cli->Post(path.c_str()) : cli->Get(path.c_str());
  Reply r;
  if (!res) {
    r.error = httplib::to_string(res.error());
    return r;
  }
  r.status = res->status;
  r.body = res->body;
  r.www_authenticate = res->get_header_value("WWW-Authenticate");
  return r;
}

bool HaveCurl() {
  std::string out;
  return RunShell("command -v curl", &out) == 0;
}

// curl's HTTP status for a request ("000" when there was no response); `args` are extra flags.
std::string Curl(const std::string& url, const std::string& args) {
  std::string out;
  RunShell("curl -sS --max-time 15 -o /dev/null -w '%{http_code}' " + args + " '" + url + "'",
           &out);
  // -sS prints errors before the status on failure; the status is the last 3 characters.
  return out.size() >= 3 ? out.substr(out.size() - 3) : out;
}

// A web server with fixed routes, for checks that need no prober behind it.
struct StubWeb {
  WebServer server{WebRoutes{[] { return std::string("llmprobe_up 1\n"); }, [] { return true; },
                             nullptr, nullptr, [] { return Status::Ok(); },
                             [] { return std::string("targets: []\n"); }}};
};

WebConfig LoadWeb(const std::string& path) {
  Result<WebConfig> w = LoadWebConfigFile(path);
  REQUIRE_MESSAGE(w.ok(), w.status().message());
  return w.value();
}

std::string TlsBlock(const std::string& extra = "") {
  return "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n" + extra;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string TargetYaml(int mock_port) {
  return "targets:\n  - name: m\n    api: openai-chat\n    url: http://127.0.0.1:" +
         std::to_string(mock_port) +
         "/v1/chat/completions\n    model: mock-model\n"
         "    workload: {prompt_tokens: 8, max_tokens: 4}\n"
         "    load: {concurrency: [1], stage_duration: 1m, warmup: 0s}\n";
}

}  // namespace

TEST_CASE("web security: HTTPS verifies with the CA, plain HTTP and unknown CAs are refused") {
  Pki pki;
  // Relative file names: resolved against the web config's directory, not the cwd.
  const std::string web_path = pki.dir.WriteFile("web.yml", TlsBlock());
  StubWeb web;
  REQUIRE(web.server.Start("127.0.0.1:0", LoadWeb(web_path)).ok());
  const int port = web.server.port();
  CHECK(web.server.tls());

  Reply r = Https(port, "/metrics", {.ca = pki.Path("ca.crt")});
  CHECK_MESSAGE(r.status == 200, r.error);
  CHECK(r.body == "llmprobe_up 1\n");
  CHECK(Https(port, "/-/healthy", {.ca = pki.Path("ca.crt")}).status == 200);
  // Without the private CA the server certificate does not verify.
  r = Https(port, "/metrics", {});
  CHECK(r.status == 0);
  CHECK(r.error == httplib::to_string(httplib::Error::SSLServerVerification));
  r = Https(port, "/metrics", {.ca = pki.Path("rogue-ca.crt")});
  CHECK(r.status == 0);
  // Plain HTTP on the TLS port: a 400 that says why, not a reset.
  std::string body;
  CHECK(HttpGet(port, "/metrics", &body) == 400);
  CHECK(body == "Client sent an HTTP request to an HTTPS server.\n");

  if (HaveCurl()) {
    const std::string url = "https://127.0.0.1:" + std::to_string(port) + "/metrics";
    CHECK(Curl(url, "--cacert " + pki.Path("ca.crt")) == "200");
    CHECK(Curl(url, "") == "000");  // not trusted by the system store
    CHECK(Curl("http://127.0.0.1:" + std::to_string(port) + "/metrics", "") == "400");
  } else {
    MESSAGE("curl not installed: checked with httplib::SSLClient only");
  }
}

TEST_CASE("web security: min_version TLS13 refuses a TLS 1.2 client") {
  if (!HaveCurl()) {
    MESSAGE("curl not installed: skipped (httplib::SSLClient cannot cap its TLS version)");
    return;
  }
  Pki pki;
  StubWeb web;
  REQUIRE(web.server
              .Start("127.0.0.1:0",
                     LoadWeb(pki.dir.WriteFile("web.yml", TlsBlock("  min_version: TLS13\n"))))
              .ok());
  const std::string url = "https://127.0.0.1:" + std::to_string(web.server.port()) + "/metrics";
  const std::string ca = "--cacert " + pki.Path("ca.crt");
  CHECK(Curl(url, ca + " --tls-max 1.2") == "000");
  CHECK(Curl(url, ca + " --tlsv1.3") == "200");
}

TEST_CASE("web security: client certificates per client_auth_type") {
  Pki pki;
  const ClientOptions none{.ca = pki.Path("ca.crt")};
  const ClientOptions good{
      .ca = pki.Path("ca.crt"), .cert = pki.Path("client.crt"), .key = pki.Path("client.key")};
  const ClientOptions rogue{
      .ca = pki.Path("ca.crt"), .cert = pki.Path("rogue.crt"), .key = pki.Path("rogue.key")};
  struct Case {
    const char* type;
    bool none_ok, good_ok, rogue_ok;
  };
  const Case cases[] = {
      {"RequireAndVerifyClientCert", false, true, false},
      {"VerifyClientCertIfGiven", true, true, false},
      {"RequireAnyClientCert", false, true, true},
      {"RequestClientCert", true, true, true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.type);
    StubWeb web;
    const std::string path = pki.dir.WriteFile(
        "web.yml",
        TlsBlock("  client_auth_type: " + std::string(c.type) + "\n  client_ca_file: ca.crt\n"));
    REQUIRE(web.server.Start("127.0.0.1:0", LoadWeb(path)).ok());
    const int port = web.server.port();
    const Reply r_none = Https(port, "/metrics", none);
    const Reply r_good = Https(port, "/metrics", good);
    const Reply r_rogue = Https(port, "/metrics", rogue);
    CHECK_MESSAGE((r_none.status == 200) == c.none_ok, r_none.error);
    CHECK_MESSAGE((r_good.status == 200) == c.good_ok, r_good.error);
    CHECK_MESSAGE((r_rogue.status == 200) == c.rogue_ok, r_rogue.error);
    if (HaveCurl() && std::string(c.type) == "RequireAndVerifyClientCert") {
      const std::string url = "https://127.0.0.1:" + std::to_string(port) + "/metrics";
      const std::string ca = "--cacert " + pki.Path("ca.crt");
      CHECK(Curl(url, ca) == "000");
      CHECK(Curl(url, ca + " --cert " + pki.Path("client.crt") + " --key " +
                          pki.Path("client.key")) == "200");
      CHECK(Curl(url, ca + " --cert " + pki.Path("rogue.crt") + " --key " +
                          pki.Path("rogue.key")) == "000");
    }
  }
}

TEST_CASE("web security: basic auth on every path of the daemon over HTTPS, timing hides users") {
  Pki pki;
  MockOptions mo;
  mo.ttft_ns = 5 * kNanosPerMilli;
  mo.tpot_ns = 1 * kNanosPerMilli;
  MockServer mock(mo);
  REQUIRE(mock.Start("127.0.0.1", 0).ok());
  const std::string config_path = pki.dir.WriteFile("c.yaml", TargetYaml(mock.port()));
  const std::string web_path = pki.dir.WriteFile(
      "web.yml", TlsBlock() + "basic_auth_users:\n  alice: " + Bcrypt("wonderland", 10) +
                     "\n  bob: " + Bcrypt("builder", 10) + "\n");
  auto cfg = LoadConfigFile(config_path);
  REQUIRE_MESSAGE(cfg.ok(), cfg.status().message());
  DaemonOptions opts;
  opts.listen_address = "127.0.0.1:0";
  opts.config_file = config_path;
  opts.web_config_file = web_path;
  Daemon daemon(cfg.value(), opts);
  REQUIRE(daemon.Start().ok());
  const int port = daemon.web_port();
  CHECK(std::string(daemon.web_scheme()) == "https");

  const std::string ca = pki.Path("ca.crt");
  auto as = [&](const std::string& user, const std::string& password) {
    return ClientOptions{.ca = ca, .user = user, .password = password};
  };
  // The right password opens every path.
  for (const char* path : {"/metrics", "/", "/config", "/-/healthy", "/-/ready"}) {
    CAPTURE(path);
    const Reply r = Https(port, path, as("alice", "wonderland"));
    CHECK_MESSAGE(r.status == 200, r.error);
  }
  ClientOptions post = as("bob", "builder");
  post.method = "POST";
  CHECK(Https(port, "/-/reload", post).status == 200);
  CHECK(Https(port, "/no-such-page", as("alice", "wonderland")).status == 404);

  // Everything else is 401 with a Basic challenge, whatever the path (even unknown ones and
  // GET /-/reload: authentication comes before routing).
  for (const char* path :
       {"/metrics", "/", "/config", "/-/healthy", "/-/ready", "/-/reload", "/no-such-page"}) {
    CAPTURE(path);
    for (const ClientOptions& o :
         {ClientOptions{.ca = ca}, as("alice", "wrong"), as("alice", "builder"),
          as("mallory", "wonderland"), as("", "wonderland")}) {
      CAPTURE(o.user);
      const Reply r = Https(port, path, o);
      CHECK(r.status == 401);
      CHECK(r.www_authenticate == "Basic");
      CHECK(r.body == "Unauthorized\n");
    }
  }
  post.password = "wrong";
  CHECK(Https(port, "/-/reload", post).status == 401);

  // An unknown user costs a bcrypt check like a known one with a wrong password (cost 10:
  // tens of milliseconds), so the time does not reveal who exists. Loose bounds: the machine
  // may be busy.
  std::vector<double> known, unknown;
  for (int i = 0; i < 5; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    CHECK(Https(port, "/-/healthy", as("alice", "not-it-" + std::to_string(i))).status == 401);
    auto t1 = std::chrono::steady_clock::now();
    CHECK(Https(port, "/-/healthy", as("nobody", "not-it-" + std::to_string(i))).status == 401);
    auto t2 = std::chrono::steady_clock::now();
    known.push_back(Seconds(t1 - t0));
    unknown.push_back(Seconds(t2 - t1));
  }
  const double known_median = Quantile(known, 0.5);
  const double unknown_median = Quantile(unknown, 0.5);
  MESSAGE("401 median: known user, wrong password ", known_median * 1e3, " ms; unknown user ",
          unknown_median * 1e3, " ms");
  CHECK(known_median > 0.010);
  CHECK(unknown_median > 0.010);
  CHECK(unknown_median > known_median / 3);
  CHECK(known_median > unknown_median / 3);

  // A verified password is cached: repeated scrapes do not pay bcrypt each time.
  std::vector<double> cached;
  for (int i = 0; i < 5; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    CHECK(Https(port, "/-/healthy", as("alice", "wonderland")).status == 200);
    cached.push_back(Seconds(std::chrono::steady_clock::now() - t0));
  }
  MESSAGE("200 median with a cached password: ", Quantile(cached, 0.5) * 1e3, " ms");
}

TEST_CASE("web security: reload applies new users, a bad web config keeps the old one") {
  Pki pki;
  MockOptions mo;
  mo.ttft_ns = 5 * kNanosPerMilli;
  MockServer mock(mo);
  REQUIRE(mock.Start("127.0.0.1", 0).ok());
  const std::string config_path = pki.dir.WriteFile("c.yaml", TargetYaml(mock.port()));
  const std::string web_path = pki.dir.WriteFile(
      "web.yml", TlsBlock() + "basic_auth_users:\n  alice: " + Bcrypt("first", 4) + "\n");
  auto cfg = LoadConfigFile(config_path);
  REQUIRE(cfg.ok());
  DaemonOptions opts;
  opts.listen_address = "127.0.0.1:0";
  opts.config_file = config_path;
  opts.web_config_file = web_path;
  Daemon daemon(cfg.value(), opts);
  REQUIRE(daemon.Start().ok());
  const int port = daemon.web_port();
  const std::string ca = pki.Path("ca.crt");
  auto as = [&](const std::string& password, const std::string& method = "GET") {
    return ClientOptions{.ca = ca, .user = "alice", .password = password, .method = method};
  };
  REQUIRE(Https(port, "/metrics", as("first")).status == 200);

  pki.dir.WriteFile("web.yml",
                    TlsBlock() + "basic_auth_users:\n  alice: " + Bcrypt("second", 4) + "\n");
  REQUIRE(Https(port, "/-/reload", as("first", "POST")).status == 200);
  CHECK(Https(port, "/metrics", as("first")).status == 401);
  CHECK(Https(port, "/metrics", as("second")).status == 200);

  // A malformed hash: the reload fails, names the file and position, the old users stay.
  pki.dir.WriteFile("web.yml", TlsBlock() + "basic_auth_users:\n  alice: plaintext\n");
  Reply r = Https(port, "/-/reload", as("second", "POST"));
  CHECK(r.status == 500);
  CHECK(r.body.find(web_path + ":5:10: basic_auth_users.alice: not a bcrypt hash") !=
        std::string::npos);
  CHECK(r.body.find("plaintext") == std::string::npos);
  CHECK(Https(port, "/metrics", as("second")).status == 200);
  CHECK(ScrapeValue(Https(port, "/metrics", as("second")).body,
                    "llmprobe_config_last_reload_successful") == 0);

  // Turning TLS off needs a restart: refused, HTTPS keeps working.
  pki.dir.WriteFile("web.yml", "basic_auth_users:\n  alice: " + Bcrypt("third", 4) + "\n");
  r = Https(port, "/-/reload", as("second", "POST"));
  CHECK(r.status == 500);
  CHECK(r.body.find("turning TLS off needs a restart") != std::string::npos);
  CHECK(Https(port, "/metrics", as("second")).status == 200);
  CHECK(Https(port, "/metrics", as("third")).status == 401);
}

TEST_CASE("web security: request heads and bodies are bounded") {
  StubWeb web;
  REQUIRE(web.server.Start("127.0.0.1:0").ok());
  const int port = web.server.port();
  // A few KiB of headers are fine.
  std::vector<std::string> some(4, "X-Filler: " + std::string(1000, 'a'));
  auto ok = rawhttp::Request(port, "GET", "/metrics", "", some);
  REQUIRE_MESSAGE(ok.ok(), ok.status().message());
  CHECK(ok.value().status == 200);
  // 40 headers of 1 KiB each (each under httplib's 8 KiB line limit) exceed the 16 KiB head
  // budget: reading stops there; httplib answers 400 (or the connection is just closed).
  std::vector<std::string> many(40, "X-Filler: " + std::string(1000, 'a'));
  auto big = rawhttp::Request(port, "GET", "/metrics", "", many);
  if (big.ok()) MESSAGE("oversized head: status ", big.value().status);
  CHECK((!big.ok() || big.value().status == 0 || big.value().status == 400));
  // A body over 64 KiB: 413.
  auto body = rawhttp::Request(port, "POST", "/-/reload", std::string(100 * 1024, 'x'));
  CHECK((!body.ok() || body.value().status == 413));
  // The server still serves.
  std::string text;
  CHECK(HttpGet(port, "/metrics", &text) == 200);
}

TEST_CASE("web security: the real binary with --web.config.file, and check-config") {
  Pki pki;
  MockOptions mo;
  mo.ttft_ns = 5 * kNanosPerMilli;
  MockServer mock(mo);
  REQUIRE(mock.Start("127.0.0.1", 0).ok());
  const std::string config_path = pki.dir.WriteFile("c.yaml", TargetYaml(mock.port()));
  const std::string web_path = pki.dir.WriteFile(
      "web.yml", TlsBlock() + "basic_auth_users:\n  alice: " + Bcrypt("wonderland", 4) + "\n");
  std::string out;
  CHECK(RunShell(LlmprobeBinary() + " check-config --config.file " + config_path +
                     " --web.config.file " + web_path,
                 &out) == 0);
  CHECK(out.find(web_path + ": OK") != std::string::npos);
  const std::string bad = pki.dir.WriteFile("bad.yml", TlsBlock("  client_auth_type: Sometimes\n"));
  CHECK(RunShell(LlmprobeBinary() + " check-config --config.file " + config_path +
                     " --web.config.file " + bad,
                 &out) == 1);
  CHECK(out.find(bad + ":4:21: tls_server_config.client_auth_type: invalid value") !=
        std::string::npos);
  const std::string missing = pki.dir.WriteFile(
      "missing.yml", "tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n");
  CHECK(RunShell(LlmprobeBinary() + " check-config --config.file " + config_path +
                     " --web.config.file " + missing,
                 &out) == 1);
  CHECK(out.find(missing + ": tls_server_config.cert_file: cannot read \"" + pki.Path("nope.crt") +
                 "\": No such file or directory") != std::string::npos);

  const int port = rawhttp::FreePort();
  const std::string log_path = pki.Path("log.txt");
  ChildProcess proc({LlmprobeBinary(), "run", "--config.file", config_path, "--web.config.file",
                     web_path, "--web.listen-address", "127.0.0.1:" + std::to_string(port)},
                    log_path);
  const ClientOptions alice{.ca = pki.Path("ca.crt"), .user = "alice", .password = "wonderland"};
  Reply r;
  for (int i = 0; i < 200 && r.status != 200; ++i) {
    r = Https(port, "/-/ready", alice);
    if (r.status != 200) usleep(50000);
  }
  CHECK_MESSAGE(r.status == 200, r.error);
  CHECK(Https(port, "/metrics", {.ca = pki.Path("ca.crt")}).status == 401);
  proc.Signal(SIGTERM);
  CHECK(proc.Wait(10000) == 0);
  const std::string log = ReadFile(log_path);
  CHECK(log.find("scheme=https") != std::string::npos);
  CHECK(log.find("basic_auth=on") != std::string::npos);

  // A bad web config stops `run` before it serves.
  ChildProcess bad_run({LlmprobeBinary(), "run", "--config.file", config_path, "--web.config.file",
                        bad, "--web.listen-address", "127.0.0.1:" + std::to_string(port)},
                       pki.Path("bad-log.txt"));
  CHECK(bad_run.Wait(10000) == 1);
  CHECK(ReadFile(pki.Path("bad-log.txt")).find("client_auth_type") != std::string::npos);
}
