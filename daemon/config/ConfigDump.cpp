#include "config/ConfigDump.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>

#include "common/Duration.h"

namespace llmprobe {
namespace {

void Duration(YAML::Emitter& out, const char* key, int64_t ns) {
  out << YAML::Key << key << YAML::Value << FormatDuration(ns);
}

template <typename T>
void Seq(YAML::Emitter& out, const char* key, const std::vector<T>& v) {
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const T& x : v) out << x;
  out << YAML::EndSeq;
}

void PromptTokens(YAML::Emitter& out, const WorkloadConfig& w) {
  out << YAML::Key << "prompt_tokens" << YAML::Value;
  switch (w.prompt_distribution) {
    case PromptLengthDistribution::kFixed:
      out << w.prompt_tokens;
      return;
    case PromptLengthDistribution::kUniform:
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "distribution" << YAML::Value << "uniform"
          << YAML::Key << "min" << YAML::Value << w.prompt_tokens_min << YAML::Key << "max"
          << YAML::Value << w.prompt_tokens_max << YAML::EndMap;
      return;
    case PromptLengthDistribution::kNormal:
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "distribution" << YAML::Value << "normal"
          << YAML::Key << "mean" << YAML::Value << w.prompt_tokens << YAML::Key << "stddev"
          << YAML::Value << w.prompt_tokens_stddev << YAML::EndMap;
      return;
  }
}

// Keys that only some dialects send are shown for those only (the loader refuses them
// elsewhere), so the dump loads again.
// A node parsed from JSON, emitted so that it loads back the same: quoted scalars ("1", "true")
// stay strings.
void EmitJsonAsYaml(YAML::Emitter& out, const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      out << YAML::BeginMap;
      for (const auto& kv : node) {
        out << YAML::Key << kv.first.Scalar() << YAML::Value;
        EmitJsonAsYaml(out, kv.second);
      }
      out << YAML::EndMap;
      break;
    case YAML::NodeType::Sequence:
      out << YAML::BeginSeq;
      for (const auto& item : node) EmitJsonAsYaml(out, item);
      out << YAML::EndSeq;
      break;
    case YAML::NodeType::Scalar:
      if (node.Tag() == "!") {
        out << YAML::DoubleQuoted << node.Scalar();
      } else {
        out << node.Scalar();
      }
      break;
    default:
      out << YAML::Null;
      break;
  }
}

void Workload(YAML::Emitter& out, ApiKind api, const WorkloadConfig& w) {
  out << YAML::Key << "workload" << YAML::Value << YAML::BeginMap;
  if (w.prompts.empty()) {
    PromptTokens(out, w);
    if (w.shared_prefix_tokens > 0) {
      out << YAML::Key << "shared_prefix_tokens" << YAML::Value << w.shared_prefix_tokens;
    }
  } else {
    // The prompts themselves are data, not configuration: the file and its size only.
    out << YAML::Key << "prompts_file" << YAML::Value << w.prompts_file;
    out << YAML::Comment(std::to_string(w.prompts.size()) + " prompts");
    out << YAML::Key << "prompts_order" << YAML::Value
        << (w.prompts_order == PromptsOrder::kRandom ? "random" : "sequential");
  }
  out << YAML::Key << "unique_prefix" << YAML::Value << w.unique_prefix;
  out << YAML::Key << "max_tokens" << YAML::Value << w.max_tokens;
  const bool openai = api == ApiKind::kOpenAiChat || api == ApiKind::kOpenAiCompletions ||
                      api == ApiKind::kOpenAiResponses;
  if (openai) {
    out << YAML::Key << "ignore_eos" << YAML::Value << w.ignore_eos;
    if (w.min_tokens > 0) out << YAML::Key << "min_tokens" << YAML::Value << w.min_tokens;
  }
  if (api == ApiKind::kOpenAiChat) {
    out << YAML::Key << "send_max_completion_tokens" << YAML::Value << w.send_max_completion_tokens;
  }
  if (!w.extra_body.empty()) {
    // JSON is YAML: the object is emitted as the mapping it was written as, strings quoted.
    out << YAML::Key << "extra_body" << YAML::Value << YAML::Flow;
    try {
      EmitJsonAsYaml(out, YAML::Load(w.extra_body));
    } catch (const YAML::Exception&) {
      out << YAML::DoubleQuoted << w.extra_body;
    }
  }
  out << YAML::EndMap;
}

