#include "report/TextTable.h"

#include <algorithm>

namespace llmprobe {
namespace {

constexpr size_t kGap = 2;  // spaces between columns

std::string Pad(const std::string& s, size_t width, bool right) {
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

std::string Center(const std::string& s, size_t width) {
  if (s.size() >= width) return s;
  const size_t left = (width - s.size()) / 2;
  return std::string(left, ' ') + s + std::string(width - s.size() - left, ' ');
}

void RStrip(std::string& line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
}

// [first, last) column index spans of equal, non-empty group names.
struct Span {
  size_t first, last;
};
std::vector<Span> GroupSpans(const ReportTable& t) {
  std::vector<Span> spans;
  for (size_t j = 0; j < t.columns.size();) {
    size_t k = j + 1;
    while (k < t.columns.size() && !t.columns[j].group.empty() &&
           t.columns[k].group == t.columns[j].group) {
      ++k;
    }
    spans.push_back({j, k});
    j = k;
  }
  return spans;
}

}  // namespace

std::string RenderTextTable(const ReportTable& t) {
  const size_t n = t.columns.size();
  std::vector<size_t> width(n, 0);
  for (size_t j = 0; j < n; ++j) {
    width[j] = t.columns[j].name.size();
    for (const auto& row : t.rows)
      width[j] = std::max(width[j], j < row.size() ? row[j].size() : 0);
  }
  const std::vector<Span> spans = GroupSpans(t);
  // A group label wider than its columns widens the last column of its span.
  for (const Span& s : spans) {
    size_t span_width = (s.last - s.first - 1) * kGap;
    for (size_t j = s.first; j < s.last; ++j) span_width += width[j];
    const size_t label = t.columns[s.first].group.size();
    if (label > span_width) width[s.last - 1] += label - span_width;
  }

  std::string out;
  std::string line;
  for (const Span& s : spans) {
    size_t span_width = (s.last - s.first - 1) * kGap;
    for (size_t j = s.first; j < s.last; ++j) span_width += width[j];
    if (!line.empty()) line += std::string(kGap, ' ');
    line += Center(t.columns[s.first].group, span_width);
  }
  RStrip(line);
  out += line + "\n";

  auto emit = [&](auto cell) {
    line.clear();
    for (size_t j = 0; j < n; ++j) {
      if (j) line += std::string(kGap, ' ');
      line += Pad(cell(j), width[j], t.columns[j].numeric);
    }
    RStrip(line);
    out += line + "\n";
  };
  emit([&](size_t j) { return t.columns[j].name; });
  for (const auto& row : t.rows) {
    emit([&](size_t j) { return j < row.size() ? row[j] : std::string(); });
  }
  for (const std::string& l : t.legend) out += "  " + l + "\n";
  return out;
}

std::string RenderTextTable(const BenchReport& report) {
  return RenderTextTable(BuildReportTable(report));
}

std::string RenderTextReport(const BenchReport& report) {
  const BenchConfig& c = report.config;
  std::string out;
  out += "llmprobe " + report.version + " (" + report.revision + ") bench, started " +
         report.start_time_utc + "\n";
  out += "target " + c.target + ", model " + c.model + ", api " + c.api + ", " + c.url + "\n";
  out += DescribeRun(c) + "\n";
  out += "goodput SLO: " + DescribeSlo(c.slo) + "; budget: " + DescribeBudget(c.budget) + "\n\n";
  out += RenderTextTable(report);
  if (!report.recommendation.summary.empty()) {
    out += "\n" + report.recommendation.summary + "\n";
  }
  return out;
}

}  // namespace llmprobe
