// The bench report renderers checked by real tools (Debian packages):
//   JSON  -> validated against docs/bench-report.schema.json by python3-jsonschema
//   CSV   -> parsed by Python's csv module (/usr/bin/python3)
//   SVG   -> well-formed per xmllint (libxml2-utils), rendered by headless Chromium (chromium)
//            to a PNG, decoded by tests/testdata/report/png_stats.py (Python zlib) and checked
//            for size, colours and the series colours
//   HTML  -> rendered by headless Chromium, non-blank
// Set LLMPROBE_REPORT_EXAMPLE_DIR=/some/dir to keep the example outputs (for the README).
#include <doctest/doctest.h>

#include <unistd.h>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "TestSupport.h"
#include "report/CsvReport.h"
#include "report/HtmlReport.h"
#include "report/JsonReport.h"
#include "report/SvgPlot.h"
#include "report/TextTable.h"
#include "unit/report_schedule.h"

using namespace llmprobe;
using llmprobe::testing::RunShell;
using llmprobe::testing::SweepConfig;
using llmprobe::testing::SweepReports;
using llmprobe::testing::TempDir;

namespace {

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, not a pyenv on PATH
constexpr const char* kXmllint = "/usr/bin/xmllint";
constexpr const char* kChromium = "/usr/bin/chromium";

// Fails with the Debian package to install when a tool is missing.
void RequireTool(const char* path, const char* package) {
  INFO("missing " << path << ": apt-get install " << package);
  REQUIRE(access(path, X_OK) == 0);
}

void RequireJsonschema() {
  RequireTool(kPython, "python3");
  std::string out;
  INFO("python3 -c 'import jsonschema' failed: apt-get install python3-jsonschema\n" << out);
  REQUIRE(RunShell(std::string(kPython) + " -c 'import jsonschema' 2>&1", &out) == 0);
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }  // paths from TempDir only

std::string SchemaPath() {
  return std::string(LLMPROBE_SOURCE_DIR) + "/docs/bench-report.schema.json";
}

// A sweep with realistic spread (TTFT up to 1.4x, TPOT up to 1.4x per request), a goodput SLO,
// a latency budget, some errors at the top level and a name that needs escaping everywhere.
BenchReport Example(const Budget& budget = Budget::FromLatencyBudget(2500 * kNanosPerMilli)) {
  BenchConfig c = SweepConfig(budget);
  c.target = "demo <mock> & \"friends\", a, b";
  c.slo.time_to_first_token_ns = 250 * kNanosPerMilli;
  std::vector<LevelReport> levels = SweepReports(120 * kNanosPerSecond, 0.4, c.slo);
  levels[4].errors = 3;
  levels[4].requests += 3;
  levels[4].errors_by_outcome = {{"http_rate_limited", 2}, {"read_error", 1}};
  return MakeBenchReport(c, levels, std::chrono::system_clock::now());
}

// Writes `content` to dir/name, and to $LLMPROBE_REPORT_EXAMPLE_DIR/name when that is set.
std::string Write(const TempDir& dir, const std::string& name, const std::string& content) {
  if (const char* keep = std::getenv("LLMPROBE_REPORT_EXAMPLE_DIR"); keep && *keep) {
    std::filesystem::create_directories(keep);
    std::ofstream(std::string(keep) + "/" + name, std::ios::binary) << content;
  }
  return dir.WriteFile(name, content);
}

// Runs `script` (Python source) with Debian's python3 and the arguments; *out gets the output.
int RunPython(const std::string& script, const std::string& args, std::string* out) {
  TempDir dir;
  const std::string file = dir.WriteFile("script.py", script);
  return RunShell(std::string(kPython) + " " + Quote(file) + " " + args, out);
}

// Exit status of validating `instance` against the bench report schema; *out gets the messages.
int Validate(const std::string& instance, std::string* out) {
  const std::string script =
      "import json, sys, jsonschema\n"
      "schema = json.load(open(sys.argv[1]))\n"
      "cls = jsonschema.validators.validator_for(schema)\n"
      "cls.check_schema(schema)\n"
      "errors = list(cls(schema).iter_errors(json.load(open(sys.argv[2]))))\n"
      "for e in errors: print(list(e.absolute_path), e.message)\n"
      "sys.exit(1 if errors else 0)\n";
  return RunPython(script, Quote(SchemaPath()) + " " + Quote(instance), out);
}

// Renders file://path in headless Chromium to a PNG; returns png_stats.py's JSON.
nlohmann::json RenderAndMeasure(const TempDir& dir, const std::string& path,
                                const std::string& png_name) {
  const std::string png = dir.path() + "/" + png_name;
  const std::string profile = dir.path() + "/chromium-profile-" + png_name;
  std::string out;
  const std::string cmd =
      std::string("timeout 120 ") + kChromium +
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
      " --disable-background-networking --disable-component-update --disable-sync"
      " --hide-scrollbars --user-data-dir=" +
      Quote(profile) + " --screenshot=" + Quote(png) + " --window-size=1000,800 " +
      Quote("file://" + path);
  const int status = RunShell(cmd, &out);
  INFO("chromium: " << out);
  REQUIRE(status == 0);
  REQUIRE(std::filesystem::exists(png));
  if (const char* keep = std::getenv("LLMPROBE_REPORT_EXAMPLE_DIR"); keep && *keep) {
    std::filesystem::copy_file(png, std::string(keep) + "/" + png_name,
                               std::filesystem::copy_options::overwrite_existing);
  }
  const std::string stats_cmd = std::string(kPython) + " " + LLMPROBE_TESTDATA_DIR +
                                "/report/png_stats.py " + Quote(png) +
                                " '#0072b2' '#d55e00' '#009e73' '#cc79a7' '#e69f00'";
  REQUIRE(RunShell(stats_cmd, &out) == 0);
  INFO("png_stats: " << out);
  return nlohmann::json::parse(out);
}

}  // namespace

