#include "DashboardLint.h"

#include <cctype>
#include <map>
#include <set>

namespace llmprobe::deploy {
namespace {

// Which of the dashboard's filter labels a metric carries (besides job and instance, which
// every scraped series has).
enum class Labels { kSelf, kTarget, kTargetModel };

// Every metric a dashboard may query, by its name without _bucket/_count/_sum. The names come
// from daemon/metrics/MetricNames.h; a new metric must be classified here before a dashboard
// can use it.
const std::map<std::string, Labels>& KnownMetrics() {
  static const std::map<std::string, Labels> known = {
      // Per request: target, model, concurrency | rate.
      {"llmprobe_time_to_first_token_seconds", Labels::kTargetModel},
      {"llmprobe_time_to_first_content_token_seconds", Labels::kTargetModel},
      {"llmprobe_time_to_first_byte_seconds", Labels::kTargetModel},
      {"llmprobe_time_per_output_token_seconds", Labels::kTargetModel},
      {"llmprobe_inter_token_latency_seconds", Labels::kTargetModel},
      {"llmprobe_request_duration_seconds", Labels::kTargetModel},
      {"llmprobe_request_start_delay_seconds", Labels::kTargetModel},
      {"llmprobe_scheduled_time_to_first_token_seconds", Labels::kTargetModel},
      {"llmprobe_scheduled_request_duration_seconds", Labels::kTargetModel},
      {"llmprobe_requests_total", Labels::kTargetModel},
      {"llmprobe_output_tokens_total", Labels::kTargetModel},
      {"llmprobe_input_tokens_total", Labels::kTargetModel},
      {"llmprobe_token_count_mismatches_total", Labels::kTargetModel},
      {"llmprobe_good_requests_total", Labels::kTargetModel},
      {"llmprobe_slo_good_requests_total", Labels::kTargetModel},
      {"llmprobe_estimated_cost_total", Labels::kTargetModel},
      {"llmprobe_rolling_time_to_first_token_seconds", Labels::kTargetModel},
      {"llmprobe_rolling_time_per_output_token_seconds", Labels::kTargetModel},
      {"llmprobe_rolling_inter_token_latency_seconds", Labels::kTargetModel},
      {"llmprobe_rolling_request_duration_seconds", Labels::kTargetModel},
      {"llmprobe_rolling_output_tokens_per_second", Labels::kTargetModel},
      {"llmprobe_rolling_requests_per_second", Labels::kTargetModel},
      {"llmprobe_rolling_error_ratio", Labels::kTargetModel},
      // Per target.
      {"llmprobe_rolling_window_seconds", Labels::kTarget},
      {"llmprobe_slo_threshold_seconds", Labels::kTarget},
      {"llmprobe_slo_objective", Labels::kTarget},
      {"llmprobe_slo_holds", Labels::kTarget},
      {"llmprobe_budget_exhausted", Labels::kTarget},
      {"llmprobe_stage_concurrency", Labels::kTarget},
      {"llmprobe_stage_rate", Labels::kTarget},
      {"llmprobe_schedule_idle", Labels::kTarget},
      {"llmprobe_inflight_requests", Labels::kTarget},
      {"llmprobe_inflight_limit_reached_total", Labels::kTarget},
      {"llmprobe_backoff_seconds", Labels::kTarget},
      {"llmprobe_circuit_open", Labels::kTarget},
      // Per process.
      {"llmprobe_build_info", Labels::kSelf},
      {"llmprobe_config_last_reload_successful", Labels::kSelf},
      {"llmprobe_config_last_reload_success_timestamp_seconds", Labels::kSelf},
      {"process_cpu_seconds_total", Labels::kSelf},
      {"process_resident_memory_bytes", Labels::kSelf},
      {"process_virtual_memory_bytes", Labels::kSelf},
      {"process_start_time_seconds", Labels::kSelf},
      {"process_threads", Labels::kSelf},
      {"process_open_fds", Labels::kSelf},
      {"process_max_fds", Labels::kSelf},
      {"up", Labels::kSelf},
  };
  return known;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Strips a histogram series suffix, so that x_bucket/x_count/x_sum look up x.
std::string BaseMetric(const std::string& name) {
  for (const char* suffix : {"_bucket", "_count", "_sum"}) {
    if (EndsWith(name, suffix)) {
      std::string base = name.substr(0, name.size() - std::string(suffix).size());
      if (KnownMetrics().count(base)) return base;
    }
  }
  return name;
}

bool IsCounterSeries(const std::string& name) {
  return EndsWith(name, "_total") || EndsWith(name, "_bucket") || EndsWith(name, "_count") ||
         EndsWith(name, "_sum");
}

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool IsIdentChar(char c) { return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

size_t SkipSpace(const std::string& s, size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

// i at an opening quote; returns the index after the closing quote.
size_t SkipString(const std::string& s, size_t i) {
  const char quote = s[i++];
  while (i < s.size() && s[i] != quote) {
    if (s[i] == '\\' && quote != '`') ++i;
    ++i;
  }
  return i < s.size() ? i + 1 : i;
}

// i at `open`; returns the index after the matching `close`, skipping strings.
size_t SkipBalanced(const std::string& s, size_t i, char open, char close) {
  int depth = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(s, i);
      continue;
    }
    if (c == open) ++depth;
    if (c == close && --depth == 0) return i + 1;
    ++i;
  }
  return i;
}

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// Parses `label op "value", ...` (the inside of braces).
std::vector<std::pair<std::string, std::string>> ParseMatchers(const std::string& body) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i < body.size()) {
    i = SkipSpace(body, i);
    size_t start = i;
    while (i < body.size() && IsIdentChar(body[i])) ++i;
    std::string label = body.substr(start, i - start);
    i = SkipSpace(body, i);
    size_t op_start = i;
    while (i < body.size() && (body[i] == '=' || body[i] == '!' || body[i] == '~')) ++i;
    std::string op = body.substr(op_start, i - op_start);
    i = SkipSpace(body, i);
    std::string value;
    if (i < body.size() && (body[i] == '"' || body[i] == '\'' || body[i] == '`')) {
      size_t end = SkipString(body, i);
      value = body.substr(i, end - i);
      i = end;
    }
    if (!label.empty()) out.emplace_back(label, op + value);
    i = SkipSpace(body, i);
    if (i < body.size() && body[i] == ',') ++i;
    if (label.empty() && op.empty() && value.empty()) ++i;  // unparseable: move on
  }
  return out;
}

// The identifier that directly precedes the '(' opening right before position `pos`, if the
// selector at `pos` is the first thing inside those parentheses.
std::string EnclosingCall(const std::string& s, size_t pos) {
  size_t i = pos;
  while (i > 0 && std::isspace(static_cast<unsigned char>(s[i - 1]))) --i;
  if (i == 0 || s[i - 1] != '(') return "";
  --i;
  while (i > 0 && std::isspace(static_cast<unsigned char>(s[i - 1]))) --i;
  size_t end = i;
  while (i > 0 && IsIdentChar(s[i - 1])) --i;
  return s.substr(i, end - i);
}

const std::set<std::string>& GroupingKeywords() {
  static const std::set<std::string> k = {"by",       "without",    "on",
                                          "ignoring", "group_left", "group_right"};
  return k;
}
// Keywords, and aggregation operators (they may be followed by `by (...)` instead of `(`).
const std::set<std::string>& OtherKeywords() {
  static const std::set<std::string> k = {
      "and",    "or",    "unless",       "bool",    "offset", "inf",      "nan",    "Inf",
      "NaN",    "atan2", "sum",          "min",     "max",    "avg",      "group",  "stddev",
      "stdvar", "count", "count_values", "bottomk", "topk",   "quantile", "limitk", "limit_ratio"};
  return k;
}

std::string Join(const std::vector<std::pair<std::string, std::string>>& m) {
  std::string out;
  for (const auto& [label, rest] : m) out += (out.empty() ? "" : ",") + label + rest;
  return out;
}

}  // namespace

