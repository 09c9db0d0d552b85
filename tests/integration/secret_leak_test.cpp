// No secret in any output: the real binary probes a server that answers 401 and echoes the
// credentials it received in its error body (as some gateways do), at --log.level debug, in
// JSON and in logfmt. Every output is then searched for every secret, and for any 12-character
// piece of one (a truncated echo must not leak a prefix either): the log (stdout and stderr),
// /metrics, /, /config, /-/ready, /-/healthy, the POST /-/reload answer and check-config.
//
// The secrets: a bearer token from bearer_token_file (sent as Authorization: Bearer), a key from
// bearer_token_env sent as x-api-key (the loader refuses Authorization, api-key and x-api-key
// as inline headers), and the web config's basic-auth password used for every request to the
// daemon (with its bcrypt hash, which is not printed either).
#include <doctest/doctest.h>

#include <crypt.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "support/RawHttp.h"
#include "support/TestSupport.h"

using namespace llmprobe;
using namespace llmprobe::testing;

namespace {

constexpr const char* kBearer = "sk-proj-Q7vLm2xR9tKw4ZpH8nYc3JdF6sBg1AeU";
constexpr const char* kApiKey = "xk-live-Ht5Wq8Nz2Lp7Rv4Ys9Kd3Mf6Bc1Xg0Ja";
constexpr const char* kWebPassword = "web-pass-Vr8Tn3Qz6Wp1Lk4Hs9Md2";
constexpr const char* kEnvVar = "LLMPROBE_LEAK_TEST_API_KEY";

// An OpenAI-style endpoint that refuses every request with 401 and echoes the credentials it
// got, once early in the message and once straddling byte 200 of the body (where a log excerpt
// of the body might cut it).
class EchoingServer {
 public:
  EchoingServer() {
    server_.Post(
        R"(/v1/chat/completions)", [](const httplib::Request& req, httplib::Response& res) {
          const std::string creds = "authorization=[" + req.get_header_value("Authorization") +
                                    "] x-api-key=[" + req.get_header_value("x-api-key") + "]";
          std::string message = "Incorrect API key provided: " + creds + ". ";
          const std::string head = "{\"error\":{\"message\":\"";
          // Pad so that the second echo starts 10 bytes before byte 200 of the body.
          const size_t used = head.size() + message.size();
          if (used < 190) message += std::string(190 - used, '.');
          message += creds;
          res.status = 401;
          res.set_content(head + message + "\",\"type\":\"invalid_request_error\"}}",
                          "application/json");
        });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~EchoingServer() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

std::string Bcrypt(const std::string& password, int cost) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, salt,
                           sizeof(salt)) != nullptr);
  crypt_data data{};
  std::string hash = crypt_r(password.c_str(), salt, &data);
  hash[2] = 'y';
  return hash;
}

// Every secret, and every 12-byte piece of each, that `text` contains ("" if none).
std::string FindLeaks(const std::string& text, const std::vector<std::string>& secrets) {
  constexpr size_t kPiece = 12;
  std::string found;
  for (const std::string& s : secrets) {
    for (size_t i = 0; i + kPiece <= s.size(); ++i) {
      const std::string piece = s.substr(i, kPiece);
      if (text.find(piece) != std::string::npos) {
        found += "[" + piece + "] of [" + s + "]\n";
        break;
      }
    }
  }
  return found;
}

struct Fetched {
  int status = 0;
  std::string body;
};

Fetched Fetch(int port, const std::string& method, const std::string& path) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(std::chrono::seconds(5));
  cli.set_read_timeout(std::chrono::seconds(15));
  cli.set_basic_auth("prometheus", kWebPassword);
  httplib::Result res = method == "POST" ? cli.Post(path.c_str()) : cli.Get(path.c_str());
  if (!res) return {};
  return {res->status, res->body};
}

}  // namespace

