// The dashboard rules hold on every panel of every dashboard in grafana/, and the checker fails
// when any one rule is broken (each rule is broken on purpose in a copy of a real dashboard).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "DashboardLint.h"
#include "DeployPaths.h"

namespace llmprobe::deploy {
namespace {

nlohmann::json LoadJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return nlohmann::json::parse(in);
}

std::vector<std::filesystem::path> Dashboards() {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(SourceDir() / "grafana")) {
    if (entry.path().extension() == ".json") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Joined(const std::vector<std::string>& problems) {
  std::ostringstream out;
  for (const auto& p : problems) out << "\n  " << p;
  return out.str();
}

bool AnyContains(const std::vector<std::string>& problems, const std::string& needle) {
  for (const auto& p : problems) {
    if (p.find(needle) != std::string::npos) return true;
  }
  return false;
}

// The first non-row panel with a query whose expr contains `needle`.
nlohmann::json* PanelWithQuery(nlohmann::json& d, const std::string& needle) {
  for (auto& panel : d["panels"]) {
    if (!panel.contains("targets")) continue;
    for (auto& t : panel["targets"]) {
      if (t.value("expr", "").find(needle) != std::string::npos) return &panel;
    }
  }
  return nullptr;
}

nlohmann::json& FirstQuery(nlohmann::json& d, const std::string& needle) {
  nlohmann::json* panel = PanelWithQuery(d, needle);
  REQUIRE(panel != nullptr);
  for (auto& t : (*panel)["targets"]) {
    if (t.value("expr", "").find(needle) != std::string::npos) return t;
  }
  FAIL("unreachable");
  return d;
}

void ReplaceOnce(std::string& s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "`" << from << "` not in `" << s << "`");
  s.replace(at, from.size(), to);
}

// Mutates a copy of the target dashboard and expects the checker to name the broken rule.
void ExpectBroken(const std::function<void(nlohmann::json&)>& mutate, const std::string& expected) {
  nlohmann::json d = LoadJson(SourceDir() / "grafana" / "llmprobe-target.json");
  REQUIRE(LintDashboard(d, "llmprobe-target").empty());
  mutate(d);
  const auto problems = LintDashboard(d, "llmprobe-target");
  CHECK_MESSAGE(AnyContains(problems, expected),
                "expected a problem containing `" << expected << "`, got:" << Joined(problems));
}

const char* kFilters = R"(job=~"$job",instance=~"$instance",target=~"$target",model=~"$model")";

}  // namespace

TEST_CASE("every dashboard in grafana/ follows the dashboard rules") {
  const auto dashboards = Dashboards();
  REQUIRE(dashboards.size() >= 2);
  for (const auto& path : dashboards) {
    CAPTURE(path);
    const auto problems = LintDashboard(LoadJson(path), path.stem().string());
    CHECK_MESSAGE(problems.empty(), path.filename().string() << ":" << Joined(problems));
  }
}

TEST_CASE("issue 6 panels are there: the XY chart of the rolling curve, heatmaps") {
  const nlohmann::json d = LoadJson(SourceDir() / "grafana" / "llmprobe-target.json");
  int xy = 0, heatmaps = 0;
  for (const auto& panel : d["panels"]) {
    if (panel.value("type", "") == "heatmap") ++heatmaps;
    if (panel.value("type", "") != "xychart") continue;
    ++xy;
    std::string exprs;
    for (const auto& t : panel["targets"]) exprs += t.value("expr", "") + "\n";
    CHECK(exprs.find("llmprobe_rolling_output_tokens_per_second") != std::string::npos);
    CHECK(exprs.find(R"(llmprobe_rolling_request_duration_seconds{)") != std::string::npos);
    CHECK(exprs.find(R"(quantile="0.5")") != std::string::npos);
    CHECK(exprs.find(R"(quantile="0.99")") != std::string::npos);
    // Grafana >= 10.4 xychart model: manual mapping, x and y matched by field name.
    CHECK(panel["options"]["mapping"] == "manual");
    for (const auto& series : panel["options"]["series"]) {
      CHECK(series["x"]["matcher"]["options"] == "Output tokens/s");
    }
  }
  CHECK(xy == 1);
  CHECK(heatmaps == 2);
}

TEST_CASE("the selector scanner skips label lists, functions, strings and numbers") {
  std::vector<std::string> ranges;
  const auto sels = ScanSelectors(
      R"promql(histogram_quantile(0.99, sum by (le, target) (rate(a_bucket{job=~"$job"}[$__rate_interval])))
         / on (target) group_left () max without (quantile) (b{x="{not a brace}"}) * 3600
         + label_replace(c, "level", "$1", "concurrency", "(.+)") offset 5m)promql",
      &ranges);
  REQUIRE(sels.size() == 3);
  CHECK(sels[0].metric == "a_bucket");
  CHECK(sels[0].enclosing_call == "rate");
  CHECK(sels[0].range == "$__rate_interval");
  REQUIRE(sels[0].matchers.size() == 1);
  CHECK(sels[0].matchers[0].second == R"(=~"$job")");
  CHECK(sels[1].metric == "b");
  CHECK(sels[1].enclosing_call == "");
  CHECK(sels[2].metric == "c");
  CHECK(sels[2].enclosing_call == "label_replace");
  CHECK(ranges == std::vector<std::string>{"$__rate_interval"});
}

