#include "report/ReportTable.h"

#include <set>

#include "report/ReportFormat.h"

namespace llmprobe {
namespace {

std::string Ms(const Quantiles& q, double Quantiles::*field) {
  return q.count > 0 ? FormatMillis(q.*field) : "-";
}

}  // namespace

ReportTable BuildReportTable(const BenchReport& report) {
  ReportTable t;
  const bool rate = report.config.mode == LoadMode::kRate;
  const std::string ttft = "TTFT (ms)", tpot = "TPOT (ms)", itl = "ITL (ms)",
                    latency = "latency (ms)", requests = "requests";
  t.columns = {
      {"", rate ? "rate/s" : "conc", true},
      {requests, "total", true},
      {requests, "errors", true},
      {ttft, "p50", true},
      {ttft, "p90", true},
      {ttft, "p99", true},
      {tpot, "p50", true},
      {tpot, "p90", true},
      {tpot, "p99", true},
      {itl, "p50", true},
      {itl, "p99", true},
      {latency, "p50", true},
      {latency, "p99", true},
      {"output", "tok/s", true},
      {"", "req/s", true},
      {"goodput", "%", true},
      {"", "flags", false},
  };

  const Recommendation& rec = report.recommendation;
  std::set<std::string> used;
  for (size_t i = 0; i < report.levels.size(); ++i) {
    const LevelReport& l = report.levels[i];
    std::vector<std::string> flags;
    const bool best = rec.recommended && *rec.recommended == i;
    if (best) flags.push_back(kFlagRecommended);
    if (rec.budget_given && i < rec.verdicts.size() && !rec.verdicts[i].meets) {
      flags.push_back(kFlagOverBudget);
    }
    if (!l.stability.evaluated) {
      flags.push_back(kFlagUnchecked);
    } else if (!l.stability.stable) {
      flags.push_back(kFlagUnstable);
    }
    if (l.too_few_for_p99) flags.push_back(kFlagFewForP99);
    std::string flag_text;
    for (const std::string& f : flags) {
      flag_text += (flag_text.empty() ? "" : ",") + f;
      used.insert(f);
    }
    t.rows.push_back({
        LevelValue(l.level),
        std::to_string(l.requests),
        std::to_string(l.errors),
        Ms(l.ttft, &Quantiles::p50_seconds),
        Ms(l.ttft, &Quantiles::p90_seconds),
        Ms(l.ttft, &Quantiles::p99_seconds),
        Ms(l.tpot, &Quantiles::p50_seconds),
        Ms(l.tpot, &Quantiles::p90_seconds),
        Ms(l.tpot, &Quantiles::p99_seconds),
        Ms(l.itl, &Quantiles::p50_seconds),
        Ms(l.itl, &Quantiles::p99_seconds),
        Ms(l.latency, &Quantiles::p50_seconds),
        Ms(l.latency, &Quantiles::p99_seconds),
        FormatFixed(l.output_tokens_per_second, 1),
        FormatFixed(l.requests_per_second, 2),
        l.requests > 0 ? FormatFixed(l.goodput * 100, 1) : "-",
        flag_text,
    });
    t.recommended.push_back(best);
  }

  if (used.count(kFlagRecommended)) {
    t.legend.push_back(std::string(kFlagRecommended) +
                       ": recommended, the highest output tokens/s within the budget");
  }
  if (used.count(kFlagOverBudget)) {
    t.legend.push_back(std::string(kFlagOverBudget) + ": misses the budget (" +
                       DescribeBudget(report.config.budget) + ")");
  }
  if (used.count(kFlagUnstable)) {
    t.legend.push_back(std::string(kFlagUnstable) +
                       ": TTFT or latency p50 of the first and second half of the level differ "
                       "by more than " +
                       FormatExact(kStabilityTolerance * 100) + "%");
  }
  if (used.count(kFlagUnchecked)) {
    t.legend.push_back(std::string(kFlagUnchecked) + ": fewer than " +
                       std::to_string(kMinRequestsForStability) +
                       " successful requests, stability not judged");
  }
  if (used.count(kFlagFewForP99)) {
    t.legend.push_back(std::string(kFlagFewForP99) + ": fewer than " +
                       std::to_string(kMinRequestsForP99) +
                       " successful requests, p99 is close to the maximum");
  }
  return t;
}

}  // namespace llmprobe