TEST_CASE("secrets: no output of a debug run shows a token, a key or the web password") {
  EchoingServer upstream;
  TempDir dir;
  const std::string token_file = dir.WriteFile("token", std::string(kBearer) + "\n");
  setenv(kEnvVar, kApiKey, 1);
  const std::string url =
      "http://127.0.0.1:" + std::to_string(upstream.port()) + "/v1/chat/completions";
  const std::string config =
      dir.WriteFile("c.yaml",
                    "targets:\n"
                    "  - name: bearer\n    api: openai-chat\n    url: " +
                        url +
                        "\n    model: m\n"
                        "    auth: {bearer_token_file: " +
                        token_file +
                        "}\n"
                        "    workload: {prompt_tokens: 8, max_tokens: 4}\n"
                        "    load: {concurrency: [1], stage_duration: 1m, warmup: 0s}\n"
                        "  - name: apikey\n    api: openai-chat\n    url: " +
                        url +
                        "\n    model: m\n"
                        "    auth: {bearer_token_env: " +
                        kEnvVar +
                        ", header: x-api-key}\n"
                        "    workload: {prompt_tokens: 8, max_tokens: 4}\n"
                        "    load: {concurrency: [1], stage_duration: 1m, warmup: 0s}\n");
  const std::string password_hash = Bcrypt(kWebPassword, 4);
  const std::string web =
      dir.WriteFile("web.yml", "basic_auth_users:\n  prometheus: " + password_hash + "\n");
  const std::vector<std::string> secrets = {kBearer, kApiKey, kWebPassword, password_hash};

  std::string check_out;
  CHECK(RunShell(LlmprobeBinary() + " check-config --config.file " + config +
                     " --web.config.file " + web,
                 &check_out) == 0);
  CHECK_MESSAGE(FindLeaks(check_out, secrets).empty(), FindLeaks(check_out, secrets));

  for (const char* format : {"json", "logfmt"}) {
    CAPTURE(format);
    const int port = rawhttp::FreePort();
    const std::string log_path = dir.path() + "/log-" + format + ".txt";
    ChildProcess proc({LlmprobeBinary(), "run", "--config.file", config, "--web.config.file", web,
                       "--web.listen-address", "127.0.0.1:" + std::to_string(port), "--log.level",
                       "debug", "--log.format", format},
                      log_path);
    // Wait until both targets have logged refused requests (the echo reached the log path).
    bool logged = false;
    for (int i = 0; i < 300 && !logged; ++i) {
      const std::string log = ReadFile(log_path);
      logged = log.find("401") != std::string::npos && log.find("bearer") != std::string::npos &&
               log.find("apikey") != std::string::npos;
      if (!logged) usleep(50000);
    }
    CHECK(logged);
    std::vector<std::pair<std::string, Fetched>> pages;
    for (const char* path : {"/metrics", "/", "/config", "/-/ready", "/-/healthy"}) {
      pages.emplace_back(path, Fetch(port, "GET", path));
    }
    pages.emplace_back("POST /-/reload", Fetch(port, "POST", "/-/reload"));
    for (const auto& entry : pages) {
      const std::string& what = entry.first;  // not a structured binding: clang 14's lambdas
      const Fetched& page = entry.second;     // (CAPTURE, CHECK_MESSAGE) cannot capture one
      CAPTURE(what);
      CHECK(page.status == 200);
      CHECK_MESSAGE(FindLeaks(page.body, secrets).empty(), FindLeaks(page.body, secrets));
    }
    // The running config names where the secrets come from, not what they are.
    const std::string& config_page = pages[2].second.body;
    CHECK(config_page.find(token_file) != std::string::npos);
    CHECK(config_page.find(kEnvVar) != std::string::npos);
    // Wrong passwords are refused and leave no trace either.
    httplib::Client cli("127.0.0.1", port);
    cli.set_basic_auth("prometheus", std::string(kWebPassword) + "x");
    auto wrong = cli.Get("/metrics");
    REQUIRE(wrong);
    CHECK(wrong->status == 401);

    proc.Signal(SIGTERM);
    CHECK(proc.Wait(10000) == 0);
    const std::string log = ReadFile(log_path);
    CHECK(log.find("request failed") != std::string::npos);
    CHECK(log.find("<secret>") != std::string::npos);  // the echo was there, and redacted
    CHECK_MESSAGE(FindLeaks(log, secrets).empty(), FindLeaks(log, secrets));
  }
  unsetenv(kEnvVar);
}