std::vector<PromSelector> ScanSelectors(const std::string& e, std::vector<std::string>* ranges) {
  std::vector<PromSelector> out;
  size_t i = 0;
  while (i < e.size()) {
    const char c = e[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(e, i);
    } else if (c == '[') {
      size_t end = SkipBalanced(e, i, '[', ']');
      if (ranges) ranges->push_back(Trim(e.substr(i + 1, end - i - 2)));
      i = end;
    } else if (c == '{') {  // a selector without a metric name
      size_t end = SkipBalanced(e, i, '{', '}');
      PromSelector sel;
      sel.matchers = ParseMatchers(e.substr(i + 1, end - i - 2));
      sel.enclosing_call = EnclosingCall(e, i);
      out.push_back(sel);
      i = end;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < e.size() &&
                std::isdigit(static_cast<unsigned char>(e[i + 1])))) {
      while (i < e.size() && (IsIdentChar(e[i]) || e[i] == '.')) ++i;  // number or duration
    } else if (c == '$') {  // a Grafana variable outside a string, e.g. $__range: skip it
      ++i;
      while (i < e.size() && IsIdentChar(e[i])) ++i;
    } else if (IsIdentStart(c)) {
      const size_t start = i;
      while (i < e.size() && IsIdentChar(e[i])) ++i;
      const std::string ident = e.substr(start, i - start);
      const size_t next = SkipSpace(e, i);
      if (GroupingKeywords().count(ident)) {
        if (next < e.size() && e[next] == '(') i = SkipBalanced(e, next, '(', ')');
        continue;
      }
      if (OtherKeywords().count(ident)) continue;
      if (next < e.size() && e[next] == '(') continue;  // a function or aggregation
      PromSelector sel;
      sel.metric = ident;
      sel.enclosing_call = EnclosingCall(e, start);
      i = next;
      if (i < e.size() && e[i] == '{') {
        size_t end = SkipBalanced(e, i, '{', '}');
        sel.matchers = ParseMatchers(e.substr(i + 1, end - i - 2));
        i = end;
      }
      size_t after = SkipSpace(e, i);
      if (after < e.size() && e[after] == '[') {
        size_t end = SkipBalanced(e, after, '[', ']');
        sel.range = Trim(e.substr(after + 1, end - after - 2));
        if (ranges) ranges->push_back(sel.range);
        i = end;
      }
      out.push_back(sel);
    } else {
      ++i;
    }
  }
  return out;
}

