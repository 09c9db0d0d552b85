// The load, schedule, slo and budget sections of a target (see LoadSchema.h).
#include "config/LoadSchema.h"

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/Duration.h"

namespace llmprobe::schema {
namespace {

// Open-loop rates above this are a typo (a missing decimal point), not a probe.
constexpr double kMaxRatePerSecond = 10000;
constexpr int kMaxLevel = 4096;  // concurrency levels and max_inflight
// Levels (concurrency or rate) per target: each is a `concurrency` label value on every metric
// family of the target, so their number bounds the label cardinality.
constexpr size_t kMaxLevelsPerTarget = 32;

// "load.mode is rate" or "load.mode is concurrency, the default" for mode-bound key messages.
std::string ModeText(std::string_view section, bool given, std::string_view mode) {
  return std::string(section) + ".mode is " + std::string(mode) + (given ? "" : ", the default");
}

// a * b, or INT64_MAX if that overflows (then no interval is long enough, rightly).
int64_t SaturatingProduct(int64_t a, int64_t b) {
  return (b != 0 && a > INT64_MAX / b) ? INT64_MAX : a * b;
}

bool IsCurrencyCode(std::string_view code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

void ReadPrice(YamlReader& r, const YAML::Node& node, const YAML::Node& key,
               const std::string& path, BudgetConfig* budget) {
  if (!r.CheckMapping(node, path, {"input_per_million", "output_per_million", "currency"})) return;
  const size_t errors_before = r.error_count();
  BudgetConfig price;  // committed only when the whole price is valid
  r.ReadNumber(node, path, "input_per_million", NumberRange::AtLeast(0),
               &price.input_price_per_million);
  r.ReadNumber(node, path, "output_per_million", NumberRange::AtLeast(0),
               &price.output_price_per_million);
  if (r.ReadString(node, path, "currency", &price.currency) && !IsCurrencyCode(price.currency)) {
    YAML::Node value;
    YamlReader::Find(node, "currency", &value);
    r.Error(value, YamlReader::Join(path, "currency"),
            "invalid currency \"" + price.currency +
                "\" (expected a 3-letter ISO 4217 code in capitals, e.g. USD or EUR)");
  }
  if (r.error_count() != errors_before) return;
  if (!price.priced()) {
    r.Error(node.IsNull() ? key : node, path,
            "must set input_per_million or output_per_million above 0 (or leave price out)");
    return;
  }
  budget->input_price_per_million = price.input_price_per_million;
  budget->output_price_per_million = price.output_price_per_million;
  budget->currency = price.currency;
}

}  // namespace

bool KeyForMode(YamlReader& r, const YAML::Node& node, const std::string& path,
                std::string_view key, bool mode_matches, bool mode_known, std::string_view key_mode,
                const std::string& mode_text, std::string_view hint) {
  YAML::Node value, key_node;
  if (!YamlReader::Find(node, key, &value, &key_node)) return false;
  if (!mode_known) return false;
  if (mode_matches) return true;
  std::string message = "only used with " + std::string(key_mode) + " (" + mode_text + ")";
  if (!hint.empty()) message += "; " + std::string(hint);
  r.Error(key_node, YamlReader::Join(path, key), std::move(message));
  return false;
}

void ReadLoad(YamlReader& r, const YAML::Node& node, const std::string& path, LoadConfig* load) {
  if (!r.CheckMapping(node, path,
                      {"mode", "concurrency", "rate", "arrival", "max_inflight", "think_time",
                       "stage_duration", "warmup", "window"})) {
    return;
  }
  YAML::Node mode_node;
  const bool mode_given = YamlReader::Find(node, "mode", &mode_node);
  std::string mode = "concurrency";
  const bool mode_known =
      r.ReadChoice(node, path, "mode", {"concurrency", "rate"}, &mode) || !mode_given;
  const bool rate_mode = mode == "rate";
  if (mode_known) load->mode = rate_mode ? LoadMode::kRate : LoadMode::kConcurrency;
  const std::string mode_text = ModeText("load", mode_given, mode);
  auto closed_loop_key = [&](std::string_view key, std::string_view hint = "") {
    return KeyForMode(r, node, path, key, !rate_mode, mode_known, "mode concurrency", mode_text,
                      hint);
  };
  auto open_loop_key = [&](std::string_view key, std::string_view hint = "") {
    return KeyForMode(r, node, path, key, rate_mode, mode_known, "mode rate", mode_text, hint);
  };

  if (closed_loop_key("concurrency", "the open-loop levels go in rate")) {
    r.ReadIntList(node, path, "concurrency", 1, kMaxLevel, "concurrency level", &load->concurrency);
  }
  if (open_loop_key("rate", "set mode: rate for open-loop levels")) {
    r.ReadNumberList(node, path, "rate", NumberRange::Above(0).UpTo(kMaxRatePerSecond), "rate",
                     &load->rate);
  }
  for (const char* key : {"concurrency", "rate"}) {
    YAML::Node levels;
    if (YamlReader::Find(node, key, &levels) && levels.IsSequence() &&
        levels.size() > kMaxLevelsPerTarget) {
      r.Error(levels, YamlReader::Join(path, key),
              "lists " + std::to_string(levels.size()) + " levels, more than " +
                  std::to_string(kMaxLevelsPerTarget) + " (label cardinality)");
    }
  }
  if (mode_known && rate_mode) {
    load->concurrency.clear();  // the levels are the rates
    YAML::Node unused;
    if (!YamlReader::Find(node, "rate", &unused)) {
      r.Error(node, path, "missing required key \"rate\" (load.mode is rate)");
    }
  }
  std::string arrival;
  if (open_loop_key("arrival") &&
      r.ReadChoice(node, path, "arrival", {"poisson", "constant"}, &arrival)) {
    load->arrival = arrival == "constant" ? Arrival::kConstant : Arrival::kPoisson;
  }
  if (open_loop_key("max_inflight")) {
    r.ReadInt(node, path, "max_inflight", 1, kMaxLevel, &load->max_inflight);
  }
  if (closed_loop_key("think_time")) {
    r.ReadDuration(node, path, "think_time", /*allow_zero=*/true, &load->think_time_ns);
  }
  r.ReadDuration(node, path, "window", /*allow_zero=*/false, &load->window_ns);

  const bool stage_ok =
      r.ReadDuration(node, path, "stage_duration", false, &load->stage_duration_ns);
  YAML::Node stage_node;
  const bool stage_given = YamlReader::Find(node, "stage_duration", &stage_node);
  int64_t warmup = load->warmup_ns;
  if (!r.ReadDuration(node, path, "warmup", true, &warmup)) return;
  if (stage_given && !stage_ok) return;  // nothing sound to compare with
  if (warmup >= load->stage_duration_ns) {
    YAML::Node warmup_node;
    YamlReader::Find(node, "warmup", &warmup_node);
    r.Error(warmup_node, YamlReader::Join(path, "warmup"),
            "must be shorter than stage_duration (" + FormatDuration(load->stage_duration_ns) +
                "), got " + FormatDuration(warmup));
    return;
  }
  load->warmup_ns = warmup;
}

void ReadSchedule(YamlReader& r, const YAML::Node& node, const YAML::Node& key,
                  const std::string& path, const LoadConfig& load, bool load_ok,
                  ScheduleConfig* schedule) {
  if (!r.CheckMapping(node, path, {"mode", "interval", "random_start"})) return;
  YAML::Node mode_node;
  const bool mode_given = YamlReader::Find(node, "mode", &mode_node);
  std::string mode = "continuous";
  const bool mode_known =
      r.ReadChoice(node, path, "mode", {"continuous", "sweep"}, &mode) || !mode_given;
  const bool sweep = mode == "sweep";
  if (mode_known) schedule->mode = sweep ? ScheduleMode::kSweep : ScheduleMode::kContinuous;
  const std::string mode_text = ModeText("schedule", mode_given, mode);
  auto sweep_key = [&](std::string_view k) {
    return KeyForMode(r, node, path, k, sweep, mode_known, "mode sweep", mode_text,
                      "set mode: sweep to run the levels periodically");
  };

  YAML::Node interval_node;
  const bool interval_given = YamlReader::Find(node, "interval", &interval_node);
  bool interval_ok = true;
  if (sweep_key("interval")) {
    interval_ok = r.ReadDuration(node, path, "interval", false, &schedule->interval_ns);
  }
  if (sweep_key("random_start")) r.ReadBool(node, path, "random_start", &schedule->random_start);
  if (!mode_known || !sweep || !interval_ok || !load_ok) return;

  // One sweep runs every level for stage_duration (plus the drain of its last requests); an
  // interval shorter than that would start each sweep late, i.e. run continuously.
  const auto levels = static_cast<int64_t>(load.mode == LoadMode::kRate ? load.rate.size()
                                                                        : load.concurrency.size());
  const int64_t needed = SaturatingProduct(load.stage_duration_ns, levels);
  if (schedule->interval_ns >= needed) return;
  const std::string sweep_text = std::to_string(levels) + (levels == 1 ? " level" : " levels") +
                                 " x stage_duration " + FormatDuration(load.stage_duration_ns) +
                                 " = " + FormatDuration(needed);
  const std::string short_by = FormatDuration(needed - schedule->interval_ns);
  if (interval_given) {
    r.Error(interval_node, YamlReader::Join(path, "interval"),
            "must be at least the length of one sweep (" + sweep_text + "), got " +
                FormatDuration(schedule->interval_ns) + " (" + short_by + " short)");
  } else {
    r.Error(node.IsNull() ? key : node, path,
            "one sweep (" + sweep_text + ") does not fit in the default interval " +
                FormatDuration(schedule->interval_ns) + " (" + short_by +
                " short); set a longer interval");
  }
}

void ReadSlo(YamlReader& r, const YAML::Node& node, const YAML::Node& key, const std::string& path,
             SloConfig* slo) {
  if (!r.CheckMapping(node, path,
                      {"time_to_first_token", "time_per_output_token", "request_duration",
                       "objective", "error_ratio"})) {
    return;
  }
  r.ReadDuration(node, path, "time_to_first_token", false, &slo->time_to_first_token_ns);
  r.ReadDuration(node, path, "time_per_output_token", false, &slo->time_per_output_token_ns);
  r.ReadDuration(node, path, "request_duration", false, &slo->request_duration_ns);
  r.ReadNumber(node, path, "objective", NumberRange::Above(0).Below(1), &slo->objective);
  r.ReadNumber(node, path, "error_ratio", NumberRange::AtLeast(0).Below(1), &slo->error_ratio);
  // An objective alone has nothing to apply to. Presence is what counts here: an invalid
  // threshold already has its own error.
  YAML::Node unused;
  for (const char* k :
       {"time_to_first_token", "time_per_output_token", "request_duration", "error_ratio"}) {
    if (YamlReader::Find(node, k, &unused)) return;
  }
  r.Error(node.IsNull() ? key : node, path,
          "sets no objective: give at least one of time_to_first_token, time_per_output_token, "
          "request_duration or error_ratio (or leave slo out)");
}

void ReadBudget(YamlReader& r, const YAML::Node& node, const std::string& path,
                BudgetConfig* budget) {
  if (!r.CheckMapping(node, path,
                      {"max_requests_per_hour", "max_output_tokens_per_hour", "price"})) {
    return;
  }
  r.ReadInt64(node, path, "max_requests_per_hour", 1, INT64_MAX, &budget->max_requests_per_hour);
  r.ReadInt64(node, path, "max_output_tokens_per_hour", 1, INT64_MAX,
              &budget->max_output_tokens_per_hour);
  YAML::Node value, key;
  if (YamlReader::Find(node, "price", &value, &key)) {
    ReadPrice(r, value, key, YamlReader::Join(path, "price"), budget);
  }
}

}  // namespace llmprobe::schema
