#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/Config.h"
#include "config/ConfigLoader.h"

namespace llmprobe {
namespace {

const std::string kTestdata = LLMPROBE_TESTDATA_DIR;

// The loader's whole error text for `yaml`, or "" if it loads.
std::string ErrorsOf(std::string_view yaml, const std::string& name = "t.yaml") {
  Result<Config> r = LoadConfigString(yaml, name);
  return r.ok() ? std::string() : r.status().message();
}

// A valid target to build broken ones from; `extra` is appended inside the target (indent 4).
std::string Target(const std::string& extra = "",
                   const std::string& url = "http://127.0.0.1:8000/v1/chat/completions") {
  return "targets:\n"
         "  - name: mock\n"
         "    api: openai-chat\n"
         "    url: " +
         url +
         "\n"
         "    model: mock-model\n" +
         extra;
}

}  // namespace

TEST_CASE("config: each bad_*.yaml fixture fails with its exact message") {
  struct Case {
    const char* file;
    const char* message;  // after "<testdata>/<file>:"
  };
  const Case cases[] = {
      {"bad_unknown_key.yaml", "7:5: targets[0].colour: unknown key \"colour\""},
      {"bad_unknown_key_suggestion.yaml",
       "8:7: targets[0].workload.promt_tokens: unknown key \"promt_tokens\" (did you mean "
       "\"prompt_tokens\"?)"},
      {"bad_wrong_type.yaml",
       "8:22: targets[0].workload.prompt_tokens: expected an integer or a mapping (distribution: "
       "fixed, uniform or normal), got \"abc\""},
      {"bad_missing_required.yaml", "3:5: targets[0]: missing required key \"model\""},
      {"bad_empty_levels.yaml",
       "8:20: targets[0].load.concurrency: must list at least one concurrency level"},
      {"bad_negative_duration.yaml",
       "8:20: targets[0].timeouts.first_token: negative duration \"-5s\""},
      {"bad_duplicate_target.yaml",
       "7:11: targets[1].name: duplicate target name \"mock\" (first defined at line 3)"},
      {"bad_bad_url.yaml",
       "5:10: targets[0].url: URL must not contain credentials (user:password@); use "
       "auth.bearer_token_file or auth.bearer_token_env"},
      {"bad_bad_api.yaml",
       "4:10: targets[0].api: invalid value \"openai\" (expected one of: openai-chat, "
       "openai-completions, openai-responses, anthropic-messages, tgi, ollama)"},
      {"bad_auth_header.yaml",
       "9:15: targets[0].auth.header: invalid value \"authorization\" (expected one of: default, "
       "bearer, api-key, x-api-key)"},
      {"bad_auth_header_without_secret.yaml",
       "8:7: targets[0].auth.header: has no effect without bearer_token_file or bearer_token_env"},
      {"bad_base_url_tgi.yaml",
       "5:10: targets[0].url: URL \"http://127.0.0.1:8080/v1\" is a base URL; api tgi needs the "
       "full endpoint URL, e.g. http://host:8080/generate_stream"},
      {"bad_min_tokens_over_max.yaml",
       "9:19: targets[0].workload.min_tokens: must not exceed max_tokens (64), got 128"},
      {"bad_min_tokens_dialect.yaml",
       "8:7: targets[0].workload.min_tokens: only used with api openai-chat, openai-completions "
       "or openai-responses (api is ollama)"},
      {"bad_send_max_completion_tokens.yaml",
       "8:7: targets[0].workload.send_max_completion_tokens: only used with api openai-chat (api "
       "is openai-completions)"},
      {"bad_extra_body.yaml",
       "8:19: targets[0].workload.extra_body: expected a mapping, got string \"{\"top_k\": 5}\""},
      {"bad_extra_body_stream.yaml",
       "10:9: targets[0].workload.extra_body.stream: must not be set: llmprobe measures streamed "
       "responses only"},
      {"bad_prompt_distribution.yaml",
       "8:37: targets[0].workload.prompt_tokens.distribution: invalid value \"poisson\" (expected "
       "one of: fixed, uniform, normal)"},
      {"bad_prompt_uniform_range.yaml",
       "11:14: targets[0].workload.prompt_tokens.max: must be >= min (500), got 100"},
      {"bad_prompt_normal_missing.yaml",
       "9:9: targets[0].workload.prompt_tokens: missing required key \"stddev\" (distribution is "
       "normal)"},
      {"bad_prompt_key_of_other_distribution.yaml",
       "8:35: targets[0].workload.prompt_tokens.max: only used with distribution uniform "
       "(distribution is fixed, the default)"},
      {"bad_shared_prefix.yaml",
       "9:29: targets[0].workload.shared_prefix_tokens: must be less than the shortest prompt "
       "(prompt_tokens.min 200), got 200"},
      {"bad_prompts_file_missing.yaml",
       "8:21: targets[0].workload.prompts_file: cannot read prompts file "
       "\"{testdata}/no_such_prompts.jsonl\": No such file or directory"},
      {"bad_prompts_with_prompt_tokens.yaml",
       "9:7: targets[0].workload.prompt_tokens: not used with prompts_file (the file's prompts "
       "are sent as they are)"},
      {"bad_prompts_order_without_file.yaml",
       "8:7: targets[0].workload.prompts_order: only used with prompts_file"},
      {"bad_both_secrets.yaml",
       "9:25: targets[0].auth.bearer_token_env: only one of bearer_token_file and "
       "bearer_token_env may be set"},
      {"bad_inline_authorization_header.yaml",
       "9:7: targets[0].headers.authorization: header \"authorization\" would put a secret in "
       "the config file; use auth.bearer_token_file or auth.bearer_token_env instead"},
      {"bad_warmup_too_long.yaml",
       "10:15: targets[0].load.warmup: must be shorter than stage_duration (30s), got 1m"},
      {"bad_bad_buckets.yaml",
       "8:39: targets[0].buckets.time_to_first_token[2]: bucket bounds must be strictly "
       "increasing, got 0.25 after 0.5"},
      {"bad_yaml_syntax.yaml", "7:10: (yaml): end of sequence flow not found"},
      {"bad_no_targets.yaml", "4:10: targets: must list at least one target"},
      {"bad_tls_on_http.yaml",
       "8:7: targets[0].tls_config: an http:// url does not use TLS; remove tls_config or use "
       "https://"},
      {"bad_tls_min_version.yaml",
       "8:20: targets[0].tls_config.min_version: invalid value \"TLS1.2\" (expected one of: "
       "TLS12, TLS13)"},
      {"bad_listen_address.yaml",
       "3:23: global.web_listen_address: address \"localhost\" lacks a port (want HOST:PORT)"},
      {"bad_rate_with_concurrency_mode.yaml",
       "9:7: targets[0].load.rate: only used with mode rate (load.mode is concurrency, the "
       "default); set mode: rate for open-loop levels"},
      {"bad_concurrency_with_rate_mode.yaml",
       "10:7: targets[0].load.concurrency: only used with mode concurrency (load.mode is rate); "
       "the open-loop levels go in rate"},
      {"bad_think_time_in_rate_mode.yaml",
       "10:7: targets[0].load.think_time: only used with mode concurrency (load.mode is rate)"},
      {"bad_missing_rate.yaml",
       "8:7: targets[0].load: missing required key \"rate\" (load.mode is rate)"},
      {"bad_sweep_interval_too_short.yaml",
       "13:17: targets[0].schedule.interval: must be at least the length of one sweep (3 levels x "
       "stage_duration 1m = 3m), got 2m30s (30s short)"},
      {"bad_interval_without_sweep.yaml",
       "8:7: targets[0].schedule.interval: only used with mode sweep (schedule.mode is "
       "continuous, the default); set mode: sweep to run the levels periodically"},
      {"bad_slo_objective.yaml", "9:18: targets[0].slo.objective: must be > 0 and < 1, got 99"},
      {"bad_slo_empty.yaml",
       "7:5: targets[0].slo: sets no objective: give at least one of time_to_first_token, "
       "time_per_output_token, request_duration or error_ratio (or leave slo out)"},
      {"bad_budget_cap.yaml", "8:30: targets[0].budget.max_requests_per_hour: must be >= 1, got 0"},
      {"bad_price_zero.yaml",
       "10:9: targets[0].budget.price: must set input_per_million or output_per_million above 0 "
       "(or leave price out)"},
      {"bad_price_currency.yaml",
       "10:19: targets[0].budget.price.currency: invalid currency \"usd\" (expected a 3-letter "
       "ISO 4217 code in capitals, e.g. USD or EUR)"},
      {"bad_price_currency_mismatch.yaml",
       "19:19: targets[1].budget.price.currency: currency \"EUR\" differs from \"USD\" (the "
       "default) of target \"openai\" (line 9); all priced targets must use the same currency"},
  };
  for (const Case& c : cases) {
    const std::string path = kTestdata + "/" + c.file;
    CAPTURE(path);
    Result<Config> r = LoadConfigFile(path);
    REQUIRE_FALSE(r.ok());
    std::string message = c.message;  // "{testdata}" stands for the directory
    if (const size_t at = message.find("{testdata}"); at != std::string::npos) {
      message.replace(at, 10, kTestdata);
    }
    CHECK(r.status().message() == path + ":" + message);
  }
}

TEST_CASE("config: every bad_*.yaml fixture is covered by a test") {
  // A fixture added without an expected message would otherwise go untested.
  const std::vector<std::string> known = {"bad_unknown_key.yaml",
                                          "bad_unknown_key_suggestion.yaml",
                                          "bad_wrong_type.yaml",
                                          "bad_missing_required.yaml",
                                          "bad_empty_levels.yaml",
                                          "bad_negative_duration.yaml",
                                          "bad_duplicate_target.yaml",
                                          "bad_bad_url.yaml",
                                          "bad_bad_api.yaml",
                                          "bad_both_secrets.yaml",
                                          "bad_inline_authorization_header.yaml",
                                          "bad_warmup_too_long.yaml",
                                          "bad_bad_buckets.yaml",
                                          "bad_yaml_syntax.yaml",
                                          "bad_no_targets.yaml",
                                          "bad_tls_on_http.yaml",
                                          "bad_tls_min_version.yaml",
                                          "bad_listen_address.yaml",
                                          "bad_rate_with_concurrency_mode.yaml",
                                          "bad_concurrency_with_rate_mode.yaml",
                                          "bad_think_time_in_rate_mode.yaml",
                                          "bad_missing_rate.yaml",
                                          "bad_rate_levels.yaml",
                                          "bad_sweep_interval_too_short.yaml",
                                          "bad_interval_without_sweep.yaml",
                                          "bad_slo_objective.yaml",
                                          "bad_slo_empty.yaml",
                                          "bad_budget_cap.yaml",
                                          "bad_price_zero.yaml",
                                          "bad_price_currency.yaml",
                                          "bad_price_currency_mismatch.yaml",
                                          "bad_multiple_errors.yaml",
                                          "bad_auth_header.yaml",
                                          "bad_auth_header_without_secret.yaml",
                                          "bad_base_url_tgi.yaml",
                                          "bad_min_tokens_over_max.yaml",
                                          "bad_min_tokens_dialect.yaml",
                                          "bad_send_max_completion_tokens.yaml",
                                          "bad_extra_body.yaml",
                                          "bad_extra_body_stream.yaml",
                                          "bad_prompt_distribution.yaml",
                                          "bad_prompt_uniform_range.yaml",
                                          "bad_prompt_normal_missing.yaml",
                                          "bad_prompt_key_of_other_distribution.yaml",
                                          "bad_shared_prefix.yaml",
                                          "bad_prompts_file_missing.yaml",
                                          "bad_prompts_file_lines.yaml",
                                          "bad_prompts_with_prompt_tokens.yaml",
                                          "bad_prompts_order_without_file.yaml"};
  for (const auto& entry : std::filesystem::directory_iterator(kTestdata)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("bad_", 0) != 0 || entry.path().extension() != ".yaml") continue;
    CAPTURE(name);
    CHECK(std::find(known.begin(), known.end(), name) != known.end());
  }
}

