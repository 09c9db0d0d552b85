#include "web/LandingPage.h"

#include "common/BuildInfo.h"
#include "common/Duration.h"

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

std::string RenderLandingPage(const std::vector<TargetStatus>& targets) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<title>llmprobe</title><style>"
       "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
       "td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}</style></head><body>\n";
  h += "<h1>llmprobe</h1>\n<p>Version " + HtmlEscape(Version()) + " (" +
       HtmlEscape(GitRevision()) + ")</p>\n";
  h += "<ul><li><a href=\"metrics\">Metrics</a></li><li><a href=\"-/healthy\">Health</a></li>"
       "<li><a href=\"-/ready\">Readiness</a></li></ul>\n";
  h += "<h2>Targets</h2>\n<table><tr><th>Target</th><th>Model</th><th>API</th>"
       "<th>Stage</th><th>Phase</th><th>In flight</th><th>Requests</th>"
       "<th>Last outcome</th></tr>\n";
  for (const TargetStatus& t : targets) {
    std::string phase = t.idle                ? "idle"
                        : !t.running           ? "stopped"
                        : t.budget_exhausted   ? "budget exhausted"
                        : t.draining           ? "draining"
                        : t.in_warmup          ? "warm-up"
                                               : "measuring";
    h += "<tr><td>" + HtmlEscape(t.name) + "</td><td>" + HtmlEscape(t.model) + "</td><td>" +
         HtmlEscape(t.api) + "</td><td>" + (t.running ? std::string(t.level.LabelName()) + " " + t.level.LabelValue() : "-") + "</td><td>" +
         phase + " (" + FormatDuration(t.stage_elapsed_ns / kNanosPerMilli * kNanosPerMilli) +
         ")</td><td>" + std::to_string(t.inflight) + "</td><td>" +
         std::to_string(t.requests_done) + "</td><td>" + HtmlEscape(t.last_outcome) +
         "</td></tr>\n";
  }
  h += "</table>\n</body></html>\n";
  return h;
}

}  // namespace llmprobe
