// The rules every llmprobe Grafana dashboard follows (conventions.md, issue 6), as a checker that
// returns one message per broken rule. Pure functions, no I/O; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmprobe::deploy {

// One metric selector found in a PromQL expression.
struct PromSelector {
  std::string metric;  // "" for a bare {...} selector
  // Label matchers as written, label -> operator and value, e.g. {"job", "=~\"$job\""}.
  std::vector<std::pair<std::string, std::string>> matchers;
  std::string range;           // text inside the [...] right after the selector, "" if none
  std::string enclosing_call;  // function whose first argument the selector is ("rate"), or ""
};

// Scans a PromQL expression (Grafana variables allowed) for metric selectors. Label lists of
// by/without/on/ignoring/group_left/group_right, function names, keywords, numbers and string
// literals are skipped. Every [...] range found anywhere goes to *ranges if not null.
std::vector<PromSelector> ScanSelectors(const std::string& expr,
                                        std::vector<std::string>* ranges = nullptr);

// Checks one PromQL expression of a panel: every range is [$__rate_interval]; every selector
// names a known llmprobe (or process_*/up) metric, filters job=~"$job" and instance=~"$instance",
// target=~"$target" if the metric has a target label and model=~"$model" if it has a model
// label; counters (_total, _count, _sum, _bucket) appear only as rate(...)/increase(...) of a
// [$__rate_interval] range. Messages are prefixed with `where`.
std::vector<std::string> LintExpression(const std::string& expr, const std::string& where);

// Checks a whole dashboard: uid == expected_uid, editable false, id null, the datasource/job/
// instance/target/model variables, and on every panel (rows included, nested panels too) a
// unique id, a title, and, on all but rows, a description, fieldConfig.defaults.unit, the
// ${datasource} datasource on the panel and its queries, and LintExpression on each query.
std::vector<std::string> LintDashboard(const nlohmann::json& dashboard,
                                       const std::string& expected_uid);

}  // namespace llmprobe::deploy