void Target(YAML::Emitter& out, const TargetConfig& t) {
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << t.name;
  out << YAML::Key << "api" << YAML::Value << ApiKindName(t.api);
  out << YAML::Key << "url" << YAML::Value << t.url;
  out << YAML::Key << "model" << YAML::Value << t.model;
  if (!t.headers.empty()) {
    out << YAML::Key << "headers" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : t.headers) {
      out << YAML::Key << k << YAML::Value << (IsSensitiveHeader(k) ? "<secret>" : v);
    }
    out << YAML::EndMap;
  }
  if (!t.auth.bearer_token.empty()) {
    out << YAML::Key << "auth" << YAML::Value << YAML::BeginMap;
    if (!t.auth.bearer_token.file.empty()) {
      out << YAML::Key << "bearer_token_file" << YAML::Value << t.auth.bearer_token.file;
    }
    if (!t.auth.bearer_token.env.empty()) {
      out << YAML::Key << "bearer_token_env" << YAML::Value << t.auth.bearer_token.env;
    }
    out << YAML::Key << "bearer_token" << YAML::Value << "<secret>";
    if (t.auth.header != AuthHeader::kDefault) {
      out << YAML::Key << "header" << YAML::Value << AuthHeaderName(t.auth.header);
    }
    out << YAML::EndMap;
  }
  if (!(t.tls == TlsConfig{})) {
    out << YAML::Key << "tls_config" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "ca_file" << YAML::Value << t.tls.ca_file;
    out << YAML::Key << "cert_file" << YAML::Value << t.tls.cert_file;
    out << YAML::Key << "key_file" << YAML::Value << t.tls.key_file;
    out << YAML::Key << "server_name" << YAML::Value << t.tls.server_name;
    out << YAML::Key << "insecure_skip_verify" << YAML::Value << t.tls.insecure_skip_verify;
    out << YAML::Key << "min_version" << YAML::Value << t.tls.min_version;
    out << YAML::EndMap;
  }
  out << YAML::Key << "timeouts" << YAML::Value << YAML::BeginMap;
  Duration(out, "connect", t.timeouts.connect_ns);
  Duration(out, "first_token", t.timeouts.first_token_ns);
  Duration(out, "between_tokens", t.timeouts.between_tokens_ns);
  Duration(out, "total", t.timeouts.total_ns);
  out << YAML::EndMap;
  Workload(out, t.api, t.workload);
  out << YAML::Key << "load" << YAML::Value << YAML::BeginMap;
  const bool rate = t.load.mode == LoadMode::kRate;
  out << YAML::Key << "mode" << YAML::Value << (rate ? "rate" : "concurrency");
  if (rate) {
    Seq(out, "rate", t.load.rate);
    out << YAML::Key << "arrival" << YAML::Value
        << (t.load.arrival == Arrival::kConstant ? "constant" : "poisson");
    out << YAML::Key << "max_inflight" << YAML::Value << t.load.max_inflight;
  } else {
    Seq(out, "concurrency", t.load.concurrency);
    Duration(out, "think_time", t.load.think_time_ns);
  }
  Duration(out, "stage_duration", t.load.stage_duration_ns);
  Duration(out, "warmup", t.load.warmup_ns);
  Duration(out, "window", t.load.window_ns);
  out << YAML::EndMap;
  if (t.schedule.mode == ScheduleMode::kSweep) {
    out << YAML::Key << "schedule" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "mode" << YAML::Value << "sweep";
    Duration(out, "interval", t.schedule.interval_ns);
    out << YAML::Key << "random_start" << YAML::Value << t.schedule.random_start;
    out << YAML::EndMap;
  }
  if (t.slo.any()) {
    out << YAML::Key << "slo" << YAML::Value << YAML::BeginMap;
    if (t.slo.time_to_first_token_ns > 0) {
      Duration(out, "time_to_first_token", t.slo.time_to_first_token_ns);
    }
    if (t.slo.time_per_output_token_ns > 0) {
      Duration(out, "time_per_output_token", t.slo.time_per_output_token_ns);
    }
    if (t.slo.request_duration_ns > 0) {
      Duration(out, "request_duration", t.slo.request_duration_ns);
    }
    out << YAML::Key << "objective" << YAML::Value << t.slo.objective;
    if (t.slo.error_ratio >= 0)
      out << YAML::Key << "error_ratio" << YAML::Value << t.slo.error_ratio;
    out << YAML::EndMap;
  }
  const BudgetConfig& b = t.budget;
  if (b.max_requests_per_hour > 0 || b.max_output_tokens_per_hour > 0 || b.priced()) {
    out << YAML::Key << "budget" << YAML::Value << YAML::BeginMap;
    if (b.max_requests_per_hour > 0) {
      out << YAML::Key << "max_requests_per_hour" << YAML::Value << b.max_requests_per_hour;
    }
    if (b.max_output_tokens_per_hour > 0) {
      out << YAML::Key << "max_output_tokens_per_hour" << YAML::Value
          << b.max_output_tokens_per_hour;
    }
    if (b.priced()) {
      out << YAML::Key << "price" << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "input_per_million" << YAML::Value << b.input_price_per_million;
      out << YAML::Key << "output_per_million" << YAML::Value << b.output_price_per_million;
      out << YAML::Key << "currency" << YAML::Value << b.currency;
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  const BucketsConfig& k = t.buckets;
  if (!k.time_to_first_token.empty() || !k.time_per_output_token.empty() ||
      !k.request_duration.empty()) {
    out << YAML::Key << "buckets" << YAML::Value << YAML::BeginMap;
    if (!k.time_to_first_token.empty()) Seq(out, "time_to_first_token", k.time_to_first_token);
    if (!k.time_per_output_token.empty()) {
      Seq(out, "time_per_output_token", k.time_per_output_token);
    }
    if (!k.request_duration.empty()) Seq(out, "request_duration", k.request_duration);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
}

}  // namespace

bool IsSensitiveHeader(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* word : {"auth", "cookie", "key", "token", "secret", "password", "signature",
                           "credential", "session"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string DumpConfigYaml(const Config& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  if (!(config.global == GlobalConfig{})) {
    out << YAML::Key << "global" << YAML::Value << YAML::BeginMap;
    if (!config.global.web_listen_address.empty()) {
      out << YAML::Key << "web_listen_address" << YAML::Value << config.global.web_listen_address;
    }
    if (!config.global.log_level.empty()) {
      out << YAML::Key << "log_level" << YAML::Value << config.global.log_level;
    }
    if (!config.global.log_format.empty()) {
      out << YAML::Key << "log_format" << YAML::Value << config.global.log_format;
    }
    out << YAML::EndMap;
  }
  out << YAML::Key << "targets" << YAML::Value << YAML::BeginSeq;
  for (const TargetConfig& t : config.targets) Target(out, t);
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace llmprobe