std::vector<std::string> LintExpression(const std::string& expr, const std::string& where) {
  std::vector<std::string> problems;
  auto fail = [&](const std::string& message) { problems.push_back(where + ": " + message); };
  if (Trim(expr).empty()) {
    fail("empty query");
    return problems;
  }
  std::vector<std::string> ranges;
  const std::vector<PromSelector> selectors = ScanSelectors(expr, &ranges);
  for (const std::string& range : ranges) {
    if (range != "$__rate_interval") fail("range [" + range + "] is not [$__rate_interval]");
  }
  if (selectors.empty()) fail("no metric selector in `" + expr + "`");
  for (const PromSelector& sel : selectors) {
    if (sel.metric.empty()) {
      fail("selector {" + Join(sel.matchers) + "} has no metric name");
      continue;
    }
    const std::string base = BaseMetric(sel.metric);
    auto known = KnownMetrics().find(base);
    if (known == KnownMetrics().end()) {
      fail("unknown metric " + sel.metric + " (classify it in tests/deploy/DashboardLint.cpp)");
      continue;
    }
    std::map<std::string, std::string> by_label;
    for (const auto& [label, rest] : sel.matchers) by_label[label] = rest;
    std::vector<std::string> required = {"job", "instance"};
    if (known->second != Labels::kSelf) required.push_back("target");
    if (known->second == Labels::kTargetModel) required.push_back("model");
    for (const std::string& label : required) {
      const std::string want = "=~\"$" + label + "\"";
      auto it = by_label.find(label);
      if (it == by_label.end()) {
        fail(sel.metric + " is not filtered by " + label + want);
      } else if (it->second != want) {
        fail(sel.metric + " filters " + label + it->second + ", expected " + label + want);
      }
    }
    if (IsCounterSeries(sel.metric)) {
      if (sel.enclosing_call != "rate" && sel.enclosing_call != "increase") {
        fail("counter " + sel.metric + " used outside rate()/increase()");
      } else if (sel.range != "$__rate_interval") {
        fail("counter " + sel.metric + " in " + sel.enclosing_call +
             "() without a [$__rate_interval] range");
      }
    }
  }
  return problems;
}

