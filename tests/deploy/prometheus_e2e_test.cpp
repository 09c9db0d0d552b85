// End to end with a real Prometheus (Debian's 2.42): `llmprobe mock` serves, `llmprobe run`
// probes it (plus a dead port, for error outcomes), Prometheus scrapes the daemon every second
// and evaluates the fast rendering of deploy/prometheus/llmprobe-rules.yaml.in (same rules,
// second-long windows). Then through the HTTP API:
//   - every template-variable query and every panel query of every dashboard (variables
//     substituted) returns data, and so does every recording rule; every alert expression runs;
//   - after the mock is restarted in a slow mode, the TTFT burn-rate alert reaches pending or
//     firing within a bounded time.
// Expectations follow what the daemon exports: an expression without data fails unless one of
// its metrics has no series on the daemon's /metrics at all (a feature still being built, or one
// this config does not exercise); those are printed as "PENDING(no series): ..." lines and fail
// the test too (every such metric is built now). The burn-rate case fails without the SLO
// counters.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "DashboardLint.h"
#include "DeployPaths.h"
#include "RawHttp.h"
#include "TestSupport.h"

namespace llmprobe::deploy {
namespace {

using llmprobe::testing::ChildProcess;
using llmprobe::testing::HttpGet;
using llmprobe::testing::TempDir;

constexpr const char* kRateInterval = "15s";
constexpr const char* kModel = "mock-model";

std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// The processes of one run: mock, daemon, Prometheus, all on free ports of 127.0.0.1.
class Stack {
 public:
  Stack() {
    mock_port_ = rawhttp::FreePort();
    daemon_port_ = rawhttp::FreePort();
    prom_port_ = rawhttp::FreePort();
    dead_port_ = rawhttp::FreePort();  // nothing listens: connect_refused outcomes
  }

  void StartMock(const std::string& ttft) {
    mock_.reset();  // SIGKILL the previous one, if any
    mock_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{testing::LlmprobeBinary(), "mock",
                                 "--listen=127.0.0.1:" + std::to_string(mock_port_),
                                 "--ttft=" + ttft, "--tpot=5ms", "--max-tokens=16"},
        dir_.path() + "/mock-" + ttft + ".log");
    REQUIRE_MESSAGE(WaitForPort(mock_port_),
                    "mock did not start:\n"
                        << ReadText(dir_.path() + "/mock-" + ttft + ".log"));
  }

  // Starts the daemon with the extended config (SLOs, a priced budget, an open-loop target).
  void StartDaemon() {
    const std::string config = dir_.WriteFile("llmprobe-full.yaml", Config(true));
    std::string out;
    REQUIRE_MESSAGE(
        testing::RunShell(
            "'" + testing::LlmprobeBinary() + "' check-config --config.file=" + config, &out) == 0,
        "check-config refused the e2e config:\n"
            << out);
    daemon_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{testing::LlmprobeBinary(), "run", "--config.file=" + config,
                                 "--web.listen-address=127.0.0.1:" + std::to_string(daemon_port_),
                                 "--log.level=warn"},
        dir_.path() + "/daemon.log");
    REQUIRE_MESSAGE(testing::WaitForHttp(daemon_port_, "/-/ready", 15000),
                    "daemon not ready:\n"
                        << ReadText(dir_.path() + "/daemon.log"));
  }