TEST_CASE("config: all errors are reported, in file order") {
  const std::string path = kTestdata + "/bad_multiple_errors.yaml";
  Result<Config> r = LoadConfigFile(path);
  REQUIRE_FALSE(r.ok());
  const std::string p = path + ":";
  CHECK(r.status().message() ==
        p +
            "3:14: global.log_level: invalid value \"verbose\" (expected one of: debug, info, "
            "warn, error)\n" +
            p +
            "5:11: targets[0].name: invalid target name \"bad name\" (use only letters, digits, "
            "'_', '.' and '-')\n" +
            p + "7:10: targets[0].url: URL scheme \"ftp\" is not supported (use http or https)\n" +
            p + "8:12: targets[0].model: must not be empty\n" + p +
            "10:19: targets[0].workload.max_tokens: must be >= 1, got 0\n" + p +
            "11:19: targets[0].workload.ignore_eos: expected a boolean (true or false), got "
            "\"yes\"\n" +
            p + "13:27: targets[0].load.concurrency[2]: duplicate concurrency level 4\n" + p +
            "13:30: targets[0].load.concurrency[3]: must be between 1 and 4096, got 5000\n" + p +
            "14:23: targets[0].load.stage_duration: missing unit in duration \"60\"\n" + p +
            "15:5: targets[1]: missing required key \"name\"\n" + p +
            "15:5: targets[1]: missing required key \"model\"");
}

TEST_CASE("config: every bad open-loop rate is reported") {
  const std::string path = kTestdata + "/bad_rate_levels.yaml";
  Result<Config> r = LoadConfigFile(path);
  REQUIRE_FALSE(r.ok());
  const std::string p = path + ":";
  CHECK(r.status().message() ==
        p + "9:19: targets[0].load.rate[1]: must be > 0 and <= 10000, got 0\n" + p +
            "9:25: targets[0].load.rate[3]: duplicate rate 0.50 (same value as item 0)\n" + p +
            "9:31: targets[0].load.rate[4]: must be > 0 and <= 10000, got 20000");
}

