// The whole `llmprobe bench` run as data: what was run (BenchConfig), one LevelReport per level,
// and the recommendation under a latency budget. The renderers (TextTable, JsonReport,
// CsvReport, SvgPlot, HtmlReport) only read a BenchReport. Plain data; the functions are pure
// and safe to call from any thread.
//
// Units: config durations in nanoseconds (`_ns`), report values in seconds (see LevelStats.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/Config.h"
#include "report/LevelStats.h"
#include "stats/LevelId.h"

namespace llmprobe {

// Exit status of `llmprobe bench`.
inline constexpr int kBenchExitOk = 0;
// Unusable input (bad flags, config, unreachable setup): decided and returned by the caller.
inline constexpr int kBenchExitUnusableInput = 2;
// A budget or SLO was given and NO level meets it (a CI gate). A run where some level meets it
// exits kBenchExitOk even if higher levels miss it: missing at high load is what a sweep is for.
inline constexpr int kBenchExitBudgetMissed = 3;

// The latency budget of the recommendation. Every limit is optional; a level meets the budget
// when it has successful requests and every limit given holds. The field name states the
// percentile the limit applies to (p50 or p99 over the level's successful requests).
struct Budget {
  std::optional<int64_t> latency_p50_ns;  // request duration p50 <= limit
  std::optional<int64_t> latency_p99_ns;  // request duration p99 <= limit
  std::optional<int64_t> ttft_p50_ns;     // time to first token p50 <= limit
  std::optional<int64_t> ttft_p99_ns;
  std::optional<int64_t> tpot_p50_ns;  // time per output token p50 <= limit
  std::optional<int64_t> tpot_p99_ns;
  std::optional<double> max_error_ratio;  // errors / requests <= limit

  bool any() const;
  // `--latency-budget D`: p99 request latency <= D.
  static Budget FromLatencyBudget(int64_t latency_ns);
  // `--slo ttft=..,tpot=..` (and an SloConfig from a file): each per-request threshold becomes a
  // p99 limit (TTFT, TPOT, request duration), and error_ratio >= 0 a max_error_ratio. The SLO's
  // objective is not used: the report's quantiles are p50/p90/p99, and p99 is the strict one.
  static Budget FromSlo(const SloConfig& slo);
};

// What the run used, echoed in every report. Never holds a secret: no headers, no auth.
struct BenchConfig {
  std::string target;  // target name
  std::string model;
  std::string api;  // ApiKindName, e.g. "openai-chat"
  std::string url;  // as configured (config rules forbid credentials; any userinfo is dropped)
  LoadMode mode = LoadMode::kConcurrency;
  std::vector<LevelId> levels;        // in run order
  int64_t duration_per_level_ns = 0;  // measured time per level; 0 when requests_per_level is set
  int64_t requests_per_level = 0;     // 0 when duration_per_level_ns is set
  int64_t warmup_ns = 0;              // warm-up before each level, excluded
  int prompt_tokens = 0;              // workload: approximate prompt length
  int max_tokens = 0;                 // workload: output tokens requested
  SloConfig slo;                      // per-request thresholds that define goodput
  Budget budget;                      // for the recommendation; empty = none
};

// A BenchConfig from a target of the config file: name, model, api, url, load levels, stage
// duration, warm-up, workload and SLO. The budget is left empty (it comes from flags).
BenchConfig BenchConfigFromTarget(const TargetConfig& target);

// One limit of the budget applied to one level.
struct BudgetCheck {
  std::string metric;           // "latency_p50", "latency_p99", "ttft_p50", ..., "error_ratio"
  std::optional<double> value;  // seconds (a fraction for error_ratio); none = no samples
  double limit = 0;             // same unit as value
  bool met = false;
  std::optional<double> ratio;  // value / limit; none when value is missing or limit is 0
};

struct LevelVerdict {
  bool meets = false;
  std::vector<BudgetCheck> checks;  // one per limit given, in Budget field order
};

struct Recommendation {
  bool budget_given = false;
  std::vector<LevelVerdict> verdicts;  // parallel to BenchReport::levels; empty without budget
  std::optional<size_t> peak;          // index of the level with the highest output tokens/s
  std::optional<size_t> recommended;   // highest output tokens/s among levels meeting the budget
  // The level compared against the budget: the next higher level after `recommended`, or the
  // lowest level when none meets the budget. None when `recommended` is the highest level.
  std::optional<size_t> compared;
  // The compared level's worst missed check (largest ratio; a missing value is worst). None when
  // the compared level meets the budget too (it then has lower throughput) or does not exist.
  std::optional<BudgetCheck> miss;
  std::string summary;  // one or two plain sentences for text outputs
};

struct BenchReport {
  std::string version;         // llmprobe version
  std::string revision;        // git revision of the build
  std::string start_time_utc;  // ISO 8601, e.g. "2026-11-29T17:36:04Z"
  BenchConfig config;
  std::vector<LevelReport> levels;  // ascending by level (concurrency or rate)
  Recommendation recommendation;
};

// Sorts the levels, applies config.budget and fills version and revision from BuildInfo.
BenchReport MakeBenchReport(BenchConfig config, std::vector<LevelReport> levels,
                            std::chrono::system_clock::time_point start_time);

// The budget applied to one level.
LevelVerdict CheckBudget(const Budget& budget, const LevelReport& level);

// kBenchExitBudgetMissed when a budget was given and no level meets it, else kBenchExitOk.
int BenchExitStatus(const BenchReport& report);

// UTC, second precision: "2026-11-29T17:36:04Z".
std::string FormatUtcIso8601(std::chrono::system_clock::time_point t);

// "latency p99 <= 2s, ttft p99 <= 500ms, error ratio <= 1%"; "none" when empty.
std::string DescribeBudget(const Budget& budget);
// Per-request SLO thresholds that define goodput: "ttft <= 500ms, tpot <= 50ms"; "none".
std::string DescribeSlo(const SloConfig& slo);
// "levels concurrency 1, 2, 4, 8; 60s per level after 10s warm-up; 128 prompt / 64 output tokens"
std::string DescribeRun(const BenchConfig& config);

// The URL without any user:password@ part.
std::string RedactUrlUserinfo(const std::string& url);

}  // namespace llmprobe