  void StartPrometheus() {
    REQUIRE_MESSAGE(std::filesystem::exists(LLMPROBE_PROMETHEUS_BINARY),
                    "prometheus not found (apt-get install prometheus)");
    std::string out;
    const std::string rules = dir_.path() + "/llmprobe-rules.fast.yaml";
    REQUIRE(testing::RunShell("sh '" + (SourceDir() / "deploy/prometheus/render.sh").string() +
                                  "' fast > '" + rules + "'",
                              &out) == 0);
    const std::string config = dir_.WriteFile("prometheus.yml",
                                              "global:\n"
                                              "  scrape_interval: 1s\n"
                                              "  scrape_timeout: 1s\n"
                                              "  evaluation_interval: 1s\n"
                                              "rule_files:\n"
                                              "  - " +
                                                  rules +
                                                  "\n"
                                                  "scrape_configs:\n"
                                                  "  - job_name: llmprobe\n"
                                                  "    static_configs:\n"
                                                  "      - targets: ['127.0.0.1:" +
                                                  std::to_string(daemon_port_) + "']\n");
    prometheus_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{LLMPROBE_PROMETHEUS_BINARY, "--config.file=" + config,
                                 "--storage.tsdb.path=" + dir_.path() + "/tsdb",
                                 "--web.listen-address=127.0.0.1:" + std::to_string(prom_port_),
                                 "--log.level=warn"},
        dir_.path() + "/prometheus.log");
    REQUIRE_MESSAGE(testing::WaitForHttp(prom_port_, "/-/ready", 30000),
                    "prometheus not ready:\n"
                        << ReadText(dir_.path() + "/prometheus.log"));
  }

  // Instant query; returns the result array (REQUIREs status success).
  nlohmann::json Query(const std::string& expr) {
    std::string body;
    const int status = HttpGet(prom_port_, "/api/v1/query?query=" + UrlEncode(expr), &body);
    REQUIRE_MESSAGE(status == 200, "query failed (" << status << "): " << expr << "\n" << body);
    const auto j = nlohmann::json::parse(body);
    REQUIRE(j["status"] == "success");
    return j["data"]["result"];
  }

  nlohmann::json Api(const std::string& path) {
    std::string body;
    REQUIRE(HttpGet(prom_port_, path, &body) == 200);
    return nlohmann::json::parse(body);
  }

  // Series names (histograms as x_bucket/x_count/x_sum) with at least one sample on the
  // daemon's /metrics right now.
  std::set<std::string> ExportedSeries() {
    std::string body;
    REQUIRE(HttpGet(daemon_port_, "/metrics", &body) == 200);
    std::set<std::string> names;
    std::istringstream in(body);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      names.insert(line.substr(0, line.find_first_of("{ ")));
    }
    return names;
  }

  std::string Substitute(std::string expr) const {
    const std::map<std::string, std::string> vars = {
        {"$__rate_interval", kRateInterval},
        {"$instance", "127.0.0.1:" + std::to_string(daemon_port_)},
        {"$job", "llmprobe"},
        {"$target", "(e2e-chat|e2e-completions|e2e-down|e2e-rate)"},
        {"$model", kModel}};
    for (const auto& [name, value] : vars) {  // "$__rate_interval" sorts first
      for (size_t at = expr.find(name); at != std::string::npos;
           at = expr.find(name, at + value.size())) {
        expr.replace(at, name.size(), value);
      }
    }
    return expr;
  }

  void RestartMockSlow() { StartMock("2s"); }
  const TempDir& dir() const { return dir_; }

 private:
  static bool WaitForPort(int port) {
    for (int i = 0; i < 500; ++i) {
      if (rawhttp::Client().Connect(port, 200).ok()) return true;
      SleepMs(20);
    }
    return false;
  }

  // The daemon's config. `extended` adds SLOs, a budget with prices and an open-loop target
  // (the e2e test always runs it; without, it is the minimal config of the core keys).
  std::string Config(bool extended) const {
    const std::string mock = "http://127.0.0.1:" + std::to_string(mock_port_);
    std::string slo, budget;
    if (extended) {
      slo =
          "    slo:\n"
          "      time_to_first_token: 100ms\n"
          "      time_per_output_token: 20ms\n"
          "      request_duration: 1s\n"
          "      objective: 0.99\n"
          "      error_ratio: 0.05\n";
      budget =
          "    budget:\n"
          "      max_requests_per_hour: 1000000\n"
          "      price: {input_per_million: 0.15, output_per_million: 0.6, currency: USD}\n";
    }
    std::string config =
        "targets:\n"
        "  - name: e2e-chat\n"
        "    api: openai-chat\n"
        "    url: " +
        mock +
        "/v1/chat/completions\n"
        "    model: mock-model\n"
        "    workload: {prompt_tokens: 16, max_tokens: 16}\n"
        "    load: {concurrency: [1, 2, 4], stage_duration: 4s, warmup: 1s}\n" +
        slo + budget +
        "  - name: e2e-completions\n"
        "    api: openai-completions\n"
        "    url: " +
        mock +
        "/v1/completions\n"
        "    model: mock-model\n"
        "    workload: {prompt_tokens: 16, max_tokens: 16}\n"
        "    load: {concurrency: [1, 2], stage_duration: 4s, warmup: 1s}\n" +
        slo +
        "  - name: e2e-down\n"
        "    api: openai-chat\n"
        "    url: http://127.0.0.1:" +
        std::to_string(dead_port_) +
        "/v1\n"
        "    model: mock-model\n"
        "    timeouts: {connect: 1s}\n"
        "    load: {concurrency: [1], stage_duration: 4s, warmup: 0s}\n";
    if (extended) {
      config +=
          "  - name: e2e-rate\n"
          "    api: openai-chat\n"
          "    url: " +
          mock +
          "/v1/chat/completions\n"
          "    model: mock-model\n"
          "    workload: {prompt_tokens: 16, max_tokens: 16}\n"
          "    load: {mode: rate, rate: [5, 10], max_inflight: 4, stage_duration: 4s, warmup: "
          "1s}\n" +
          slo + budget;
    }
    return config;
  }

  TempDir dir_;
  int mock_port_, daemon_port_, prom_port_, dead_port_;
  std::unique_ptr<ChildProcess> mock_, daemon_, prometheus_;
};