TEST_CASE("config: good_full.yaml sets every field") {
  const std::string path = kTestdata + "/good_full.yaml";
  Result<Config> r = LoadConfigFile(path);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  const Config& c = r.value();
  CHECK(c.source_path == path);
  CHECK(c.global.web_listen_address == "0.0.0.0:9471");
  CHECK(c.global.log_level == "debug");
  CHECK(c.global.log_format == "json");
  REQUIRE(c.targets.size() == 4);

  const TargetConfig& t = c.targets[0];
  CHECK(t.name == "vllm-llama.8b_prod");
  CHECK(t.api == ApiKind::kOpenAiCompletions);
  CHECK(t.url == "https://[fd00::1]:8443/v1/");
  CHECK(t.url_parts.scheme == "https");
  CHECK(t.url_parts.host == "fd00::1");
  CHECK(t.url_parts.port == 8443);
  CHECK(t.url_parts.path == "/v1/completions");
  CHECK(t.model == "meta-llama/Llama-3.1-8B-Instruct");
  CHECK(t.headers == std::map<std::string, std::string>{{"X-Team", "search"},
                                                        {"OpenAI-Organization", "org-123"}});
  CHECK(t.auth.bearer_token.file == "/run/secrets/vllm.token");
  CHECK(t.auth.bearer_token.env.empty());
  CHECK(t.auth.header == AuthHeader::kBearer);
  CHECK(t.tls.ca_file == "/etc/llmprobe/ca.pem");
  CHECK(t.tls.cert_file == "/etc/llmprobe/client.pem");
  CHECK(t.tls.key_file == "/etc/llmprobe/client-key.pem");
  CHECK(t.tls.server_name == "vllm.internal");
  CHECK(t.tls.insecure_skip_verify);
  CHECK(t.tls.min_version == "TLS13");
  CHECK(t.timeouts.connect_ns == 2 * kNanosPerSecond);
  CHECK(t.timeouts.first_token_ns == 90 * kNanosPerSecond);
  CHECK(t.timeouts.between_tokens_ns == 1500 * kNanosPerMilli);
  CHECK(t.timeouts.total_ns == 600 * kNanosPerSecond);
  CHECK(t.workload.prompt_tokens == 512);  // the uniform range's middle
  CHECK(t.workload.prompt_distribution == PromptLengthDistribution::kUniform);
  CHECK(t.workload.prompt_tokens_min == 256);
  CHECK(t.workload.prompt_tokens_max == 768);
  CHECK(t.workload.shared_prefix_tokens == 128);
  CHECK(t.workload.max_tokens == 128);
  CHECK(t.workload.min_tokens == 32);
  CHECK(t.workload.ignore_eos);
  CHECK_FALSE(t.workload.unique_prefix);
  CHECK(t.workload.extra_body == R"({"top_k":20,"repetition_penalty":1.05,"stop":null,)"
                                 R"("chat_template_kwargs":{"enable_thinking":false}})");
  CHECK(t.load.mode == LoadMode::kConcurrency);
  CHECK(t.load.concurrency == std::vector<int>{1, 4, 16, 64});
  CHECK(t.load.rate.empty());
  CHECK(t.load.think_time_ns == 250 * kNanosPerMilli);
  CHECK(t.load.stage_duration_ns == 120 * kNanosPerSecond);
  CHECK(t.load.warmup_ns == 10 * kNanosPerSecond);
  CHECK(t.load.window_ns == 600 * kNanosPerSecond);
  CHECK(t.schedule.mode == ScheduleMode::kSweep);
  CHECK(t.schedule.interval_ns == 3600 * kNanosPerSecond);
  CHECK_FALSE(t.schedule.random_start);
  CHECK(t.slo.time_to_first_token_ns == 500 * kNanosPerMilli);
  CHECK(t.slo.time_per_output_token_ns == 50 * kNanosPerMilli);
  CHECK(t.slo.request_duration_ns == 10 * kNanosPerSecond);
  CHECK(t.slo.objective == 0.995);
  CHECK(t.slo.error_ratio == 0.01);
  CHECK(t.budget.max_requests_per_hour == 1000);
  CHECK(t.budget.max_output_tokens_per_hour == 5000000000);  // beyond int: read as int64
  CHECK(t.budget.input_price_per_million == 0.15);
  CHECK(t.budget.output_price_per_million == 0.6);
  CHECK(t.budget.currency == "EUR");
  CHECK(t.buckets.time_to_first_token == std::vector<double>{0.05, 0.1, 0.5, 1, 5});
  CHECK(t.buckets.time_per_output_token == std::vector<double>{0.01, 0.02, 0.05, 0.1});
  CHECK(t.buckets.request_duration == std::vector<double>{1, 10, 60, 600});

  // The second target keeps every default it does not set.
  const TargetConfig& m = c.targets[1];
  const TargetConfig defaults;
  CHECK(m.name == "mock");
  CHECK(m.api == ApiKind::kOpenAiChat);
  CHECK(m.url_parts.scheme == "http");
  CHECK(m.url_parts.host == "127.0.0.1");
  CHECK(m.url_parts.port == 8000);
  CHECK(m.url_parts.path == "/v1/chat/completions?api-version=2024-02-01");
  CHECK(m.auth.bearer_token.env == "MOCK_TOKEN");
  CHECK(m.auth.bearer_token.file.empty());
  CHECK(m.headers.empty());
  CHECK(m.tls.ca_file.empty());
  CHECK_FALSE(m.tls.insecure_skip_verify);
  CHECK(m.tls.min_version.empty());
  CHECK(m.timeouts.connect_ns == defaults.timeouts.connect_ns);
  CHECK(m.timeouts.total_ns == defaults.timeouts.total_ns);
  CHECK(m.workload.prompt_tokens == defaults.workload.prompt_tokens);
  CHECK(m.workload == defaults.workload);
  CHECK(m.auth.header == AuthHeader::kDefault);
  CHECK(m.load.concurrency == defaults.load.concurrency);
  CHECK(m.load.stage_duration_ns == defaults.load.stage_duration_ns);
  CHECK(m.load.warmup_ns == defaults.load.warmup_ns);
  CHECK(m.load.mode == LoadMode::kConcurrency);
  CHECK(m.load.think_time_ns == 0);
  CHECK(m.load.window_ns == 300 * kNanosPerSecond);
  CHECK(m.schedule.mode == ScheduleMode::kContinuous);
  CHECK(m.schedule.interval_ns == 30 * 60 * kNanosPerSecond);
  CHECK(m.schedule.random_start);
  CHECK_FALSE(m.slo.any());
  CHECK(m.slo.objective == 0.99);
  CHECK(m.budget.max_requests_per_hour == 0);
  CHECK(m.budget.max_output_tokens_per_hour == 0);
  CHECK_FALSE(m.budget.priced());
  CHECK(m.budget.currency == "USD");
  CHECK(m.buckets.time_to_first_token.empty());
  CHECK(m.buckets.request_duration.empty());

  // The third target runs open loop; in rate mode the levels are the rates only.
  const TargetConfig& o = c.targets[2];
  CHECK(o.name == "open-loop");
  CHECK(o.load.mode == LoadMode::kRate);
  CHECK(o.load.rate == std::vector<double>{0.5, 1, 2.5});
  CHECK(o.load.concurrency.empty());
  CHECK(o.load.arrival == Arrival::kConstant);
  CHECK(o.load.max_inflight == 64);
  CHECK(o.load.stage_duration_ns == 30 * kNanosPerSecond);
  CHECK(o.load.warmup_ns == 0);
  CHECK(o.budget.input_price_per_million == 0);
  CHECK(o.budget.output_price_per_million == 2);
  CHECK(o.budget.currency == "EUR");

  // The fourth sends a file's prompts (resolved next to the config file).
  const WorkloadConfig& f = c.targets[3].workload;
  CHECK(f.prompts_file == kTestdata + "/good_prompts.jsonl");
  CHECK(f.prompts.size() == 3);
  CHECK(f.prompts_order == PromptsOrder::kRandom);
  CHECK_FALSE(f.send_max_completion_tokens);
}