TEST_CASE("report render: JSON validates against docs/bench-report.schema.json") {
  RequireJsonschema();
  TempDir dir;
  std::string out;
  // With a budget, without one, and with nulls (an empty level, nothing recommended).
  const std::string with_budget = Write(dir, "bench-report.json", RenderJsonReport(Example()));
  CHECK_MESSAGE(Validate(with_budget, &out) == 0, out);
  const std::string no_budget = dir.WriteFile("plain.json", RenderJsonReport(Example(Budget{})));
  CHECK_MESSAGE(Validate(no_budget, &out) == 0, out);
  std::vector<LevelReport> levels = SweepReports();
  levels.emplace_back().level = LevelId::Concurrency(32);
  Budget tight;
  tight.ttft_p50_ns = kNanosPerMilli;
  const std::string nulls = dir.WriteFile(
      "nulls.json", RenderJsonReport(MakeBenchReport(SweepConfig(tight), levels, {})));
  CHECK_MESSAGE(Validate(nulls, &out) == 0, out);
  BenchConfig rate = SweepConfig();
  rate.mode = LoadMode::kRate;
  rate.levels = {LevelId::Rate(0.5), LevelId::Rate(2)};
  std::vector<LevelReport> rate_levels = SweepReports();
  rate_levels.resize(2);
  rate_levels[0].level = LevelId::Rate(0.5);
  rate_levels[1].level = LevelId::Rate(2);
  const std::string rate_file =
      dir.WriteFile("rate.json", RenderJsonReport(MakeBenchReport(rate, rate_levels, {})));
  CHECK_MESSAGE(Validate(rate_file, &out) == 0, out);

  // The validator really checks: broken documents are refused.
  nlohmann::json broken = BenchReportToJson(Example());
  broken["levels"][0]["goodput"] = 1.5;
  CHECK(Validate(dir.WriteFile("bad1.json", broken.dump()), &out) != 0);
  CHECK(out.find("goodput") != std::string::npos);
  broken = BenchReportToJson(Example());
  broken["config"]["headers"] = nlohmann::json::object();
  CHECK(Validate(dir.WriteFile("bad2.json", broken.dump()), &out) != 0);
  broken = BenchReportToJson(Example());
  broken["levels"][1].erase("ttft_seconds");
  CHECK(Validate(dir.WriteFile("bad3.json", broken.dump()), &out) != 0);
}

