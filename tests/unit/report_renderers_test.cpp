#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "report/CsvReport.h"
#include "report/HtmlReport.h"
#include "report/JsonReport.h"
#include "report/ReportFormat.h"
#include "report/SvgPlot.h"
#include "report/TextTable.h"
#include "unit/report_schedule.h"

using namespace llmprobe;
using llmprobe::testing::SweepConfig;
using llmprobe::testing::SweepReports;

namespace {

BenchReport Sweep(const Budget& budget = Budget::FromLatencyBudget(2 * kNanosPerSecond)) {
  BenchConfig c = SweepConfig(budget);
  return MakeBenchReport(c, SweepReports(), std::chrono::system_clock::time_point{});
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// RFC 4180 records; throws on a malformed quote.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    std::string& field = rows.back().back();
    if (c == '"' && field.empty()) {
      ++i;
      for (;;) {
        if (i >= text.size()) throw std::runtime_error("unterminated quote");
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += text[i++];
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\r') {
        throw std::runtime_error("text after closing quote");
      }
    } else if (c == ',') {
      rows.back().emplace_back();
      ++i;
    } else if (c == '\r') {
      if (i + 1 >= text.size() || text[i + 1] != '\n') throw std::runtime_error("bare CR");
      i += 2;
      if (i < text.size()) rows.emplace_back(1);
    } else if (c == '"' || c == '\n') {
      throw std::runtime_error("quote or LF inside an unquoted field");
    } else {
      field += c;
      ++i;
    }
  }
  return rows;
}

}  // namespace

TEST_CASE("report format: milliseconds with sensible precision") {
  CHECK(FormatMillis(0.000123) == "0.123");
  CHECK(FormatMillis(0.00123) == "1.23");
  CHECK(FormatMillis(0.0123) == "12.3");
  CHECK(FormatMillis(0.1) == "100");
  CHECK(FormatMillis(1.85) == "1850");
  CHECK(FormatMillis(0.0999) == "99.9");
  CHECK(FormatSecondsHuman(0.85) == "850 ms");
  CHECK(FormatSecondsHuman(2.09) == "2.09 s");
  CHECK(FormatFixed(-0.0001, 2) == "0.00");
  CHECK(FormatExact(0.1) == "0.1");
  CHECK(XmlEscape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;");
}

TEST_CASE("report text table: one aligned row per level, units in the headers, flags") {
  const BenchReport r = Sweep();
  const std::string text = RenderTextTable(r);
  const std::vector<std::string> lines = Lines(text);
  REQUIRE(lines.size() >= 7);
  for (const char* group :
       {"requests", "TTFT (ms)", "TPOT (ms)", "ITL (ms)", "latency (ms)", "output", "goodput"}) {
    CHECK(lines[0].find(group) != std::string::npos);
  }
  for (const char* name :
       {"conc", "total", "errors", "p50", "p90", "p99", "tok/s", "req/s", "%", "flags"}) {
    CHECK(lines[1].find(name) != std::string::npos);
  }
  // Every value column ends where its header ends: rows share the header's layout up to flags.
  const size_t flags_at = lines[1].find("flags");
  for (size_t i = 1; i < 7; ++i) {
    CAPTURE(lines[i]);
    REQUIRE(lines[i].size() >= flags_at - 2);
    CHECK(lines[i][flags_at - 3] != ' ');
    if (lines[i].size() == flags_at - 2) continue;  // no flags: trailing spaces stripped
    REQUIRE(lines[i].size() > flags_at);
    CHECK(lines[i].substr(flags_at - 2, 2) == "  ");
    CHECK(lines[i][flags_at] != ' ');
  }
  // c = 8: TTFT 200 ms, TPOT 30.0 ms, latency 2090 ms, over the 2 s budget.
  const std::string& c8 = lines[5];
  CHECK(c8.rfind("   8", 0) == 0);
  CHECK(c8.find("  200  ") != std::string::npos);
  CHECK(c8.find("  30.0  ") != std::string::npos);
  CHECK(c8.find("  2090  ") != std::string::npos);
  CHECK(c8.find("over") != std::string::npos);
  CHECK(lines[4].find("best") != std::string::npos);     // c = 4
  CHECK(lines[2].find("few-p99") != std::string::npos);  // c = 1: 82 requests
  CHECK(lines[6].find("few-p99") == std::string::npos);  // c = 16: 680 requests
  CHECK(text.find("few-p99: fewer than 100 successful requests") != std::string::npos);
  CHECK(text.find("best: recommended") != std::string::npos);
  for (const std::string& l : lines) CHECK((l.empty() || l.back() != ' '));

  const std::string full = RenderTextReport(r);
  CHECK(full.find("target demo, model mock-model, api openai-chat") != std::string::npos);
  CHECK(full.find("budget: latency p99 <= 2s") != std::string::npos);
  CHECK(full.find("Recommended: concurrency 4") != std::string::npos);
}

TEST_CASE("report csv: RFC 4180, header row, one row per level") {
  BenchConfig c = SweepConfig(Budget::FromLatencyBudget(2 * kNanosPerSecond));
  c.target = "a \"quoted\", target";
  std::vector<LevelReport> levels = SweepReports();
  levels[1].errors_by_outcome = {{"http_server_error", 2}, {"read_error", 1}};
  const BenchReport r = MakeBenchReport(c, levels, std::chrono::system_clock::time_point{});
  const std::string csv = RenderCsvReport(r);
  CHECK(csv.find("\r\n") != std::string::npos);
  const auto rows = ParseCsv(csv);
  REQUIRE(rows.size() == 6);
  const std::vector<std::string>& header = rows[0];
  for (const auto& row : rows) CHECK(row.size() == header.size());
  auto col = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    REQUIRE(it != header.end());
    return static_cast<size_t>(it - header.begin());
  };
  CHECK(rows[1][col("target")] == "a \"quoted\", target");
  CHECK(rows[2][col("errors_by_outcome")] == "http_server_error=2, read_error=1");
  CHECK(rows[4][col("level")] == "8");
  CHECK(rows[4][col("mode")] == "concurrency");
  CHECK(std::stod(rows[4][col("ttft_p50_seconds")]) == doctest::Approx(0.2));
  CHECK(std::stod(rows[4][col("latency_p99_seconds")]) == doctest::Approx(2.09));
  CHECK(rows[3][col("recommended")] == "true");
  CHECK(rows[4][col("meets_budget")] == "false");
  CHECK(CsvField("plain") == "plain");
  CHECK(CsvField("a,b") == "\"a,b\"");
  CHECK(CsvField("line\nbreak") == "\"line\nbreak\"");
  CHECK(CsvField("say \"hi\"") == "\"say \"\"hi\"\"\"");
}

