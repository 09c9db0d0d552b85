#include "web/LandingPage.h"

#include "common/BuildInfo.h"
#include "common/Duration.h"

#include <cmath>
#include <cstdio>

namespace llmprobe {

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

namespace {

std::string Num(double v, const char* fmt) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string Ms(double seconds) { return Num(seconds * 1e3, "%.1f"); }

void RenderRolling(const RollingTargetSnapshot& t, std::string* h) {
  *h += "<h3>" + HtmlEscape(t.target) + "</h3>\n";
  if (!t.slos.empty()) {
    *h += "<p>SLOs over the rolling window (" + Num(t.window_seconds, "%.0f") + " s per level):";
    for (const SloStatus& s : t.slos) {
      const bool ratio = s.kind == SloKind::kErrorRatio;
      std::string target =
          ratio ? "errors &le; " + Num(s.threshold * 100, "%.2f") + "%"
                : "&le; " + Ms(s.threshold) + " ms for " + Num(s.objective * 100, "%.2f") + "%";
      std::string measured = !s.has_data ? "no data" : Num(s.measured * 100, "%.2f") + "%";
      *h += " <span class=\"" + std::string(s.holds ? "ok" : "bad") + "\">" +
            std::string(SloKindName(s.kind)) + " " + target + ": " + measured + " " +
            (s.holds ? "holds" : "VIOLATED") + "</span>;";
    }
    *h += "</p>\n";
  }
  *h +=
      "<table><tr><th>Level</th><th>Active s</th><th>Requests</th><th>Req/s</th>"
      "<th>Output tok/s</th><th>TTFT p50 / p99 ms</th><th>TPOT p50 / p99 ms</th>"
      "<th>ITL p50 ms</th><th>Latency p50 / p99 ms</th><th>Errors</th></tr>\n";
  for (const RollingLevelSnapshot& l : t.levels) {
    *h += "<tr><td>" + std::string(l.level.LabelName()) + " " + l.level.LabelValue() +
          (l.measuring ? " (now)" : "") + "</td><td>" + Num(l.active_seconds, "%.0f") +
          "</td><td>" + std::to_string(l.requests) + "</td><td>" +
          Num(l.requests_per_second, "%.2f") + "</td><td>" +
          Num(l.output_tokens_per_second, "%.1f") + "</td><td>" + Ms(l.time_to_first_token.p50) +
          " / " + Ms(l.time_to_first_token.p99) + "</td><td>" + Ms(l.time_per_output_token.p50) +
          " / " + Ms(l.time_per_output_token.p99) + "</td><td>" + Ms(l.inter_token_latency.p50) +
          "</td><td>" + Ms(l.request_duration.p50) + " / " + Ms(l.request_duration.p99) +
          "</td><td>" + Num(l.error_ratio * 100, "%.2f") + "%</td></tr>\n";
  }
  *h += "</table>\n";
}

}  // namespace

std::string RenderLandingPage(const std::vector<TargetStatus>& targets,
                              const std::vector<RollingTargetSnapshot>& rolling) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<title>llmprobe</title><style>"
       "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
       "td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}"
       ".ok{color:#1a7f37}.bad{color:#cf222e;font-weight:bold}</style></head><body>\n";
  h += "<h1>llmprobe</h1>\n<p>Version " + HtmlEscape(Version()) + " (" + HtmlEscape(GitRevision()) +
       ")</p>\n";
  h += "<ul><li><a href=\"metrics\">Metrics</a></li><li><a href=\"-/healthy\">Health</a></li>"
       "<li><a href=\"-/ready\">Readiness</a></li>"
       "<li><a href=\"config\">Configuration</a></li></ul>\n";
  h += "<h2>Targets</h2>\n<table><tr><th>Target</th><th>Model</th><th>API</th>"
       "<th>Stage</th><th>Phase</th><th>In flight</th><th>Requests</th>"
       "<th>Last outcome</th></tr>\n";
  for (const TargetStatus& t : targets) {
    std::string phase = t.idle               ? "idle"
                        : !t.running         ? "stopped"
                        : t.budget_exhausted ? "budget exhausted"
                        : t.draining         ? "draining"
                        : t.in_warmup        ? "warm-up"
                                             : "measuring";
    h += "<tr><td>" + HtmlEscape(t.name) + "</td><td>" + HtmlEscape(t.model) + "</td><td>" +
         HtmlEscape(t.api) + "</td><td>" +
         (t.running ? std::string(t.level.LabelName()) + " " + t.level.LabelValue() : "-") +
         "</td><td>" + phase + " (" +
         FormatDuration(t.stage_elapsed_ns / kNanosPerMilli * kNanosPerMilli) + ")</td><td>" +
         std::to_string(t.inflight) + "</td><td>" + std::to_string(t.requests_done) + "</td><td>" +
         HtmlEscape(t.last_outcome) + "</td></tr>\n";
  }
  h += "</table>\n";
  if (!rolling.empty()) {
    h += "<h2>Throughput-latency curve (rolling windows)</h2>\n";
    for (const RollingTargetSnapshot& t : rolling) RenderRolling(t, &h);
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace llmprobe