TEST_CASE("report render: CSV parses with Python's csv module, same field count per row") {
  RequireTool(kPython, "python3");
  TempDir dir;
  const BenchReport report = Example();
  const std::string path = Write(dir, "bench-report.csv", RenderCsvReport(report));
  const std::string script =
      "import csv, json, sys\n"
      "rows = list(csv.reader(open(sys.argv[1], newline=''), strict=True))\n"
      "print(json.dumps({'counts': [len(r) for r in rows], 'target': rows[1][0],\n"
      "                  'errors': rows[5][rows[0].index('errors_by_outcome')]}))\n";
  std::string out;
  REQUIRE_MESSAGE(RunPython(script, Quote(path), &out) == 0, out);
  const nlohmann::json j = nlohmann::json::parse(out);
  REQUIRE(j["counts"].size() == report.levels.size() + 1);
  for (const auto& n : j["counts"]) CHECK(n == j["counts"][0]);
  CHECK(j["counts"][0].get<int>() > 20);
  CHECK(j["target"] == report.config.target);
  CHECK(j["errors"] == "http_rate_limited=2, read_error=1");
}

TEST_CASE("report render: SVG and HTML are well-formed for xmllint") {
  RequireTool(kXmllint, "libxml2-utils");
  TempDir dir;
  const BenchReport report = Example();
  std::string out;
  const std::string svg = Write(dir, "bench-curve.svg", RenderSvgPlot(report));
  CHECK_MESSAGE(RunShell(std::string(kXmllint) + " --noout " + Quote(svg), &out) == 0, out);
  CHECK(out.empty());
  // Without budget or levels too.
  const std::string empty =
      dir.WriteFile("empty.svg", RenderSvgPlot(MakeBenchReport(SweepConfig(), {}, {})));
  CHECK_MESSAGE(RunShell(std::string(kXmllint) + " --noout " + Quote(empty), &out) == 0, out);
  // xmllint does catch an unescaped '&'.
  const std::string bad = dir.WriteFile("bad.svg", "<svg><text>a & b</text></svg>");
  CHECK(RunShell(std::string(kXmllint) + " --noout " + Quote(bad), &out) != 0);
  // The HTML parses as HTML without errors other than libxml2's unknown (SVG) tags.
  const std::string html = Write(dir, "bench-report.html", RenderHtmlReport(report));
  RunShell(std::string(kXmllint) + " --html --noout " + Quote(html) + " 2>&1 | grep -v 'invalid' " +
               "| grep -c 'error' || true",
           &out);
  CHECK(out == "0\n");
}

TEST_CASE("report render: SVG and HTML render in headless Chromium to a non-blank PNG") {
  RequireTool(kChromium, "chromium");
  RequireTool(kPython, "python3");
  TempDir dir;
  const BenchReport report = Example();
  Write(dir, "bench-report.txt", RenderTextReport(report));
  const std::string svg = Write(dir, "bench-curve.svg", RenderSvgPlot(report));
  const nlohmann::json s = RenderAndMeasure(dir, svg, "bench-curve.png");
  CHECK(s["width"] == 1000);
  CHECK(s["height"] == 800);
  CHECK(s["colors"].get<int>() >= 16);  // antialiased text and lines in several colours
  const int pixels = 1000 * 800;
  CHECK(s["non_white"].get<int>() > pixels / 50);  // more than 2% ink
  CHECK(s["non_white"].get<int>() < pixels / 2);   // and not a black or error page
  for (const char* colour : {"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00"}) {
    CAPTURE(colour);
    CHECK(s["near"][colour].get<int>() >= 50);  // every series (and the budget line) is drawn
  }

  const std::string html = Write(dir, "bench-report.html", RenderHtmlReport(report));
  const nlohmann::json h = RenderAndMeasure(dir, html, "bench-report.png");
  CHECK(h["colors"].get<int>() >= 16);
  CHECK(h["non_white"].get<int>() > pixels / 50);
  CHECK(h["near"]["#0072b2"].get<int>() >= 10);  // the recommendation box border at least
}