TEST_CASE("report json: full per-level stats, config, version, start time") {
  std::vector<LevelReport> levels = SweepReports();
  LevelReport empty;
  empty.level = LevelId::Concurrency(32);
  levels.push_back(empty);
  const BenchReport r = MakeBenchReport(SweepConfig(Budget::FromLatencyBudget(2 * kNanosPerSecond)),
                                        levels, std::chrono::system_clock::time_point{});
  const nlohmann::json j = nlohmann::json::parse(RenderJsonReport(r));
  CHECK(j["schema_version"] == kBenchReportSchemaVersion);
  CHECK(j["tool"]["name"] == "llmprobe");
  CHECK(j["start_time"] == "1970-01-01T00:00:00Z");
  CHECK(j["config"]["levels"].size() == 5);
  CHECK(j["config"]["budget"]["latency_p99_seconds"] == 2.0);
  CHECK(j["config"]["budget"]["ttft_p99_seconds"].is_null());
  CHECK(j["config"]["duration_per_level_seconds"] == 120.0);
  CHECK(j["config"]["requests_per_level"].is_null());
  CHECK_FALSE(j["config"].contains("headers"));
  REQUIRE(j["levels"].size() == 6);
  const auto& c8 = j["levels"][3];
  CHECK(c8["level"]["concurrency"] == 8);
  CHECK(c8["ttft_seconds"]["p50"].get<double>() == doctest::Approx(0.2));
  CHECK(c8["tpot_seconds"]["p99"].get<double>() == doctest::Approx(0.03));
  CHECK(c8["latency_p50_ci"]["lower_rank"].get<int>() >= 1);
  CHECK(c8["budget"]["meets"] == false);
  CHECK(c8["budget"]["checks"][0]["metric"] == "latency_p99");
  CHECK(j["levels"][5]["ttft_seconds"]["p50"].is_null());
  CHECK(j["levels"][5]["latency_p50_ci"].is_null());
  CHECK(j["recommendation"]["recommended_level"]["concurrency"] == 4);
  CHECK(j["recommendation"]["miss"]["ratio"].get<double>() == doctest::Approx(1.045));
  CHECK(j["recommendation"]["exit_status"] == 0);
}