TEST_CASE("config: every example in config/ loads") {
  const std::filesystem::path dir = std::filesystem::path(LLMPROBE_SOURCE_DIR) / "config";
  int loaded = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto ext = entry.path().extension();
    if (ext != ".yaml" && ext != ".yml") continue;
    CAPTURE(entry.path().string());
    Result<Config> r = LoadConfigFile(entry.path().string());
    CHECK_MESSAGE(r.ok(), r.status().message());
    ++loaded;
  }
  CHECK(loaded >= 4);
}

TEST_CASE("config: the slo-budget-sweep example shows SLOs, a priced budget and a sweep") {
  const std::string path = std::string(LLMPROBE_SOURCE_DIR) + "/config/slo-budget-sweep.yaml";
  Result<Config> r = LoadConfigFile(path);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  bool slo = false, priced = false, capped = false, sweep = false, rate = false;
  for (const TargetConfig& t : r.value().targets) {
    slo = slo || t.slo.any();
    priced = priced || t.budget.priced();
    capped =
        capped || t.budget.max_requests_per_hour > 0 || t.budget.max_output_tokens_per_hour > 0;
    sweep = sweep || t.schedule.mode == ScheduleMode::kSweep;
    rate = rate || t.load.mode == LoadMode::kRate;
  }
  CHECK(slo);
  CHECK(priced);
  CHECK(capped);
  CHECK(sweep);
  CHECK(rate);
}

TEST_CASE("config: error message format") {
  CHECK(ConfigError{"a.yaml", 7, 5, "targets[0].x", "unknown key \"x\""}.ToString() ==
        "a.yaml:7:5: targets[0].x: unknown key \"x\"");
  CHECK(ConfigError{"a.yaml", 1, 1, "", "expected a mapping, got a list"}.ToString() ==
        "a.yaml:1:1: expected a mapping, got a list");
  CHECK(ConfigError{"a.yaml", 0, 0, "", "cannot read file: No such file or directory"}.ToString() ==
        "a.yaml: cannot read file: No such file or directory");

  Result<Config> missing = LoadConfigFile(kTestdata + "/does_not_exist.yaml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() ==
        kTestdata + "/does_not_exist.yaml: cannot read file: No such file or directory");
  Result<Config> dir = LoadConfigFile(kTestdata);
  REQUIRE_FALSE(dir.ok());
  CHECK(dir.status().message() == kTestdata + ": cannot read file: Is a directory");
}

TEST_CASE("config: document-level errors") {
  CHECK(ErrorsOf("") == "t.yaml:1:1: missing required key \"targets\"");
  CHECK(ErrorsOf("# only a comment\n") == "t.yaml:1:1: missing required key \"targets\"");
  CHECK(ErrorsOf("- a\n- b\n") == "t.yaml:1:1: expected a mapping, got a list");
  CHECK(ErrorsOf("global: {}\n") == "t.yaml:1:1: missing required key \"targets\"");
  CHECK(ErrorsOf("targets:\n") == "t.yaml:1:1: targets: must list at least one target");
  CHECK(ErrorsOf("targets: mock\n") == "t.yaml:1:10: targets: expected a list, got \"mock\"");
  CHECK(ErrorsOf("targett: []\n") ==
        "t.yaml:1:1: targett: unknown key \"targett\" (did you mean \"targets\"?)");
  CHECK(ErrorsOf(Target() + "---\n" + Target()) ==
        "t.yaml:7:1: (yaml): only one YAML document is allowed");
  CHECK(ErrorsOf("---\n" + Target() + "---\n\n---\n# end\n") == "");
  // yaml-cpp 0.7's YAML::LoadAll loops until out of memory on this (found by fuzzing).
  CHECK(ErrorsOf("- a\n,") == "t.yaml:2:1: (yaml): unexpected content (not valid YAML)");
  CHECK(ErrorsOf("targets:\n  - a\n,\n") == "t.yaml:3:1: (yaml): end of map not found");
  CHECK(ErrorsOf("targets: [\n") == "t.yaml:2:1: (yaml): end of sequence flow not found");
  CHECK(ErrorsOf("a: *nope\n") == "t.yaml:1:4: (yaml): the referenced anchor is not defined");
  CHECK(ErrorsOf("- x\n", "other name") == "other name:1:1: expected a mapping, got a list");
}

TEST_CASE("config: minimal target gets the defaults") {
  Result<Config> r = LoadConfigString(Target(), "t.yaml");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  const TargetConfig& t = r.value().targets.at(0);
  const TargetConfig defaults;
  CHECK(t.workload.max_tokens == defaults.workload.max_tokens);
  CHECK(t.load.concurrency == std::vector<int>{1});
  CHECK(t.auth.bearer_token.empty());
  CHECK(r.value().global.log_level.empty());
  // Empty sections (everything commented out) are allowed.
  CHECK(ErrorsOf("global:\n" + Target("    workload:\n    load:\n    headers:\n")) == "");
}

