// Conventions of the Prometheus rules that promtool does not check: alert naming, severities,
// annotations, the multi-window multi-burn-rate table, a unit test for every alert, and the
// PrometheusRule carrying the same groups as the rules file.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "DeployPaths.h"

namespace llmprobe::deploy {
namespace {

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

YAML::Node RulesFile() {
  return YAML::LoadFile((SourceDir() / "deploy/prometheus/llmprobe-rules.yaml").string());
}

std::string Get(const YAML::Node& n, const char* key) {
  return n[key] && n[key].IsScalar() ? n[key].as<std::string>() : "";
}

}  // namespace

TEST_CASE("alerts: CamelCase names, a severity, a plain summary and a templated description") {
  const YAML::Node file = RulesFile();
  REQUIRE(file["groups"].IsSequence());
  const std::regex camel("^Llmprobe[A-Z][A-Za-z0-9]*$");
  const std::regex record_name("^[a-z_]+:[a-z0-9_]+(:[a-z0-9_]+)?$");
  const std::set<std::string> severities = {"critical", "warning", "info"};
  int alerts = 0;
  for (const auto& group : file["groups"]) {
    for (const auto& rule : group["rules"]) {
      CHECK_FALSE(Get(rule, "expr").empty());
      if (rule["record"]) {
        CAPTURE(Get(rule, "record"));
        CHECK(std::regex_match(Get(rule, "record"), record_name));
        continue;
      }
      ++alerts;
      const std::string name = Get(rule, "alert");
      CAPTURE(name);
      CHECK(std::regex_match(name, camel));
      CHECK(severities.count(Get(rule["labels"], "severity")) == 1);
      const std::string summary = Get(rule["annotations"], "summary");
      const std::string description = Get(rule["annotations"], "description");
      CHECK_FALSE(summary.empty());
      CHECK(summary.find("{{") == std::string::npos);
      CHECK(description.find("{{") != std::string::npos);
    }
  }
  CHECK(alerts > 20);
}

TEST_CASE("burn-rate alerts use the SRE workbook windows, factors and durations") {
  struct Row {
    std::string short_window, factor, for_duration, severity;
  };
  const std::map<std::string, Row> table = {{"1h", {"5m", "14.4", "2m", "critical"}},
                                            {"6h", {"30m", "6", "15m", "critical"}},
                                            {"1d", {"2h", "3", "1h", "warning"}},
                                            {"3d", {"6h", "1", "3h", "warning"}}};
  std::map<std::string, std::set<std::string>> windows_by_slo;
  for (const auto& group : RulesFile()["groups"]) {
    for (const auto& rule : group["rules"]) {
      const std::string name = Get(rule, "alert");
      if (name.find("BudgetBurn") == std::string::npos) continue;
      const std::string long_window = Get(rule["labels"], "long");
      const std::string slo = Get(rule["labels"], "slo");
      CAPTURE(name);
      CAPTURE(long_window);
      REQUIRE(table.count(long_window) == 1);
      const Row& row = table.at(long_window);
      CHECK(Get(rule["labels"], "short") == row.short_window);
      CHECK(Get(rule, "for") == row.for_duration);
      CHECK(Get(rule["labels"], "severity") == row.severity);
      const std::string expr = Get(rule, "expr");
      const std::string sel = "{slo=\"" + slo + "\"} > " + row.factor + "\n";
      CHECK(expr.find("llmprobe_slo:burn_rate:rate" + long_window + sel) != std::string::npos);
      CHECK(expr.find("llmprobe_slo:burn_rate:rate" + row.short_window + sel) != std::string::npos);
      windows_by_slo[slo].insert(long_window);
    }
  }
  for (const char* slo : {"time_to_first_token", "time_per_output_token", "error_ratio"}) {
    CAPTURE(slo);
    CHECK(windows_by_slo[slo].size() == 4);
  }
}

TEST_CASE("every alert has a promtool unit test") {
  std::string tests;
  for (const auto& entry :
       std::filesystem::directory_iterator(SourceDir() / "deploy/prometheus/tests")) {
    tests += ReadText(entry.path());
  }
  for (const auto& group : RulesFile()["groups"]) {
    for (const auto& rule : group["rules"]) {
      if (!rule["alert"]) continue;
      const std::string name = Get(rule, "alert");
      CAPTURE(name);
      CHECK(tests.find("alertname: " + name + "\n") != std::string::npos);
    }
  }
}

TEST_CASE("the PrometheusRule carries exactly the groups of the rules file") {
  const YAML::Node crd =
      YAML::LoadFile((SourceDir() / "deploy/kubernetes/base/prometheusrule.yaml").string());
  CHECK(Get(crd, "apiVersion") == "monitoring.coreos.com/v1");
  CHECK(Get(crd, "kind") == "PrometheusRule");
  YAML::Emitter from_crd, from_file;
  from_crd << crd["spec"]["groups"];
  from_file << RulesFile()["groups"];
  CHECK(std::string(from_crd.c_str()) == std::string(from_file.c_str()));
}

}  // namespace llmprobe::deploy
