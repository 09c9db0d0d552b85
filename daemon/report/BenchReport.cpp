#include "report/BenchReport.h"

#include <algorithm>
#include <ctime>
#include <utility>

#include "common/BuildInfo.h"
#include "common/Duration.h"
#include "report/ReportFormat.h"

namespace llmprobe {
namespace {

BudgetCheck Check(std::string metric, std::optional<double> value, double limit) {
  BudgetCheck c;
  c.metric = std::move(metric);
  c.value = value;
  c.limit = limit;
  c.met = value.has_value() && *value <= limit;
  if (value && limit > 0) c.ratio = *value / limit;
  return c;
}

std::optional<double> P50(const Quantiles& q) {
  return q.count > 0 ? std::optional<double>(q.p50_seconds) : std::nullopt;
}
std::optional<double> P99(const Quantiles& q) {
  return q.count > 0 ? std::optional<double>(q.p99_seconds) : std::nullopt;
}

// The worst missed check: a missing value first, then the largest ratio.
std::optional<BudgetCheck> WorstMiss(const LevelVerdict& v) {
  std::optional<BudgetCheck> worst;
  for (const BudgetCheck& c : v.checks) {
    if (c.met) continue;
    if (!worst) {
      worst = c;
    } else if (worst->value && !c.value) {
      worst = c;
    } else if (worst->value && c.value && c.ratio.value_or(0) > worst->ratio.value_or(0)) {
      worst = c;
    }
  }
  return worst;
}

// "latency p99 2.70 s > 2 s (1.35x)", or "no successful requests" when there is no value.
std::string DescribeMiss(const BudgetCheck& c) {
  if (!c.value) return "no successful requests to measure " + c.metric;
  std::string name = c.metric;
  std::replace(name.begin(), name.end(), '_', ' ');
  if (c.metric == "error_ratio") {
    return name + " " + FormatFixed(*c.value * 100, 1) + "% > " + FormatFixed(c.limit * 100, 1) +
           "%";
  }
  std::string text =
      name + " " + FormatSecondsHuman(*c.value) + " > " + FormatSecondsHuman(c.limit);
  if (c.ratio) text += " (" + FormatFixed(*c.ratio, 2) + "x the limit)";
  return text;
}

std::string Throughput(const LevelReport& l) {
  return FormatFixed(l.output_tokens_per_second, 1) + " output tokens/s";
}

Recommendation Recommend(const Budget& budget, const std::vector<LevelReport>& levels) {
  Recommendation rec;
  for (size_t i = 0; i < levels.size(); ++i) {
    if (!rec.peak ||
        levels[i].output_tokens_per_second > levels[*rec.peak].output_tokens_per_second) {
      rec.peak = i;
    }
  }
  rec.budget_given = budget.any();
  if (!rec.budget_given) {
    if (rec.peak) {
      rec.summary = "Peak throughput: " + LevelPhrase(levels[*rec.peak].level) + " with " +
                    Throughput(levels[*rec.peak]) + " (no latency budget given).";
    }
    return rec;
  }
  for (const LevelReport& l : levels) rec.verdicts.push_back(CheckBudget(budget, l));
  for (size_t i = 0; i < levels.size(); ++i) {
    if (!rec.verdicts[i].meets) continue;
    if (!rec.recommended ||
        levels[i].output_tokens_per_second > levels[*rec.recommended].output_tokens_per_second) {
      rec.recommended = i;
    }
  }
  if (levels.empty()) {
    rec.summary = "No level was measured.";
    return rec;
  }
  if (!rec.recommended) {
    rec.compared = 0;
    rec.miss = WorstMiss(rec.verdicts[0]);
    rec.summary = "No level meets the budget; the lowest, " + LevelPhrase(levels[0].level) +
                  ", misses it: " + (rec.miss ? DescribeMiss(*rec.miss) : "?") + ".";
    return rec;
  }
  const size_t r = *rec.recommended;
  rec.summary = "Recommended: " + LevelPhrase(levels[r].level) + " with " + Throughput(levels[r]) +
                " within the budget.";
  if (r + 1 >= levels.size()) {
    rec.summary += " It is the highest level run; higher levels were not tried.";
    return rec;
  }
  rec.compared = r + 1;
  const LevelReport& next = levels[r + 1];
  rec.miss = WorstMiss(rec.verdicts[r + 1]);
  if (rec.miss) {
    rec.summary += " The next level, " + LevelPhrase(next.level) +
                   ", misses it: " + DescribeMiss(*rec.miss) + ".";
  } else {
    rec.summary += " The next level, " + LevelPhrase(next.level) +
                   ", meets it too but delivers less (" + Throughput(next) + ").";
  }
  return rec;
}

std::string Join(const std::vector<std::string>& parts, const char* sep, const char* empty) {
  if (parts.empty()) return empty;
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

}  // namespace

bool Budget::any() const {
  return latency_p50_ns || latency_p99_ns || ttft_p50_ns || ttft_p99_ns || tpot_p50_ns ||
         tpot_p99_ns || max_error_ratio;
}

Budget Budget::FromLatencyBudget(int64_t latency_ns) {
  Budget b;
  b.latency_p99_ns = latency_ns;
  return b;
}

Budget Budget::FromSlo(const SloConfig& slo) {
  Budget b;
  if (slo.time_to_first_token_ns > 0) b.ttft_p99_ns = slo.time_to_first_token_ns;
  if (slo.time_per_output_token_ns > 0) b.tpot_p99_ns = slo.time_per_output_token_ns;
  if (slo.request_duration_ns > 0) b.latency_p99_ns = slo.request_duration_ns;
  if (slo.error_ratio >= 0) b.max_error_ratio = slo.error_ratio;
  return b;
}

BenchConfig BenchConfigFromTarget(const TargetConfig& target) {
  BenchConfig c;
  c.target = target.name;
  c.model = target.model;
  c.api = ApiKindName(target.api);
  c.url = RedactUrlUserinfo(target.url);
  c.mode = target.load.mode;
  if (c.mode == LoadMode::kRate) {
    for (double r : target.load.rate) c.levels.push_back(LevelId::Rate(r));
  } else {
    for (int n : target.load.concurrency) c.levels.push_back(LevelId::Concurrency(n));
  }
  c.duration_per_level_ns = target.load.stage_duration_ns;
  c.warmup_ns = target.load.warmup_ns;
  c.prompt_tokens = target.workload.prompt_tokens;
  c.max_tokens = target.workload.max_tokens;
  c.slo = target.slo;
  return c;
}

LevelVerdict CheckBudget(const Budget& budget, const LevelReport& l) {
  LevelVerdict v;
  auto secs = [](int64_t ns) { return NanosToSeconds(ns); };
  if (budget.latency_p50_ns)
    v.checks.push_back(Check("latency_p50", P50(l.latency), secs(*budget.latency_p50_ns)));
  if (budget.latency_p99_ns)
    v.checks.push_back(Check("latency_p99", P99(l.latency), secs(*budget.latency_p99_ns)));
  if (budget.ttft_p50_ns)
    v.checks.push_back(Check("ttft_p50", P50(l.ttft), secs(*budget.ttft_p50_ns)));
  if (budget.ttft_p99_ns)
    v.checks.push_back(Check("ttft_p99", P99(l.ttft), secs(*budget.ttft_p99_ns)));
  if (budget.tpot_p50_ns)
    v.checks.push_back(Check("tpot_p50", P50(l.tpot), secs(*budget.tpot_p50_ns)));
  if (budget.tpot_p99_ns)
    v.checks.push_back(Check("tpot_p99", P99(l.tpot), secs(*budget.tpot_p99_ns)));
  if (budget.max_error_ratio) {
    std::optional<double> ratio;
    if (l.requests > 0) ratio = static_cast<double>(l.errors) / static_cast<double>(l.requests);
    v.checks.push_back(Check("error_ratio", ratio, *budget.max_error_ratio));
  }
  // A level without a single successful request has no latency to hold against the budget.
  v.meets = l.successes > 0;
  for (const BudgetCheck& c : v.checks) v.meets = v.meets && c.met;
  return v;
}

BenchReport MakeBenchReport(BenchConfig config, std::vector<LevelReport> levels,
                            std::chrono::system_clock::time_point start_time) {
  BenchReport rep;
  rep.version = std::string(Version());
  rep.revision = std::string(GitRevision());
  rep.start_time_utc = FormatUtcIso8601(start_time);
  config.url = RedactUrlUserinfo(config.url);
  rep.config = std::move(config);
  std::stable_sort(levels.begin(), levels.end(),
                   [](const LevelReport& a, const LevelReport& b) { return a.level < b.level; });
  rep.levels = std::move(levels);
  rep.recommendation = Recommend(rep.config.budget, rep.levels);
  return rep;
}

int BenchExitStatus(const BenchReport& report) {
  const Recommendation& r = report.recommendation;
  return r.budget_given && !r.recommended ? kBenchExitBudgetMissed : kBenchExitOk;
}

std::string FormatUtcIso8601(std::chrono::system_clock::time_point t) {
  const std::time_t secs =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

std::string DescribeBudget(const Budget& b) {
  std::vector<std::string> parts;
  auto add = [&](const char* name, const std::optional<int64_t>& ns) {
    if (ns) parts.push_back(std::string(name) + " <= " + FormatDuration(*ns));
  };
  add("latency p50", b.latency_p50_ns);
  add("latency p99", b.latency_p99_ns);
  add("ttft p50", b.ttft_p50_ns);
  add("ttft p99", b.ttft_p99_ns);
  add("tpot p50", b.tpot_p50_ns);
  add("tpot p99", b.tpot_p99_ns);
  if (b.max_error_ratio) {
    parts.push_back("error ratio <= " + FormatExact(*b.max_error_ratio * 100) + "%");
  }
  return Join(parts, ", ", "none");
}

std::string DescribeSlo(const SloConfig& slo) {
  std::vector<std::string> parts;
  if (slo.time_to_first_token_ns > 0) {
    parts.push_back("ttft <= " + FormatDuration(slo.time_to_first_token_ns));
  }
  if (slo.time_per_output_token_ns > 0) {
    parts.push_back("tpot <= " + FormatDuration(slo.time_per_output_token_ns));
  }
  if (slo.request_duration_ns > 0) {
    parts.push_back("latency <= " + FormatDuration(slo.request_duration_ns));
  }
  return Join(parts, ", ", "none");
}

std::string DescribeRun(const BenchConfig& c) {
  std::vector<std::string> values;
  for (const LevelId& l : c.levels) values.push_back(LevelValue(l));
  std::string text =
      std::string(c.mode == LoadMode::kRate ? "rate levels (req/s) " : "concurrency levels ") +
      Join(values, ", ", "none") + "; ";
  if (c.requests_per_level > 0) {
    text += std::to_string(c.requests_per_level) + " requests per level";
  } else {
    text += FormatDuration(c.duration_per_level_ns) + " per level";
  }
  text += c.warmup_ns > 0 ? " after " + FormatDuration(c.warmup_ns) + " warm-up" : ", no warm-up";
  if (c.prompt_tokens > 0 || c.max_tokens > 0) {
    text += "; ~" + std::to_string(c.prompt_tokens) + " prompt tokens, max " +
            std::to_string(c.max_tokens) + " output tokens";
  }
  return text;
}

std::string RedactUrlUserinfo(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t host = scheme + 3;
  const size_t authority_end = url.find_first_of("/?#", host);
  const size_t at = url.rfind('@', authority_end == std::string::npos ? url.size() : authority_end);
  if (at == std::string::npos || at < host) return url;
  return url.substr(0, host) + url.substr(at + 1);
}

}  // namespace llmprobe