TEST_CASE("config: type errors") {
  const auto at = [](const std::string& extra) { return ErrorsOf(Target(extra)); };
  CHECK(at("    workload:\n      prompt_tokens: \"128\"\n") ==
        "t.yaml:7:22: targets[0].workload.prompt_tokens: expected an integer or a mapping "
        "(distribution: fixed, uniform or normal), got string \"128\"");
  CHECK(at("    workload:\n      max_tokens: 1.5\n") ==
        "t.yaml:7:19: targets[0].workload.max_tokens: expected an integer, got \"1.5\"");
  CHECK(at("    workload:\n      max_tokens: 99999999999999999999\n") ==
        "t.yaml:7:19: targets[0].workload.max_tokens: must be >= 1, got 99999999999999999999");
  CHECK(at("    workload:\n      max_tokens:\n") ==
        "t.yaml:7:7: targets[0].workload.max_tokens: expected an integer, got null");
  CHECK(at("    workload:\n      ignore_eos: [true]\n") ==
        "t.yaml:7:19: targets[0].workload.ignore_eos: expected a boolean (true or false), got a "
        "list");
  CHECK(at("    workload: 5\n") ==
        "t.yaml:6:15: targets[0].workload: expected a mapping, got \"5\"");
  CHECK(at("    load:\n      concurrency: 4\n") ==
        "t.yaml:7:20: targets[0].load.concurrency: expected a list, got \"4\"");
  CHECK(at("    load:\n      concurrency: [1, two, 0]\n") ==
        "t.yaml:7:24: targets[0].load.concurrency[1]: expected an integer, got \"two\"\n"
        "t.yaml:7:29: targets[0].load.concurrency[2]: must be between 1 and 4096, got 0");
  CHECK(at("    timeouts:\n      total: {a: 1}\n") ==
        "t.yaml:7:14: targets[0].timeouts.total: expected a duration such as \"30s\", got a "
        "mapping");
  CHECK(at("    timeouts:\n      connect: 0s\n") ==
        "t.yaml:7:16: targets[0].timeouts.connect: must be greater than 0, got \"0s\"");
  CHECK(ErrorsOf("targets:\n  - name: [a]\n    api: openai-chat\n    url: http://h/v1\n"
                 "    model: m\n") ==
        "t.yaml:2:11: targets[0].name: expected a string, got a list");
  CHECK(ErrorsOf("targets:\n  - mock\n") ==
        "t.yaml:2:5: targets[0]: expected a mapping, got \"mock\"");
}

TEST_CASE("config: keys") {
  const auto at = [](const std::string& extra) { return ErrorsOf(Target(extra)); };
  CHECK(at("    model: other\n") ==
        "t.yaml:6:5: targets[0].model: duplicate key \"model\" (first defined at line 5)");
  // A misspelt required key draws the suggestion only, not also "missing required key".
  CHECK(ErrorsOf("targets:\n  - name: mock\n    api: openai-chat\n    url: http://h/v1\n"
                 "    modle: m\n") ==
        "t.yaml:5:5: targets[0].modle: unknown key \"modle\" (did you mean \"model\"?)");
  // Too short to guess from.
  CHECK(at("    ab: 1\n") == "t.yaml:6:5: targets[0].ab: unknown key \"ab\"");
  CHECK(at("    Model: x\n") ==
        "t.yaml:6:5: targets[0].Model: unknown key \"Model\" (did you mean \"model\"?)");
  CHECK(ErrorsOf("global:\n  log_levle: info\n" + Target()) ==
        "t.yaml:2:3: global.log_levle: unknown key \"log_levle\" (did you mean \"log_level\"?)");
}

TEST_CASE("config: global section") {
  Result<Config> r = LoadConfigString(
      "global:\n  web_listen_address: \"[::1]:9470\"\n  log_level: warn\n  log_format: logfmt\n" +
          Target(),
      "t.yaml");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r.value().global.web_listen_address == "[::1]:9470");
  CHECK(r.value().global.log_level == "warn");
  CHECK(ErrorsOf("global:\n  web_listen_address: \":9470\"\n" + Target()) == "");
  CHECK(ErrorsOf("global:\n  web_listen_address: localhost\n  log_format: text\n" + Target()) ==
        "t.yaml:2:23: global.web_listen_address: address \"localhost\" lacks a port (want "
        "HOST:PORT)\n"
        "t.yaml:3:15: global.log_format: invalid value \"text\" (expected one of: logfmt, json)");
  // ParseHostPort's rules (common/HostPort.h), plus a host the socket layer would refuse.
  const auto listen = [](const std::string& address) {
    return ErrorsOf("global:\n  web_listen_address: \"" + address + "\"\n" + Target());
  };
  CHECK(listen("localhost:0") == "");
  CHECK(listen("::1:9470") ==
        "t.yaml:2:23: global.web_listen_address: address \"::1:9470\": IPv6 hosts need brackets, "
        "e.g. [::1]:9470");
  CHECK(listen("h:65536") ==
        "t.yaml:2:23: global.web_listen_address: address \"h:65536\": port must be a number from 0 "
        "to 65535");
  CHECK(listen("h:") ==
        "t.yaml:2:23: global.web_listen_address: address \"h:\": port must be a number from 0 to "
        "65535");
  CHECK(listen("my host:80") ==
        "t.yaml:2:23: global.web_listen_address: address \"my host:80\" has an invalid host \"my "
        "host\"");
  CHECK(listen("[fe80::1:80") ==
        "t.yaml:2:23: global.web_listen_address: address \"[fe80::1:80\": IPv6 hosts need "
        "brackets, e.g. [::1]:9470");
  CHECK(listen("[h:80") ==
        "t.yaml:2:23: global.web_listen_address: address \"[h:80\" has an invalid host \"[h\"");
}

TEST_CASE("config: headers, auth and tls") {
  const auto at = [](const std::string& extra,
                     const std::string& url = "https://api.example.com/v1") {
    return ErrorsOf(Target(extra, url));
  };
  CHECK(at("    headers:\n      \"X Team\": a\n") ==
        "t.yaml:7:7: targets[0].headers.X Team: invalid header name \"X Team\" (not an HTTP "
        "token)");
  CHECK(at("    headers:\n      Api-Key: k\n") ==
        "t.yaml:7:7: targets[0].headers.Api-Key: header \"Api-Key\" would put a secret in the "
        "config file; use auth.bearer_token_file or auth.bearer_token_env instead");
  CHECK(at("    headers:\n      X-API-KEY: k\n") ==
        "t.yaml:7:7: targets[0].headers.X-API-KEY: header \"X-API-KEY\" would put a secret in the "
        "config file; use auth.bearer_token_file or auth.bearer_token_env instead");
  CHECK(at("    headers:\n      X-Team: a\n      x-team: b\n") ==
        "t.yaml:8:7: targets[0].headers.x-team: duplicate header \"x-team\" (first defined at "
        "line 7)");
  CHECK(at("    headers:\n      X-Team: \"a\\r\\nHost: evil\"\n") ==
        "t.yaml:7:15: targets[0].headers.X-Team: header value must not contain control "
        "characters");
  CHECK(at("    headers: [a]\n") ==
        "t.yaml:6:14: targets[0].headers: expected a mapping, got a list");
  CHECK(at("    auth:\n      bearer_token_env: \"\"\n") ==
        "t.yaml:7:25: targets[0].auth.bearer_token_env: must not be empty");
  CHECK(at("    auth:\n      bearer_token_env: OPENAI-KEY\n") ==
        "t.yaml:7:25: targets[0].auth.bearer_token_env: invalid environment variable name "
        "\"OPENAI-KEY\"");
  CHECK(at("    auth:\n      bearer_token_env: K\n      bearer_token_file: /f\n") ==
        "t.yaml:8:26: targets[0].auth.bearer_token_file: only one of bearer_token_file and "
        "bearer_token_env may be set");
  CHECK(at("    auth:\n      password: x\n") ==
        "t.yaml:7:7: targets[0].auth.password: unknown key \"password\"");
  CHECK(at("    tls_config:\n      cert_file: /c.pem\n") ==
        "t.yaml:7:7: targets[0].tls_config: missing required key \"key_file\" (cert_file is set)");
  CHECK(at("    tls_config:\n      key_file: /k.pem\n") ==
        "t.yaml:7:7: targets[0].tls_config: missing required key \"cert_file\" (key_file is set)");
  CHECK(at("    tls_config:\n      insecure_skip_verify: yes\n") ==
        "t.yaml:7:29: targets[0].tls_config.insecure_skip_verify: expected a boolean (true or "
        "false), got \"yes\"");
  CHECK(at("    tls_config:\n      min_version: TLS11\n") ==
        "t.yaml:7:20: targets[0].tls_config.min_version: invalid value \"TLS11\" (expected one "
        "of: TLS12, TLS13)");
  Result<Config> r = LoadConfigString(
      Target("    tls_config:\n      min_version: TLS12\n", "https://h/v1"), "t.yaml");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r.value().targets[0].tls.min_version == "TLS12");
}