struct Expression {
  std::string where;  // "llmprobe-target.json panel 7 "TTFT..." query A"
  std::string expr;   // as written
};

std::vector<Expression> DashboardExpressions() {
  std::vector<Expression> out;
  for (const auto& entry : std::filesystem::directory_iterator(SourceDir() / "grafana")) {
    if (entry.path().extension() != ".json") continue;
    const auto d = nlohmann::json::parse(ReadText(entry.path()));
    std::vector<nlohmann::json> panels(d["panels"].begin(), d["panels"].end());
    for (size_t i = 0; i < panels.size(); ++i) {
      if (panels[i].contains("panels")) {
        for (const auto& child : panels[i]["panels"]) panels.push_back(child);
      }
      if (!panels[i].contains("targets")) continue;
      for (const auto& t : panels[i]["targets"]) {
        out.push_back({entry.path().filename().string() + " panel " + panels[i]["id"].dump() +
                           " \"" + panels[i].value("title", "") + "\" query " +
                           t.value("refId", ""),
                       t.value("expr", "")});
      }
    }
  }
  return out;
}

// Raw metric names an expression reads (recorded names, with a colon, excluded).
std::set<std::string> RawMetrics(const std::string& expr) {
  std::set<std::string> out;
  for (const auto& sel : ScanSelectors(expr)) {
    if (!sel.metric.empty() && sel.metric.find(':') == std::string::npos) out.insert(sel.metric);
  }
  return out;
}

bool HasFiniteSample(const nlohmann::json& result) {
  for (const auto& r : result) {
    const double v = std::stod(r["value"][1].get<std::string>());
    if (std::isfinite(v)) return true;
  }
  return false;
}

// Waits until every level of e2e-chat has successful requests in Prometheus.
void WaitForData(Stack& stack) {
  for (int i = 0; i < 120; ++i) {
    const auto r = stack.Query(
        R"(count(increase(llmprobe_time_to_first_token_seconds_count{job="llmprobe",target="e2e-chat"}[15s]) > 0))");
    if (!r.empty() && std::stod(r[0]["value"][1].get<std::string>()) >= 3) return;
    SleepMs(500);
  }
  FAIL("no TTFT observations for all three levels of e2e-chat after 60 s");
}

}  // namespace

