#include "report/HtmlReport.h"

#include "report/ReportFormat.h"
#include "report/ReportTable.h"
#include "report/SvgPlot.h"

namespace llmprobe {
namespace {

constexpr const char* kStyle = R"(
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1200px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 7px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.best td { background: #fff3d6; font-weight: bold; }
p.rec { font-size: 15px; padding: 8px 12px; background: #f2f6fb; border-left: 4px solid #0072b2; }
p.rec.missed { background: #fbf0ee; border-left-color: #d55e00; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; font-size: 13px; }
dt { font-weight: bold; } dd { margin: 0; }
.legend { font-size: 12px; color: #555; }
)";

std::string E(const std::string& s) { return XmlEscape(s); }

std::string Table(const ReportTable& t) {
  std::string out = "<table>\n<thead>\n<tr>";
  // Group header row: one cell per span of equal group names.
  for (size_t j = 0; j < t.columns.size();) {
    size_t k = j + 1;
    while (k < t.columns.size() && !t.columns[j].group.empty() &&
           t.columns[k].group == t.columns[j].group) {
      ++k;
    }
    out += "<th";
    if (k - j > 1) out += " colspan=\"" + std::to_string(k - j) + "\"";
    out += ">" + E(t.columns[j].group) + "</th>";
    j = k;
  }
  out += "</tr>\n<tr>";
  for (const auto& c : t.columns) out += "<th>" + E(c.name) + "</th>";
  out += "</tr>\n</thead>\n<tbody>\n";
  for (size_t i = 0; i < t.rows.size(); ++i) {
    out += t.recommended[i] ? "<tr class=\"best\">" : "<tr>";
    for (size_t j = 0; j < t.rows[i].size(); ++j) {
      out += t.columns[j].numeric ? "<td class=\"num\">" : "<td>";
      out += E(t.rows[i][j]) + "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  if (!t.legend.empty()) {
    out += "<ul class=\"legend\">\n";
    for (const std::string& l : t.legend) out += "<li>" + E(l) + "</li>\n";
    out += "</ul>\n";
  }
  return out;
}

void Item(std::string& out, const std::string& name, const std::string& value) {
  out += "<dt>" + E(name) + "</dt><dd>" + E(value) + "</dd>\n";
}

}  // namespace

std::string RenderHtmlReport(const BenchReport& r) {
  const BenchConfig& c = r.config;
  const std::string title = "llmprobe bench: " + c.target + " (" + c.model + ")";
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<title>" + E(title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n";
  out += "</head>\n<body>\n";
  out += "<h1>" + E(title) + "</h1>\n";
  out += "<p>Started " + E(r.start_time_utc) + " &middot; llmprobe " + E(r.version) + " (" +
         E(r.revision) + ") &middot; " + E(DescribeRun(c)) + "</p>\n";

  const Recommendation& rec = r.recommendation;
  if (!rec.summary.empty()) {
    const bool missed = rec.budget_given && !rec.recommended;
    out += std::string("<p class=\"rec") + (missed ? " missed" : "") + "\">" + E(rec.summary) +
           "</p>\n";
  }

  out += "<h2>Per level</h2>\n" + Table(BuildReportTable(r));
  out += "<h2>Throughput and latency</h2>\n" + RenderSvgElement(r);

  out += "<h2>Configuration</h2>\n<dl>\n";
  Item(out, "target", c.target);
  Item(out, "model", c.model);
  Item(out, "api", c.api);
  Item(out, "url", c.url);
  Item(out, "load mode",
       c.mode == LoadMode::kRate ? "rate (open loop)" : "concurrency (closed loop)");
  Item(out, "levels and duration", DescribeRun(c));
  Item(out, "goodput SLO (per request)", DescribeSlo(c.slo));
  Item(out, "latency budget", DescribeBudget(c.budget));
  Item(out, "started (UTC)", r.start_time_utc);
  Item(out, "llmprobe", r.version + " (" + r.revision + ")");
  out += "</dl>\n";
  out +=
      "<p class=\"legend\">Times are from the client: TTFT = first token - request start; TPOT "
      "= (last - first token) / (output tokens - 1); ITL per token; latency = last token - "
      "request start; output tokens/s counts tokens arriving in the measured interval across "
      "all concurrent requests. Quantiles are exact (nearest rank).</p>\n";
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace llmprobe