TEST_CASE("config: load and buckets") {
  const auto at = [](const std::string& extra) { return ErrorsOf(Target(extra)); };
  // Warm-up is checked against the default stage_duration (60s) when none is given.
  CHECK(at("    load:\n      warmup: 60s\n") ==
        "t.yaml:7:15: targets[0].load.warmup: must be shorter than stage_duration (1m), got 1m");
  CHECK(at("    load:\n      warmup: 0s\n") == "");
  // An invalid stage_duration is not compared with (no second, derived error).
  CHECK(at("    load:\n      stage_duration: -1m\n      warmup: 5s\n") ==
        "t.yaml:7:23: targets[0].load.stage_duration: negative duration \"-1m\"");
  CHECK(at("    buckets:\n      request_duration: []\n") ==
        "t.yaml:7:25: targets[0].buckets.request_duration: must list at least one bucket bound");
  CHECK(at("    buckets:\n      time_per_output_token: [0, .5, abc, .inf]\n") ==
        "t.yaml:7:31: targets[0].buckets.time_per_output_token[0]: bucket bounds must be positive "
        "numbers, got 0\n"
        "t.yaml:7:38: targets[0].buckets.time_per_output_token[2]: expected a number, got "
        "\"abc\"\n"
        "t.yaml:7:43: targets[0].buckets.time_per_output_token[3]: expected a number, got "
        "\".inf\"");
  Result<Config> r = LoadConfigString(
      Target("    buckets:\n      request_duration: [+1, 2.5e1, 1e3]\n"), "t.yaml");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r.value().targets[0].buckets.request_duration == std::vector<double>{1, 25, 1000});
}

TEST_CASE("config: load modes") {
  const auto at = [](const std::string& extra) { return ErrorsOf(Target(extra)); };
  // A key of the other mode is reported at the key, as an unknown key is.
  CHECK(
      at("    load:\n      mode: concurrency\n      arrival: constant\n      max_inflight: 8\n") ==
      "t.yaml:8:7: targets[0].load.arrival: only used with mode rate (load.mode is "
      "concurrency)\n"
      "t.yaml:9:7: targets[0].load.max_inflight: only used with mode rate (load.mode is "
      "concurrency)");
  // With an invalid mode it is unknown which keys belong: only the mode is reported.
  CHECK(at("    load:\n      mode: open\n      rate: [1]\n      think_time: 1s\n") ==
        "t.yaml:7:13: targets[0].load.mode: invalid value \"open\" (expected one of: concurrency, "
        "rate)");
  CHECK(at("    load:\n      mode: rate\n      rate: []\n") ==
        "t.yaml:8:13: targets[0].load.rate: must list at least one rate");
  CHECK(at("    load:\n      mode: rate\n      rate: 2\n") ==
        "t.yaml:8:13: targets[0].load.rate: expected a list, got \"2\"");
  CHECK(at("    load:\n      mode: rate\n      rate: [inf, \"1\", 1e5, -1]\n") ==
        "t.yaml:8:14: targets[0].load.rate[0]: expected a number, got \"inf\"\n"
        "t.yaml:8:19: targets[0].load.rate[1]: expected a number, got string \"1\"\n"
        "t.yaml:8:24: targets[0].load.rate[2]: must be > 0 and <= 10000, got 1e5\n"
        "t.yaml:8:29: targets[0].load.rate[3]: must be > 0 and <= 10000, got -1");
  CHECK(at("    load:\n      mode: rate\n      rate: [1]\n      max_inflight: 0\n") ==
        "t.yaml:9:21: targets[0].load.max_inflight: must be between 1 and 4096, got 0");
  CHECK(at("    load:\n      mode: rate\n      rate: [1]\n      arrival: uniform\n") ==
        "t.yaml:9:16: targets[0].load.arrival: invalid value \"uniform\" (expected one of: "
        "poisson, constant)");
  CHECK(at("    load:\n      think_time: -1s\n") ==
        "t.yaml:7:19: targets[0].load.think_time: negative duration \"-1s\"");
  CHECK(at("    load:\n      window: 0s\n") ==
        "t.yaml:7:15: targets[0].load.window: must be greater than 0, got \"0s\"");
  CHECK(at("    load:\n      mode: concurrency\n      think_time: 0s\n      window: 1h\n") == "");

  Result<Config> r = LoadConfigString(
      Target("    load:\n      mode: rate\n      rate: [10000, 0.001, +2, 2.5e1]\n"), "t.yaml");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  const LoadConfig& load = r.value().targets[0].load;
  CHECK(load.mode == LoadMode::kRate);
  CHECK(load.rate == std::vector<double>{10000, 0.001, 2, 25});
  CHECK(load.concurrency.empty());  // the levels are the rates only
  CHECK(load.arrival == Arrival::kPoisson);
  CHECK(load.max_inflight == 256);
}

