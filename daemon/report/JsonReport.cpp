#include "report/JsonReport.h"

#include <cmath>

#include "report/ReportFormat.h"

namespace llmprobe {
namespace {

using nlohmann::json;

json Number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json Seconds(const std::optional<int64_t>& ns) {
  return ns ? json(NanosToSeconds(*ns)) : json(nullptr);
}
json SecondsIfSet(int64_t ns) { return ns > 0 ? json(NanosToSeconds(ns)) : json(nullptr); }

json LevelJson(const LevelId& level) {
  json j;
  j["mode"] = level.open_loop() ? "rate" : "concurrency";
  if (level.open_loop()) {
    j["rate"] = level.rate;
  } else {
    j["concurrency"] = level.concurrency;
  }
  j["label"] = LevelValue(level);
  return j;
}

json QuantilesJson(const Quantiles& q) {
  const bool has = q.count > 0;
  auto v = [&](double x) { return has ? Number(x) : json(nullptr); };
  return {{"count", q.count},        {"min", v(q.min_seconds)}, {"mean", v(q.mean_seconds)},
          {"p50", v(q.p50_seconds)}, {"p90", v(q.p90_seconds)}, {"p99", v(q.p99_seconds)},
          {"max", v(q.max_seconds)}};
}

json CheckJson(const BudgetCheck& c) {
  return {{"metric", c.metric},
          {"value", c.value ? Number(*c.value) : json(nullptr)},
          {"limit", Number(c.limit)},
          {"met", c.met},
          {"ratio", c.ratio ? Number(*c.ratio) : json(nullptr)}};
}

json LevelReportJson(const LevelReport& l, const LevelVerdict* verdict) {
  json j;
  j["level"] = LevelJson(l.level);
  j["requests"] = l.requests;
  j["successes"] = l.successes;
  j["errors"] = l.errors;
  j["errors_by_outcome"] = json::object();
  for (const auto& [name, n] : l.errors_by_outcome) j["errors_by_outcome"][name] = n;
  j["warmup_requests"] = l.warmup_requests;
  j["ttft_seconds"] = QuantilesJson(l.ttft);
  j["tpot_seconds"] = QuantilesJson(l.tpot);
  j["itl_seconds"] = QuantilesJson(l.itl);
  j["latency_seconds"] = QuantilesJson(l.latency);
  j["ttfc_seconds"] = QuantilesJson(l.ttfc);
  const MedianInterval& ci = l.latency_p50_ci;
  j["latency_p50_ci"] = ci.valid ? json{{"confidence", ci.confidence},
                                        {"lower_rank", ci.lower_rank},
                                        {"upper_rank", ci.upper_rank},
                                        {"lower_seconds", Number(ci.lower_seconds)},
                                        {"upper_seconds", Number(ci.upper_seconds)},
                                        {"clamped", ci.clamped}}
                                 : json(nullptr);
  j["measured_seconds"] = Number(l.measured_seconds);
  j["interval_from_requests"] = l.interval_from_requests;
  j["output_tokens_in_interval"] = l.output_tokens_in_interval;
  j["output_tokens_per_second"] = Number(l.output_tokens_per_second);
  j["requests_started_in_interval"] = l.requests_started_in_interval;
  j["requests_per_second"] = Number(l.requests_per_second);
  j["good_requests"] = l.good_requests;
  j["goodput"] = Number(l.goodput);
  j["input_tokens_mean"] = Number(l.input_tokens_mean);
  j["output_tokens_mean"] = Number(l.output_tokens_mean);
  j["token_count_mismatches"] = l.token_count_mismatches;
  const Stability& s = l.stability;
  j["stability"] = {{"evaluated", s.evaluated},
                    {"stable", s.stable},
                    {"tolerance", s.tolerance},
                    {"ttft_p50_first_half_seconds", Number(s.ttft_p50_first_seconds)},
                    {"ttft_p50_second_half_seconds", Number(s.ttft_p50_second_seconds)},
                    {"latency_p50_first_half_seconds", Number(s.latency_p50_first_seconds)},
                    {"latency_p50_second_half_seconds", Number(s.latency_p50_second_seconds)},
                    {"max_relative_difference", Number(s.max_relative_difference)}};
  j["too_few_for_p99"] = l.too_few_for_p99;
  if (verdict) {
    json checks = json::array();
    for (const BudgetCheck& c : verdict->checks) checks.push_back(CheckJson(c));
    j["budget"] = {{"meets", verdict->meets}, {"checks", checks}};
  } else {
    j["budget"] = nullptr;
  }
  return j;
}

json ConfigJson(const BenchConfig& c) {
  json levels = json::array();
  for (const LevelId& l : c.levels) {
    levels.push_back(l.open_loop() ? json(l.rate) : json(l.concurrency));
  }
  const Budget& b = c.budget;
  return {
      {"target", c.target},
      {"model", c.model},
      {"api", c.api},
      {"url", c.url},
      {"mode", c.mode == LoadMode::kRate ? "rate" : "concurrency"},
      {"levels", levels},
      {"duration_per_level_seconds", SecondsIfSet(c.duration_per_level_ns)},
      {"requests_per_level", c.requests_per_level > 0 ? json(c.requests_per_level) : json(nullptr)},
      {"warmup_seconds", NanosToSeconds(c.warmup_ns)},
      {"prompt_tokens", c.prompt_tokens},
      {"max_tokens", c.max_tokens},
      {"slo",
       {{"time_to_first_token_seconds", SecondsIfSet(c.slo.time_to_first_token_ns)},
        {"time_per_output_token_seconds", SecondsIfSet(c.slo.time_per_output_token_ns)},
        {"request_duration_seconds", SecondsIfSet(c.slo.request_duration_ns)}}},
      {"budget",
       {{"latency_p50_seconds", Seconds(b.latency_p50_ns)},
        {"latency_p99_seconds", Seconds(b.latency_p99_ns)},
        {"ttft_p50_seconds", Seconds(b.ttft_p50_ns)},
        {"ttft_p99_seconds", Seconds(b.ttft_p99_ns)},
        {"tpot_p50_seconds", Seconds(b.tpot_p50_ns)},
        {"tpot_p99_seconds", Seconds(b.tpot_p99_ns)},
        {"max_error_ratio", b.max_error_ratio ? Number(*b.max_error_ratio) : json(nullptr)}}},
  };
}

json IndexJson(const std::optional<size_t>& i) { return i ? json(*i) : json(nullptr); }

json RecommendationJson(const BenchReport& r) {
  const Recommendation& rec = r.recommendation;
  auto level = [&](const std::optional<size_t>& i) {
    return i && *i < r.levels.size() ? LevelJson(r.levels[*i].level) : json(nullptr);
  };
  return {{"budget_given", rec.budget_given},
          {"peak_index", IndexJson(rec.peak)},
          {"peak_level", level(rec.peak)},
          {"recommended_index", IndexJson(rec.recommended)},
          {"recommended_level", level(rec.recommended)},
          {"compared_index", IndexJson(rec.compared)},
          {"compared_level", level(rec.compared)},
          {"miss", rec.miss ? CheckJson(*rec.miss) : json(nullptr)},
          {"exit_status", BenchExitStatus(r)},
          {"summary", rec.summary}};
}

}  // namespace

json BenchReportToJson(const BenchReport& r) {
  json j;
  j["schema_version"] = kBenchReportSchemaVersion;
  j["tool"] = {{"name", "llmprobe"}, {"version", r.version}, {"revision", r.revision}};
  j["start_time"] = r.start_time_utc;
  j["config"] = ConfigJson(r.config);
  j["levels"] = json::array();
  const Recommendation& rec = r.recommendation;
  for (size_t i = 0; i < r.levels.size(); ++i) {
    const LevelVerdict* v = i < rec.verdicts.size() ? &rec.verdicts[i] : nullptr;
    j["levels"].push_back(LevelReportJson(r.levels[i], v));
  }
  j["recommendation"] = RecommendationJson(r);
  j["definitions"] = {
      {"quantiles", "nearest rank over all samples of the level"},
      {"latency", "request duration, t_last_token - t_start, successful non-warm-up requests"},
      {"output_tokens_per_second",
       "tokens arriving inside the measured interval (reconstructed from t_first_token and "
       "the inter-token gaps, warm-up requests included) / interval length"},
      {"goodput", "successful requests meeting every per-request SLO threshold / requests"},
      {"stable",
       "TTFT and latency p50 of the first and second half (by start time) within "
       "the tolerance: max/min - 1 <= tolerance"},
  };
  return j;
}

std::string RenderJsonReport(const BenchReport& report) {
  // Replace invalid UTF-8 (a config may hold anything) instead of throwing.
  return BenchReportToJson(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

}  // namespace llmprobe