TEST_CASE("report svg: nice ticks") {
  CHECK(NiceTicks(1234) == std::vector<double>{0, 250, 500, 750, 1000, 1250});
  CHECK(NiceTicks(7) == std::vector<double>{0, 2, 4, 6, 8});
  CHECK(NiceTicks(100) == std::vector<double>{0, 20, 40, 60, 80, 100});
  const std::vector<double> unit = NiceTicks(0);  // nothing to show: 0..1
  REQUIRE(unit.size() == 6);
  CHECK(unit[3] == doctest::Approx(0.6));
  CHECK(unit.back() == doctest::Approx(1.0));
  CHECK(NiceTicks(2.82).back() == doctest::Approx(3.0));
}

TEST_CASE("report svg: self-contained, escaped, two panels, labelled points") {
  BenchConfig c = SweepConfig(Budget::FromLatencyBudget(2 * kNanosPerSecond));
  c.target = "<b>&\"x\"</b>";
  const BenchReport r = MakeBenchReport(c, SweepReports(), std::chrono::system_clock::time_point{});
  const std::string svg = RenderSvgPlot(r);
  CHECK(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 0) == 0);
  CHECK(svg.find("<b>") == std::string::npos);
  CHECK(svg.find("&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;") != std::string::npos);
  for (const char* banned :
       {"<script", "href", "@import", "url(", "@font-face", "<image", "<foreignObject",
        "on"
        "load="}) {
    CHECK(svg.find(banned) == std::string::npos);
  }
  CHECK(svg.find("font-family=\"sans-serif\"") != std::string::npos);
  size_t fonts = 0;
  for (size_t p = svg.find("font-family"); p != std::string::npos;
       p = svg.find("font-family", p + 1)) {
    ++fonts;
  }
  CHECK(fonts == 1);
  CHECK(svg.find("id=\"throughput-latency\"") != std::string::npos);
  CHECK(svg.find("id=\"ttft-tpot-by-level\"") != std::string::npos);
  for (const char* label : {">c=1<", ">c=2<", ">c=4<", ">c=8<", ">c=16<"}) {
    CHECK(svg.find(label) != std::string::npos);
  }
  CHECK(svg.find("output tokens/s") != std::string::npos);
  CHECK(svg.find("latency (s)") != std::string::npos);  // p99 up to 2.82 s
  CHECK(svg.find("TTFT p50 (ms)") != std::string::npos);
  CHECK(svg.find("TPOT p50 (ms)") != std::string::npos);
  CHECK(svg.find("log2 scale") != std::string::npos);  // 1..16 are powers of two
  CHECK(svg.find("p99 latency budget") != std::string::npos);
  CHECK(svg.find("recommended level") != std::string::npos);

  // Levels that are not powers of two get a linear axis.
  std::vector<LevelReport> odd = SweepReports();
  odd[1].level = LevelId::Concurrency(3);
  const std::string linear =
      RenderSvgPlot(MakeBenchReport(SweepConfig(), odd, std::chrono::system_clock::time_point{}));
  CHECK(linear.find("log2 scale") == std::string::npos);
  CHECK(linear.find(">c=3<") != std::string::npos);

  // No levels at all still gives a valid document.
  const std::string none =
      RenderSvgPlot(MakeBenchReport(SweepConfig(), {}, std::chrono::system_clock::time_point{}));
  CHECK(none.find("no successful requests") != std::string::npos);
  CHECK(none.find("nan") == std::string::npos);
  CHECK(none.find("inf") == std::string::npos);
}

TEST_CASE("report html: one self-contained file with table, chart, recommendation, config") {
  BenchConfig c = SweepConfig(Budget::FromLatencyBudget(2 * kNanosPerSecond));
  c.model = "m<1>";
  const BenchReport r = MakeBenchReport(c, SweepReports(), std::chrono::system_clock::time_point{});
  const std::string html = RenderHtmlReport(r);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<table>") != std::string::npos);
  CHECK(html.find("<svg xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
  CHECK(html.find("<?xml") == std::string::npos);
  CHECK(html.find("Recommended: concurrency 4") != std::string::npos);
  CHECK(html.find("<tr class=\"best\">") != std::string::npos);
  CHECK(html.find("m&lt;1&gt;") != std::string::npos);
  CHECK(html.find("m<1>") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("latency p99 &lt;= 2s") != std::string::npos);
}