TEST_CASE("config: schedule") {
  const auto at = [](const std::string& extra) { return ErrorsOf(Target(extra)); };
  // Without an interval the default 30m must hold one sweep; reported at the section.
  CHECK(at("    load:\n      concurrency: [1, 2, 4, 8]\n      stage_duration: 10m\n"
           "    schedule:\n      mode: sweep\n") ==
        "t.yaml:10:7: targets[0].schedule: one sweep (4 levels x stage_duration 10m = 40m) does "
        "not fit in the default interval 30m (10m short); set a longer interval");
  // Exactly one sweep long is enough; in rate mode the rates are the levels.
  CHECK(at("    load:\n      mode: rate\n      rate: [1, 2]\n      stage_duration: 15m\n"
           "    schedule:\n      mode: sweep\n") == "");
  CHECK(at("    load:\n      mode: rate\n      rate: [1, 2, 3]\n      stage_duration: 15m\n"
           "    schedule:\n      mode: sweep\n      interval: 40m\n") ==
        "t.yaml:12:17: targets[0].schedule.interval: must be at least the length of one sweep (3 "
        "levels x stage_duration 15m = 45m), got 40m (5m short)");
  CHECK(at("    load:\n      stage_duration: 2m\n    schedule:\n      mode: sweep\n"
           "      interval: 1m\n") ==
        "t.yaml:10:17: targets[0].schedule.interval: must be at least the length of one sweep (1 "
        "level x stage_duration 2m = 2m), got 1m (1m short)");
  // A broken load section is not compared with (no second, derived error).
  CHECK(at("    load:\n      concurrency: [1, 0]\n    schedule:\n      mode: sweep\n"
           "      interval: 1s\n") ==
        "t.yaml:7:24: targets[0].load.concurrency[1]: must be between 1 and 4096, got 0");
  // Stages too long to multiply: no overflow, just too short.
  CHECK(at("    load:\n      concurrency: [1, 2]\n      stage_duration: 2000000h\n"
           "    schedule:\n      mode: sweep\n      interval: 1h\n")
            .find("(2 levels x stage_duration 2000000h = ") != std::string::npos);
  CHECK(at("    schedule:\n      mode: continuous\n      random_start: false\n") ==
        "t.yaml:8:7: targets[0].schedule.random_start: only used with mode sweep (schedule.mode "
        "is continuous); set mode: sweep to run the levels periodically");
  CHECK(at("    schedule:\n      mode: weekly\n      interval: 1h\n") ==
        "t.yaml:7:13: targets[0].schedule.mode: invalid value \"weekly\" (expected one of: "
        "continuous, sweep)");
  CHECK(at("    schedule:\n      mode: sweep\n      interval: 0s\n") ==
        "t.yaml:8:17: targets[0].schedule.interval: must be greater than 0, got \"0s\"");
  CHECK(at("    schedule:\n") == "");

  Result<Config> r = LoadConfigString(
      Target("    schedule:\n      mode: sweep\n      interval: 2h\n      random_start: true\n"),
      "t.yaml");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  const ScheduleConfig& schedule = r.value().targets[0].schedule;
  CHECK(schedule.mode == ScheduleMode::kSweep);
  CHECK(schedule.interval_ns == 7200 * kNanosPerSecond);
  CHECK(schedule.random_start);
}

TEST_CASE("config: slo") {
  const auto at = [](const std::string& extra) { return ErrorsOf(Target(extra)); };
  const std::string none =
      "targets[0].slo: sets no objective: give at least one of time_to_first_token, "
      "time_per_output_token, request_duration or error_ratio (or leave slo out)";
  // An objective alone has nothing to apply to.
  CHECK(at("    slo:\n      objective: 0.9\n") == "t.yaml:7:7: " + none);
  CHECK(at("    slo: {}\n") == "t.yaml:6:10: " + none);
  CHECK(at("    slo:\n      error_ratio: 1\n") ==
        "t.yaml:7:20: targets[0].slo.error_ratio: must be >= 0 and < 1, got 1");
  CHECK(at("    slo:\n      error_ratio: 0\n") == "");
  // An invalid threshold is its own error, not also "sets no objective".
  CHECK(at("    slo:\n      time_to_first_token: 0s\n") ==
        "t.yaml:7:28: targets[0].slo.time_to_first_token: must be greater than 0, got \"0s\"");
  CHECK(at("    slo:\n      request_duration: 10s\n      objective: 0\n") ==
        "t.yaml:8:18: targets[0].slo.objective: must be > 0 and < 1, got 0");
  CHECK(at("    slo:\n      request_duration: 10s\n      objective: \"0.9\"\n") ==
        "t.yaml:8:18: targets[0].slo.objective: expected a number, got string \"0.9\"");

  Result<Config> r =
      LoadConfigString(Target("    slo:\n      time_per_output_token: 40ms\n"), "t.yaml");
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  const SloConfig& slo = r.value().targets[0].slo;
  CHECK(slo.time_per_output_token_ns == 40 * kNanosPerMilli);
  CHECK(slo.time_to_first_token_ns == 0);
  CHECK(slo.objective == 0.99);
  CHECK(slo.error_ratio < 0);  // none
}

TEST_CASE("config: budget and price") {
  const auto at = [](const std::string& extra) { return ErrorsOf(Target(extra)); };
  CHECK(at("    budget:\n      max_output_tokens_per_hour: 99999999999999999999\n") ==
        "t.yaml:7:35: targets[0].budget.max_output_tokens_per_hour: must be >= 1, got "
        "99999999999999999999");
  CHECK(at("    budget:\n      max_requests_per_hour: 1.5\n") ==
        "t.yaml:7:30: targets[0].budget.max_requests_per_hour: expected an integer, got \"1.5\"");
  // Invalid prices are reported as such, without the derived "must set ... above 0".
  CHECK(at("    budget:\n      price:\n        input_per_million: -1\n"
           "        output_per_million: .inf\n") ==
        "t.yaml:8:28: targets[0].budget.price.input_per_million: must be >= 0, got -1\n"
        "t.yaml:9:29: targets[0].budget.price.output_per_million: expected a number, got "
        "\".inf\"");
  CHECK(at("    budget:\n      price:\n") ==
        "t.yaml:7:7: targets[0].budget.price: must set input_per_million or output_per_million "
        "above 0 (or leave price out)");
  CHECK(at("    budget:\n      price:\n        input_per_million: 1\n        currency: EURO\n") ==
        "t.yaml:9:19: targets[0].budget.price.currency: invalid currency \"EURO\" (expected a "
        "3-letter ISO 4217 code in capitals, e.g. USD or EUR)");
  CHECK(at("    budget:\n") == "");

  // One currency across priced targets: the error is at the first that differs and names the
  // first priced target; unpriced targets and invalid prices take no part.
  const auto item = [](const std::string& name, const std::string& extra) {
    return "  - name: " + name + "\n    api: openai-chat\n    url: http://h/v1\n    model: m\n" +
           extra;
  };
  const std::string price = "    budget:\n      price:\n";
  CHECK(ErrorsOf("targets:\n" +
                 item("a", price + "        output_per_million: 1\n" + "        currency: GBP\n") +
                 item("b", "") + item("c", price + "        input_per_million: 1\n") +
                 item("d", price + "        input_per_million: 1\n        currency: GBP\n") +
                 item("e", price + "        input_per_million: -1\n")) ==
        "t.yaml:20:9: targets[2].budget.price.currency: currency \"USD\" (the default) differs "
        "from \"GBP\" of target \"a\" (line 9); all priced targets must use the same currency\n"
        "t.yaml:35:28: targets[4].budget.price.input_per_million: must be >= 0, got -1");
}

TEST_CASE("config: url errors never echo credentials") {
  const std::string errors = ErrorsOf(Target("", "https://user:s3cr3t@api.example.com/v1") +
                                      Target("", "ftp://u:s3cr3t@h/"));
  CHECK(errors.find("s3cr3t") == std::string::npos);
  CHECK(ErrorsOf(Target("", "u:s3cr3t@host/v1")).find("s3cr3t") == std::string::npos);
}

