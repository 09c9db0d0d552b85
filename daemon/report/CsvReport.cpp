#include "report/CsvReport.h"

#include <functional>
#include <utility>
#include <vector>

#include "report/ReportFormat.h"

namespace llmprobe {
namespace {

std::string Num(double v) { return FormatExact(v) == "null" ? "" : FormatExact(v); }

std::string Q(const Quantiles& q, double Quantiles::*field) {
  return q.count > 0 ? Num(q.*field) : "";
}

std::string Bool(bool b) { return b ? "true" : "false"; }

struct Column {
  const char* name;
  std::function<std::string(const BenchReport&, size_t)> value;
};

const LevelReport& L(const BenchReport& r, size_t i) { return r.levels[i]; }

std::vector<Column> Columns() {
  using R = const BenchReport&;
  return {
      {"target", [](R r, size_t) { return r.config.target; }},
      {"model", [](R r, size_t) { return r.config.model; }},
      {"mode", [](R r, size_t i) { return std::string(L(r, i).level.LabelName()); }},
      {"level", [](R r, size_t i) { return LevelValue(L(r, i).level); }},
      {"requests", [](R r, size_t i) { return std::to_string(L(r, i).requests); }},
      {"successes", [](R r, size_t i) { return std::to_string(L(r, i).successes); }},
      {"errors", [](R r, size_t i) { return std::to_string(L(r, i).errors); }},
      {"errors_by_outcome",
       [](R r, size_t i) {
         std::string s;
         for (const auto& [name, n] : L(r, i).errors_by_outcome) {
           s += (s.empty() ? "" : ", ") + name + "=" + std::to_string(n);
         }
         return s;
       }},
      {"warmup_requests", [](R r, size_t i) { return std::to_string(L(r, i).warmup_requests); }},
      {"ttft_p50_seconds", [](R r, size_t i) { return Q(L(r, i).ttft, &Quantiles::p50_seconds); }},
      {"ttft_p90_seconds", [](R r, size_t i) { return Q(L(r, i).ttft, &Quantiles::p90_seconds); }},
      {"ttft_p99_seconds", [](R r, size_t i) { return Q(L(r, i).ttft, &Quantiles::p99_seconds); }},
      {"tpot_p50_seconds", [](R r, size_t i) { return Q(L(r, i).tpot, &Quantiles::p50_seconds); }},
      {"tpot_p90_seconds", [](R r, size_t i) { return Q(L(r, i).tpot, &Quantiles::p90_seconds); }},
      {"tpot_p99_seconds", [](R r, size_t i) { return Q(L(r, i).tpot, &Quantiles::p99_seconds); }},
      {"itl_p50_seconds", [](R r, size_t i) { return Q(L(r, i).itl, &Quantiles::p50_seconds); }},
      {"itl_p99_seconds", [](R r, size_t i) { return Q(L(r, i).itl, &Quantiles::p99_seconds); }},
      {"latency_p50_seconds",
       [](R r, size_t i) { return Q(L(r, i).latency, &Quantiles::p50_seconds); }},
      {"latency_p90_seconds",
       [](R r, size_t i) { return Q(L(r, i).latency, &Quantiles::p90_seconds); }},
      {"latency_p99_seconds",
       [](R r, size_t i) { return Q(L(r, i).latency, &Quantiles::p99_seconds); }},
      {"latency_p50_ci_lower_seconds",
       [](R r, size_t i) {
         const MedianInterval& ci = L(r, i).latency_p50_ci;
         return ci.valid ? Num(ci.lower_seconds) : "";
       }},
      {"latency_p50_ci_upper_seconds",
       [](R r, size_t i) {
         const MedianInterval& ci = L(r, i).latency_p50_ci;
         return ci.valid ? Num(ci.upper_seconds) : "";
       }},
      {"ttfc_p50_seconds", [](R r, size_t i) { return Q(L(r, i).ttfc, &Quantiles::p50_seconds); }},
      {"output_tokens_per_second",
       [](R r, size_t i) { return Num(L(r, i).output_tokens_per_second); }},
      {"requests_per_second", [](R r, size_t i) { return Num(L(r, i).requests_per_second); }},
      {"goodput", [](R r, size_t i) { return Num(L(r, i).goodput); }},
      {"input_tokens_mean", [](R r, size_t i) { return Num(L(r, i).input_tokens_mean); }},
      {"output_tokens_mean", [](R r, size_t i) { return Num(L(r, i).output_tokens_mean); }},
      {"measured_seconds", [](R r, size_t i) { return Num(L(r, i).measured_seconds); }},
      {"stable", [](R r, size_t i) { return Bool(L(r, i).stability.stable); }},
      {"too_few_for_p99", [](R r, size_t i) { return Bool(L(r, i).too_few_for_p99); }},
      {"meets_budget",
       [](R r, size_t i) {
         const auto& v = r.recommendation.verdicts;
         return i < v.size() ? Bool(v[i].meets) : std::string();
       }},
      {"recommended",
       [](R r, size_t i) {
         return Bool(r.recommendation.recommended && *r.recommendation.recommended == i);
       }},
  };
}

}  // namespace

std::string CsvField(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string RenderCsvReport(const BenchReport& report) {
  const std::vector<Column> columns = Columns();
  std::string out;
  for (size_t j = 0; j < columns.size(); ++j) out += (j ? "," : "") + CsvField(columns[j].name);
  out += "\r\n";
  for (size_t i = 0; i < report.levels.size(); ++i) {
    for (size_t j = 0; j < columns.size(); ++j) {
      out += (j ? "," : "") + CsvField(columns[j].value(report, i));
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace llmprobe