TEST_CASE(
    "e2e: every dashboard query and every recording rule returns data from a real Prometheus") {
  Stack stack;
  stack.StartMock("50ms");
  stack.StartDaemon();
  stack.StartPrometheus();
  WaitForData(stack);
  const std::set<std::string> exported = stack.ExportedSeries();

  // Template variables: label_values(selector, label) answers through the label values API.
  const std::regex label_values(R"(^label_values\((.*),\s*(\w+)\)$)");
  for (const auto& entry : std::filesystem::directory_iterator(SourceDir() / "grafana")) {
    if (entry.path().extension() != ".json") continue;
    const auto d = nlohmann::json::parse(ReadText(entry.path()));
    for (const auto& v : d["templating"]["list"]) {
      if (v.value("type", "") != "query") continue;
      const std::string def = v.value("definition", "");
      std::smatch m;
      REQUIRE_MESSAGE(std::regex_match(def, m, label_values), def);
      const auto j = stack.Api("/api/v1/label/" + m[2].str() +
                               "/values?match[]=" + UrlEncode(stack.Substitute(m[1].str())));
      CAPTURE(def);
      CHECK_FALSE(j["data"].empty());
    }
  }

  // Panel queries. Retried for a while: a level or outcome may need a few scrapes to show up.
  std::vector<std::string> pending, failed;
  for (const Expression& e : DashboardExpressions()) {
    const std::string expr = stack.Substitute(e.expr);
    CHECK_MESSAGE(expr.find('$') == std::string::npos,
                  e.where << ": unsubstituted variable in " << expr);
    std::vector<std::string> missing;
    for (const auto& metric : RawMetrics(e.expr)) {
      if (!exported.count(metric)) missing.push_back(metric);
    }
    bool ok = false;
    for (int attempt = 0; attempt < 10 && !ok; ++attempt) {
      const auto result = stack.Query(expr);
      ok = !result.empty() && HasFiniteSample(result);
      if (!ok && !missing.empty()) break;  // cannot get data: a metric has no series
      if (!ok) SleepMs(1000);
    }
    if (ok) continue;
    std::string line = e.where + ": " + e.expr;
    if (!missing.empty()) {
      std::string names;
      for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
      pending.push_back(line + "\n    no series on /metrics for: " + names);
    } else {
      failed.push_back(line);
    }
  }

  // Recording rules of the fast rendering (same names as production). A rule's inputs are the
  // raw metrics it reads, directly or through the recorded series it reads.
  const YAML::Node rules = YAML::LoadFile(stack.dir().path() + "/llmprobe-rules.fast.yaml");
  std::map<std::string, std::set<std::string>> record_inputs, record_deps;
  for (const auto& group : rules["groups"]) {
    for (const auto& rule : group["rules"]) {
      const std::string expr = rule["expr"].as<std::string>();
      if (rule["alert"]) {
        stack.Query(expr);  // runs without error (REQUIREd inside)
        continue;
      }
      const std::string record = rule["record"].as<std::string>();
      auto& inputs = record_inputs[record];
      for (const auto& sel : ScanSelectors(expr)) {
        if (sel.metric.find(':') == std::string::npos) {
          inputs.insert(sel.metric);
        } else {
          record_deps[record].insert(sel.metric);
        }
      }
    }
  }
  for (bool grew = true; grew;) {  // transitive closure over recorded inputs
    grew = false;
    for (auto& [record, deps] : record_deps) {
      for (const auto& dep : deps) {
        for (const auto& m : record_inputs[dep]) grew |= record_inputs[record].insert(m).second;
      }
    }
  }
  for (const auto& [record, inputs] : record_inputs) {
    std::vector<std::string> missing;
    for (const auto& m : inputs) {
      if (!exported.count(m)) missing.push_back(m);
    }
    bool ok = false;
    for (int attempt = 0; attempt < 10 && !ok; ++attempt) {
      ok = !stack.Query(record).empty();
      if (!ok && !missing.empty()) break;
      if (!ok) SleepMs(1000);
    }
    if (ok) continue;
    if (!missing.empty()) {
      std::string names;
      for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
      pending.push_back("recording rule " + record + "\n    no series on /metrics for: " + names);
    } else {
      failed.push_back("recording rule " + record);
    }
  }

  for (const auto& p : pending) std::printf("PENDING(no series): %s\n", p.c_str());
  std::printf(
      "e2e: %zu dashboard queries and %zu recording rules checked; %zu pending, %zu failed\n",
      DashboardExpressions().size(), record_inputs.size(), pending.size(), failed.size());
  std::string failures;
  for (const auto& f : failed) failures += "\n  " + f;
  CHECK_MESSAGE(failed.empty(), "no data although every metric they read is exported:" << failures);
  // Every feature the dashboards and rules read is built: a metric without series is a
  // regression, not a pending feature.
  CHECK_MESSAGE(pending.empty(), pending.size() << " expressions read metrics with no series");
}

TEST_CASE("e2e: the TTFT burn-rate alert fires after the mock turns slow") {
  Stack stack;
  stack.StartMock("50ms");
  stack.StartDaemon();
  const std::set<std::string> exported = stack.ExportedSeries();
  if (!exported.count("llmprobe_slo_good_requests_total") ||
      !exported.count("llmprobe_slo_objective")) {
    FAIL(
        "the daemon exports no llmprobe_slo_good_requests_total / llmprobe_slo_objective "
        "series, so the TTFT burn-rate alert cannot fire");
  }
  stack.StartPrometheus();
  WaitForData(stack);
  // Healthy: TTFT 50ms against a 100ms threshold, no burn alert.
  const auto quiet =
      stack.Query(R"(ALERTS{alertname="LlmprobeTimeToFirstTokenBudgetBurn",target="e2e-chat"})");
  CHECK_MESSAGE(quiet.empty(), quiet.dump());

  stack.RestartMockSlow();  // every TTFT now 2s: all requests miss the threshold
  const auto start = std::chrono::steady_clock::now();
  std::string state;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(90)) {
    const auto r = stack.Query(
        R"(ALERTS{alertname="LlmprobeTimeToFirstTokenBudgetBurn",target="e2e-chat",long="1h"})");
    if (!r.empty()) {
      state = r[0]["metric"]["alertstate"].get<std::string>();
      if (state == "firing") break;
    }
    SleepMs(1000);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("e2e: LlmprobeTimeToFirstTokenBudgetBurn{long=\"1h\"} state \"%s\" after %.0f s\n",
              state.c_str(), seconds);
  CHECK_MESSAGE((state == "pending" || state == "firing"),
                "the TTFT burn-rate alert did not become pending within 90 s of the slow-down");
}

}  // namespace llmprobe::deploy