TEST_CASE("config: ParseTargetUrl") {
  struct Case {
    const char* url;
    ApiKind api;
    const char* scheme;
    const char* host;
    int port;
    const char* path;
  };
  const Case good[] = {
      {"http://127.0.0.1:8000/v1/chat/completions", ApiKind::kOpenAiChat, "http", "127.0.0.1", 8000,
       "/v1/chat/completions"},
      {"http://127.0.0.1:8000/v1", ApiKind::kOpenAiChat, "http", "127.0.0.1", 8000,
       "/v1/chat/completions"},
      {"http://127.0.0.1:8000/v1/", ApiKind::kOpenAiChat, "http", "127.0.0.1", 8000,
       "/v1/chat/completions"},
      {"http://127.0.0.1:8000/v1", ApiKind::kOpenAiCompletions, "http", "127.0.0.1", 8000,
       "/v1/completions"},
      {"https://api.openai.com/v1", ApiKind::kOpenAiChat, "https", "api.openai.com", 443,
       "/v1/chat/completions"},
      {"https://gw.example.com/openai/v1?api-version=1", ApiKind::kOpenAiCompletions, "https",
       "gw.example.com", 443, "/openai/v1/completions?api-version=1"},
      {"HTTP://Example.com", ApiKind::kOpenAiChat, "http", "Example.com", 80, "/"},
      {"http://h?x=1", ApiKind::kOpenAiChat, "http", "h", 80, "/?x=1"},
      {"http://[::1]:8000/v1", ApiKind::kOpenAiChat, "http", "::1", 8000, "/v1/chat/completions"},
      {"https://[2001:db8::1]/x", ApiKind::kOpenAiChat, "https", "2001:db8::1", 443, "/x"},
      {"http://vllm_server:8000/v1/completions", ApiKind::kOpenAiCompletions, "http", "vllm_server",
       8000, "/v1/completions"},
      // Only a trailing /v1 is completed.
      {"http://h/v1/models/x", ApiKind::kOpenAiChat, "http", "h", 80, "/v1/models/x"},
      {"http://h/v10", ApiKind::kOpenAiChat, "http", "h", 80, "/v10"},
  };
  for (const Case& c : good) {
    CAPTURE(c.url);
    Result<UrlParts> r = ParseTargetUrl(c.url, c.api);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r.value().scheme == c.scheme);
    CHECK(r.value().host == c.host);
    CHECK(r.value().port == c.port);
    CHECK(r.value().path == c.path);
  }

  struct Bad {
    const char* url;
    const char* message;
  };
  const Bad bad[] = {
      {"", "URL is empty"},
      {"127.0.0.1:8000/v1", "URL must start with http:// or https://"},
      {"ftp://h/", "URL scheme \"ftp\" is not supported (use http or https)"},
      {"http://user:pw@h/v1",
       "URL must not contain credentials (user:password@); use auth.bearer_token_file or "
       "auth.bearer_token_env"},
      {"http://h/v1#frag", "URL \"http://h/v1#frag\" must not contain a fragment (#...)"},
      {"http:///v1", "URL \"http:///v1\" has no host"},
      {"http://:80/v1", "URL \"http://:80/v1\" has no host"},
      {"http://[]:80/", "URL \"http://[]:80/\" has no host"},
      {"http://h:0/", "URL \"http://h:0/\" has an invalid port \"0\""},
      {"http://h:65536/", "URL \"http://h:65536/\" has an invalid port \"65536\""},
      {"http://h:/", "URL \"http://h:/\" has an invalid port \"\""},
      {"http://h:8x/", "URL \"http://h:8x/\" has an invalid port \"8x\""},
      {"http://::1:8000/",
       "URL \"http://::1:8000/\" has an IPv6 address without brackets (write "
       "http://[::1]:8000)"},
      {"http://[::1/", "URL \"http://[::1/\" has an unterminated IPv6 address"},
      {"http://[::1]x/", "URL \"http://[::1]x/\" has junk after the IPv6 address"},
      {"http://[zz::1]/", "URL \"http://[zz::1]/\" has an invalid IPv6 address"},
      {"http://h%41/", "URL \"http://h%41/\" has an invalid host"},
      {"http://h/a b", "URL must not contain spaces or control characters"},
  };
  for (const Bad& b : bad) {
    CAPTURE(b.url);
    Result<UrlParts> r = ParseTargetUrl(b.url, ApiKind::kOpenAiChat);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == b.message);
  }
}

TEST_CASE("config: ApiKindName and default buckets") {
  CHECK(std::string(ApiKindName(ApiKind::kOpenAiChat)) == "openai-chat");
  CHECK(std::string(ApiKindName(ApiKind::kOpenAiCompletions)) == "openai-completions");
  const std::vector<const std::vector<double>*> all = {&DefaultTtftBuckets(), &DefaultTpotBuckets(),
                                                       &DefaultRequestDurationBuckets()};
  for (const auto* buckets : all) {
    REQUIRE_FALSE(buckets->empty());
    CHECK(std::is_sorted(buckets->begin(), buckets->end()));
    CHECK(std::adjacent_find(buckets->begin(), buckets->end()) == buckets->end());
  }
  CHECK(DefaultTtftBuckets().size() == 22);
  CHECK(DefaultTtftBuckets().front() == 0.001);
  CHECK(DefaultTtftBuckets().back() == 2560);
  CHECK(DefaultTpotBuckets().size() == 19);
  CHECK(DefaultTpotBuckets().front() == 0.01);
  CHECK(DefaultTpotBuckets().back() == 80);
  CHECK(DefaultRequestDurationBuckets().size() == 20);
  CHECK(DefaultRequestDurationBuckets().front() == 0.1);
  CHECK(DefaultRequestDurationBuckets().back() == 7680);
}

TEST_CASE("config: label cardinality is bounded (targets and levels per target)") {
  std::string many = "targets:\n";
  for (int i = 0; i < 501; ++i) {
    many +=
        "  - {name: t" + std::to_string(i) + ", api: openai-chat, url: http://h/v1, model: m}\n";
  }
  CHECK(ErrorsOf(many) ==
        "t.yaml:2:3: targets: lists 501 targets, more than 500 (label cardinality): split them "
        "over replicas with --shard INDEX/COUNT");
  std::string levels = "[1";
  for (int i = 2; i <= 33; ++i) levels += ", " + std::to_string(i);
  levels += "]";
  CHECK(ErrorsOf("targets:\n  - name: t\n    api: openai-chat\n    url: http://h/v1\n    model: "
                 "m\n    load:\n      concurrency: " +
                 levels + "\n") ==
        "t.yaml:7:20: targets[0].load.concurrency: lists 33 levels, more than 32 (label "
        "cardinality)");
  CHECK(ErrorsOf("targets:\n  - name: t\n    api: openai-chat\n    url: http://h/v1\n    model: "
                 "m\n    load:\n      mode: rate\n      rate: " +
                 levels + "\n") ==
        "t.yaml:8:13: targets[0].load.rate: lists 33 levels, more than 32 (label cardinality)");
}

// Found by fuzz_config_loader: a value echoed in an error held a newline, which split the
// error over two lines (one error per line is the contract).
TEST_CASE("config: control characters in echoed values are escaped") {
  CHECK(ErrorsOf("global:\n  web_listen_address: \"x\\ny:1:2\"\ntargets: []\n") ==
        "t.yaml:2:23: global.web_listen_address: address \"x\\ny:1:2\": IPv6 hosts need "
        "brackets, e.g. [::1]:9470\n"
        "t.yaml:3:10: targets: must list at least one target");
}

}  // namespace llmprobe