namespace {

std::string Str(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "";
  return j[key].get<std::string>();
}

bool IsTemplatedDatasource(const nlohmann::json& ds) {
  return ds.is_object() && Str(ds, "uid") == "${datasource}" && Str(ds, "type") == "prometheus";
}

void LintPanel(const nlohmann::json& panel, std::set<int>* ids, std::vector<std::string>* out) {
  const std::string title = Str(panel, "title");
  const std::string type = Str(panel, "type");
  const std::string where = "panel " +
                            (panel.contains("id") ? panel["id"].dump() : std::string("?")) + " \"" +
                            title + "\"";
  auto fail = [&](const std::string& message) { out->push_back(where + ": " + message); };

  if (!panel.contains("id") || !panel["id"].is_number_integer()) {
    fail("no integer id");
  } else if (!ids->insert(panel["id"].get<int>()).second) {
    fail("duplicate panel id");
  }
  if (title.empty()) fail("no title");
  if (type.empty()) fail("no type");
  if (!panel.contains("gridPos")) fail("no gridPos");

  if (type == "row") {
    if (panel.contains("panels")) {
      for (const auto& child : panel["panels"]) LintPanel(child, ids, out);
    }
    return;
  }
  if (Str(panel, "description").empty()) fail("no description");
  const nlohmann::json* unit = nullptr;
  if (panel.contains("fieldConfig") && panel["fieldConfig"].contains("defaults") &&
      panel["fieldConfig"]["defaults"].contains("unit")) {
    unit = &panel["fieldConfig"]["defaults"]["unit"];
  }
  if (unit == nullptr || !unit->is_string() || unit->get<std::string>().empty()) {
    fail("no unit (fieldConfig.defaults.unit)");
  }
  if (!panel.contains("datasource") || !IsTemplatedDatasource(panel["datasource"])) {
    fail("datasource is not {type: prometheus, uid: ${datasource}}");
  }
  if (!panel.contains("targets") || !panel["targets"].is_array() || panel["targets"].empty()) {
    fail("no queries");
    return;
  }
  std::set<std::string> ref_ids;
  for (const auto& target : panel["targets"]) {
    const std::string ref = Str(target, "refId");
    if (ref.empty() || !ref_ids.insert(ref).second) fail("query refId missing or repeated");
    if (target.contains("datasource") && !IsTemplatedDatasource(target["datasource"])) {
      fail("query " + ref + ": datasource is not ${datasource}");
    }
    for (const std::string& p : LintExpression(Str(target, "expr"), "query " + ref)) fail(p);
  }
}

}  // namespace

std::vector<std::string> LintDashboard(const nlohmann::json& d, const std::string& expected_uid) {
  std::vector<std::string> out;
  if (!d.is_object()) return {"dashboard is not a JSON object"};
  if (Str(d, "uid") != expected_uid) {
    out.push_back("uid is \"" + Str(d, "uid") + "\", expected the stable \"" + expected_uid + "\"");
  }
  if (Str(d, "title").empty()) out.push_back("dashboard has no title");
  if (!d.contains("editable") || d["editable"] != false) out.push_back("editable is not false");
  if (d.contains("id") && !d["id"].is_null())
    out.push_back("id is not null (provisioned dashboards)");

  std::map<std::string, nlohmann::json> vars;
  if (d.contains("templating") && d["templating"].contains("list")) {
    for (const auto& v : d["templating"]["list"]) vars[Str(v, "name")] = v;
  }
  auto ds = vars.find("datasource");
  if (ds == vars.end() || Str(ds->second, "type") != "datasource" ||
      Str(ds->second, "query") != "prometheus") {
    out.push_back("no `datasource` variable of type datasource (query prometheus)");
  }
  for (const char* name : {"job", "instance", "target", "model"}) {
    auto v = vars.find(name);
    if (v == vars.end()) {
      out.push_back(std::string("no `") + name + "` variable");
    } else if (!v->second.contains("datasource") ||
               !IsTemplatedDatasource(v->second["datasource"])) {
      out.push_back(std::string("variable `") + name + "` does not query ${datasource}");
    }
  }

  if (!d.contains("panels") || !d["panels"].is_array() || d["panels"].empty()) {
    out.push_back("no panels");
    return out;
  }
  std::set<int> ids;
  for (const auto& panel : d["panels"]) LintPanel(panel, &ids, &out);
  return out;
}

}  // namespace llmprobe::deploy