TEST_CASE("the checker fails when a rule is broken") {
  SUBCASE("panel without description") {
    ExpectBroken([](nlohmann::json& d) { d["panels"][1].erase("description"); }, "no description");
  }
  SUBCASE("panel without title") {
    ExpectBroken([](nlohmann::json& d) { d["panels"][1]["title"] = ""; }, "no title");
  }
  SUBCASE("panel without unit") {
    ExpectBroken([](nlohmann::json& d) { d["panels"][1]["fieldConfig"]["defaults"].erase("unit"); },
                 "no unit");
  }
  SUBCASE("fixed range instead of $__rate_interval") {
    ExpectBroken(
        [](nlohmann::json& d) {
          auto& q = FirstQuery(d, "[$__rate_interval]");
          std::string e = q["expr"];
          ReplaceOnce(e, "[$__rate_interval]", "[5m]");
          q["expr"] = e;
        },
        "range [5m] is not [$__rate_interval]");
  }
  SUBCASE("query without the job filter") {
    ExpectBroken(
        [](nlohmann::json& d) {
          auto& q = FirstQuery(d, "llmprobe_output_tokens_total");
          std::string e = q["expr"];
          ReplaceOnce(e, R"(job=~"$job",)", "");
          q["expr"] = e;
        },
        R"(llmprobe_output_tokens_total is not filtered by job=~"$job")");
  }
  SUBCASE("query without the instance filter") {
    ExpectBroken(
        [](nlohmann::json& d) {
          auto& q = FirstQuery(d, "llmprobe_stage_concurrency");
          std::string e = q["expr"];
          ReplaceOnce(e, R"(instance=~"$instance",)", "");
          q["expr"] = e;
        },
        "is not filtered by instance");
  }
  SUBCASE("query without the target filter") {
    ExpectBroken(
        [](nlohmann::json& d) {
          auto& q = FirstQuery(d, "llmprobe_budget_exhausted");
          std::string e = q["expr"];
          ReplaceOnce(e, R"(,target=~"$target")", "");
          q["expr"] = e;
        },
        "llmprobe_budget_exhausted is not filtered by target");
  }
  SUBCASE("request metric without the model filter") {
    ExpectBroken(
        [](nlohmann::json& d) {
          auto& q = FirstQuery(d, "llmprobe_time_to_first_token_seconds_bucket");
          std::string e = q["expr"];
          ReplaceOnce(e, R"(,model=~"$model")", "");
          q["expr"] = e;
        },
        "llmprobe_time_to_first_token_seconds_bucket is not filtered by model");
  }
  SUBCASE("filter with a fixed value instead of the variable") {
    ExpectBroken(
        [](nlohmann::json& d) {
          auto& q = FirstQuery(d, "llmprobe_output_tokens_total");
          std::string e = q["expr"];
          ReplaceOnce(e, R"(target=~"$target")", R"(target="vllm")");
          q["expr"] = e;
        },
        R"(filters target="vllm")");
  }
  SUBCASE("counter outside rate()") {
    ExpectBroken(
        [](nlohmann::json& d) {
          FirstQuery(d, "llmprobe_output_tokens_total")["expr"] =
              std::string("sum(llmprobe_output_tokens_total{") + kFilters + "})";
        },
        "counter llmprobe_output_tokens_total used outside rate()/increase()");
  }
  SUBCASE("histogram bucket through irate()") {
    ExpectBroken(
        [](nlohmann::json& d) {
          FirstQuery(d, "llmprobe_output_tokens_total")["expr"] =
              std::string("sum(irate(llmprobe_output_tokens_total{") + kFilters +
              "}[$__rate_interval]))";
        },
        "used outside rate()/increase()");
  }
  SUBCASE("unknown metric") {
    ExpectBroken(
        [](nlohmann::json& d) {
          FirstQuery(d, "llmprobe_output_tokens_total")["expr"] =
              std::string("llmprobe_made_up{") + kFilters + "}";
        },
        "unknown metric llmprobe_made_up");
  }
  SUBCASE("panel datasource not ${datasource}") {
    ExpectBroken(
        [](nlohmann::json& d) { d["panels"][1]["datasource"]["uid"] = "P1809F7CD0C75ACF3"; },
        "datasource is not");
  }
  SUBCASE("query datasource not ${datasource}") {
    ExpectBroken(
        [](nlohmann::json& d) {
          d["panels"][1]["targets"][0]["datasource"] = {{"type", "prometheus"},
                                                        {"uid", "prometheus"}};
        },
        "query A: datasource is not ${datasource}");
  }
  SUBCASE("editable dashboard") {
    ExpectBroken([](nlohmann::json& d) { d["editable"] = true; }, "editable is not false");
  }
  SUBCASE("uid changed") {
    ExpectBroken([](nlohmann::json& d) { d["uid"] = "abc123"; }, "expected the stable");
  }
  SUBCASE("duplicate panel id") {
    ExpectBroken([](nlohmann::json& d) { d["panels"][2]["id"] = d["panels"][1]["id"]; },
                 "duplicate panel id");
  }
  SUBCASE("missing template variable") {
    ExpectBroken(
        [](nlohmann::json& d) {
          auto& list = d["templating"]["list"];
          for (size_t i = 0; i < list.size(); ++i) {
            if (list[i]["name"] == "model") list.erase(i);
          }
        },
        "no `model` variable");
  }
  SUBCASE("rule broken inside a collapsed row") {
    ExpectBroken(
        [](nlohmann::json& d) {
          nlohmann::json hidden = d["panels"][1];
          hidden["id"] = 999;
          hidden.erase("description");
          d["panels"][0]["collapsed"] = true;
          d["panels"][0]["panels"] = nlohmann::json::array({hidden});
        },
        "panel 999");
  }
}

}  // namespace llmprobe::deploy
