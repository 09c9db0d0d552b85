// The config keys of issue 5: every api kind and its base URL, auth.header, and the workload
// section (prompt length distributions, shared prefix, prompts_file, output length extras).
#include <doctest/doctest.h>

#include <string>
#include <utility>

#include "config/Config.h"
#include "config/ConfigDump.h"
#include "config/ConfigLoader.h"
#include "support/TestSupport.h"

namespace llmprobe {
namespace {

const std::string kTestdata = LLMPROBE_TESTDATA_DIR;

std::string Target(const std::string& extra, const std::string& api = "openai-chat",
                   const std::string& url = "http://127.0.0.1:8000/v1") {
  return "targets:\n  - name: t\n    api: " + api + "\n    url: " + url + "\n    model: m\n" +
         extra;
}

std::string ErrorsOf(const std::string& yaml, const std::string& base_dir = "") {
  Result<Config> r = LoadConfigString(yaml, "t.yaml", base_dir);
  return r.ok() ? std::string() : r.status().message();
}

TargetConfig Load(const std::string& yaml, const std::string& base_dir = "") {
  Result<Config> r = LoadConfigString(yaml, "t.yaml", base_dir);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  REQUIRE(r.value().targets.size() == 1);
  return r.value().targets[0];
}

std::string Workload(const std::string& lines) { return "    workload:\n" + lines; }

}  // namespace

TEST_CASE("config: every api kind loads and completes its base URL") {
  struct Case {
    const char* api;
    const char* url;
    ApiKind kind;
    const char* path;
  };
  const Case cases[] = {
      {"openai-chat", "http://h/v1", ApiKind::kOpenAiChat, "/v1/chat/completions"},
      {"openai-completions", "http://h/v1/", ApiKind::kOpenAiCompletions, "/v1/completions"},
      {"openai-responses", "https://api.openai.com/v1", ApiKind::kOpenAiResponses, "/v1/responses"},
      {"anthropic-messages", "https://api.anthropic.com/v1", ApiKind::kAnthropicMessages,
       "/v1/messages"},
      {"tgi", "http://h:8080/generate_stream", ApiKind::kTgi, "/generate_stream"},
      {"ollama", "http://h:11434/api/chat", ApiKind::kOllama, "/api/chat"},
      // Full URLs are kept as written.
      {"anthropic-messages", "https://gw/anthropic/v1/messages?beta=true",
       ApiKind::kAnthropicMessages, "/anthropic/v1/messages?beta=true"},
      {"openai-responses", "https://gw/openai/v1?api-version=preview", ApiKind::kOpenAiResponses,
       "/openai/v1/responses?api-version=preview"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.url);
    const TargetConfig t = Load(Target("", c.api, c.url));
    CHECK(t.api == c.kind);
    CHECK(t.url_parts.path == c.path);
  }
  CHECK(ErrorsOf(Target("", "ollama", "http://h:11434")) ==
        "t.yaml:4:10: targets[0].url: URL \"http://h:11434\" has no endpoint path; api ollama "
        "needs the full endpoint URL, e.g. http://host:11434/api/chat");
  CHECK(ErrorsOf(Target("", "ollama", "http://h:11434/v1/")) ==
        "t.yaml:4:10: targets[0].url: URL \"http://h:11434/v1/\" is a base URL; api ollama needs "
        "the full endpoint URL, e.g. http://host:11434/api/chat");
  CHECK(ErrorsOf(Target("", "tgi", "http://h:8080/")) ==
        "t.yaml:4:10: targets[0].url: URL \"http://h:8080/\" has no endpoint path; api tgi needs "
        "the full endpoint URL, e.g. http://host:8080/generate_stream");
  CHECK(ErrorsOf(Target("", "Anthropic-Messages")).find("invalid value \"Anthropic-Messages\"") !=
        std::string::npos);
  // An invalid api leaves the dialect-bound workload keys unchecked (one error, not two).
  CHECK(ErrorsOf(Target(Workload("      min_tokens: 4\n"), "openai")) ==
        "t.yaml:3:10: targets[0].api: invalid value \"openai\" (expected one of: openai-chat, "
        "openai-completions, openai-responses, anthropic-messages, tgi, ollama)");
}

TEST_CASE("config: auth.header") {
  for (const auto& entry :
       {std::pair{"default", AuthHeader::kDefault}, std::pair{"bearer", AuthHeader::kBearer},
        std::pair{"api-key", AuthHeader::kApiKey}, std::pair{"x-api-key", AuthHeader::kXApiKey}}) {
    // Not a structured binding: CAPTURE's lambda cannot capture one before clang 16.
    const char* const name = entry.first;
    const AuthHeader header = entry.second;
    CAPTURE(name);
    const TargetConfig t = Load(Target(
        "    auth:\n      bearer_token_env: KEY\n      header: " + std::string(name) + "\n"));
    CHECK(t.auth.header == header);
    CHECK(t.auth.bearer_token.env == "KEY");
  }
  CHECK(Load(Target("    auth:\n      bearer_token_file: /k\n")).auth.header ==
        AuthHeader::kDefault);
  CHECK(ErrorsOf(Target("    auth:\n      bearer_token_file: /k\n      header: [bearer]\n")) ==
        "t.yaml:8:15: targets[0].auth.header: expected a string, got a list");
  CHECK(ErrorsOf(Target("    auth:\n      bearer_token_file: /k\n      headr: bearer\n")) ==
        "t.yaml:8:7: targets[0].auth.headr: unknown key \"headr\" (did you mean \"header\"?)");
}

TEST_CASE("config: workload prompt_tokens as an integer or a distribution") {
  WorkloadConfig w = Load(Target(Workload("      prompt_tokens: 700\n"))).workload;
  CHECK(w.prompt_distribution == PromptLengthDistribution::kFixed);
  CHECK(w.prompt_tokens == 700);
  w = Load(Target(Workload("      prompt_tokens: {value: 42}\n"))).workload;
  CHECK(w.prompt_distribution == PromptLengthDistribution::kFixed);
  CHECK(w.prompt_tokens == 42);
  w = Load(Target(Workload("      prompt_tokens: {distribution: fixed, value: 43}\n"))).workload;
  CHECK(w.prompt_tokens == 43);
  w = Load(Target(Workload("      prompt_tokens: {distribution: uniform, min: 100, max: 301}\n")))
          .workload;
  CHECK(w.prompt_distribution == PromptLengthDistribution::kUniform);
  CHECK(w.prompt_tokens_min == 100);
  CHECK(w.prompt_tokens_max == 301);
  CHECK(w.prompt_tokens == 200);
  w = Load(Target(Workload("      prompt_tokens: {distribution: uniform, min: 5, max: 5}\n")))
          .workload;
  CHECK(w.prompt_tokens == 5);
  w = Load(Target(Workload("      prompt_tokens:\n        distribution: normal\n        mean: 800\n"
                           "        stddev: 12.5\n")))
          .workload;
  CHECK(w.prompt_distribution == PromptLengthDistribution::kNormal);
  CHECK(w.prompt_tokens == 800);
  CHECK(w.prompt_tokens_stddev == 12.5);

  const auto at = [](const std::string& lines) { return ErrorsOf(Target(Workload(lines))); };
  CHECK(at("      prompt_tokens: 0\n") ==
        "t.yaml:7:22: targets[0].workload.prompt_tokens: must be between 1 and 10000000, got 0");
  CHECK(at("      prompt_tokens: 1.5\n") ==
        "t.yaml:7:22: targets[0].workload.prompt_tokens: expected an integer or a mapping "
        "(distribution: fixed, uniform or normal), got \"1.5\"");
  CHECK(at("      prompt_tokens:\n") ==
        "t.yaml:7:7: targets[0].workload.prompt_tokens: expected an integer or a mapping "
        "(distribution: fixed, uniform or normal), got null");
  CHECK(at("      prompt_tokens: [1, 2]\n") ==
        "t.yaml:7:22: targets[0].workload.prompt_tokens: expected an integer or a mapping "
        "(distribution: fixed, uniform or normal), got a list");
  CHECK(at("      prompt_tokens: {}\n") ==
        "t.yaml:7:22: targets[0].workload.prompt_tokens: missing required key \"value\" "
        "(distribution is fixed, the default)");
  CHECK(at("      prompt_tokens: {distribution: uniform}\n") ==
        "t.yaml:7:22: targets[0].workload.prompt_tokens: missing required key \"min\" "
        "(distribution is uniform)\n"
        "t.yaml:7:22: targets[0].workload.prompt_tokens: missing required key \"max\" "
        "(distribution is uniform)");
  CHECK(at("      prompt_tokens: {distribution: normal, mean: 10, stddev: -1, value: 3}\n") ==
        "t.yaml:7:63: targets[0].workload.prompt_tokens.stddev: must be >= 0 and <= 10000000, got "
        "-1\n"
        "t.yaml:7:67: targets[0].workload.prompt_tokens.value: only used with distribution fixed "
        "(distribution is normal)");
  CHECK(at("      prompt_tokens: {distribution: uniform, min: 0, max: 20000000}\n") ==
        "t.yaml:7:51: targets[0].workload.prompt_tokens.min: must be between 1 and 10000000, got "
        "0\n"
        "t.yaml:7:59: targets[0].workload.prompt_tokens.max: must be between 1 and 10000000, got "
        "20000000");
  CHECK(at("      prompt_tokens: {distribution: normal, mean: 10, stddev: 1, sd: 2}\n") ==
        "t.yaml:7:66: targets[0].workload.prompt_tokens.sd: unknown key \"sd\"");
  // An invalid distribution: which keys belong is unknown, only it is reported.
  CHECK(at("      prompt_tokens: {distribution: 3, min: 1}\n") ==
        "t.yaml:7:37: targets[0].workload.prompt_tokens.distribution: invalid value \"3\" "
        "(expected one of: fixed, uniform, normal)");
}

TEST_CASE("config: workload shared_prefix_tokens, unique_prefix, output length") {
  WorkloadConfig w = Load(Target(Workload("      prompt_tokens: 1000\n"
                                          "      shared_prefix_tokens: 999\n"
                                          "      unique_prefix: false\n"
                                          "      max_tokens: 256\n"
                                          "      min_tokens: 256\n"
                                          "      ignore_eos: true\n"
                                          "      send_max_completion_tokens: false\n")))
                         .workload;
  CHECK(w.shared_prefix_tokens == 999);
  CHECK_FALSE(w.unique_prefix);
  CHECK(w.max_tokens == 256);
  CHECK(w.min_tokens == 256);
  CHECK(w.ignore_eos);
  CHECK_FALSE(w.send_max_completion_tokens);
  // The vLLM extras go with openai-responses too.
  w = Load(Target(Workload("      min_tokens: 8\n      ignore_eos: true\n"), "openai-responses"))
          .workload;
  CHECK(w.min_tokens == 8);
  CHECK(w.ignore_eos);

  const auto at = [](const std::string& lines, const std::string& api = "openai-chat") {
    return ErrorsOf(Target(Workload(lines), api));
  };
  CHECK(at("      shared_prefix_tokens: 128\n") ==
        "t.yaml:7:29: targets[0].workload.shared_prefix_tokens: must be less than the shortest "
        "prompt (prompt_tokens 128), got 128");
  CHECK(at("      prompt_tokens: {distribution: normal, mean: 100, stddev: 30}\n"
           "      shared_prefix_tokens: 100\n") ==
        "t.yaml:8:29: targets[0].workload.shared_prefix_tokens: must be less than the shortest "
        "prompt (prompt_tokens.mean 100), got 100");
  CHECK(at("      shared_prefix_tokens: -1\n") ==
        "t.yaml:7:29: targets[0].workload.shared_prefix_tokens: must be between 0 and 10000000, "
        "got -1");
  // An invalid length is not compared with.
  CHECK(at("      prompt_tokens: abc\n      shared_prefix_tokens: 500\n") ==
        "t.yaml:7:22: targets[0].workload.prompt_tokens: expected an integer or a mapping "
        "(distribution: fixed, uniform or normal), got \"abc\"");
  CHECK(at("      min_tokens: -1\n") ==
        "t.yaml:7:19: targets[0].workload.min_tokens: must be >= 0, got -1");
  CHECK(at("      max_tokens: 0\n      min_tokens: 500\n") ==
        "t.yaml:7:19: targets[0].workload.max_tokens: must be >= 1, got 0");
  CHECK(at("      min_tokens: 65\n") ==
        "t.yaml:7:19: targets[0].workload.min_tokens: must not exceed max_tokens (64), got 65");
  CHECK(at("      ignore_eos: true\n", "anthropic-messages") ==
        "t.yaml:7:7: targets[0].workload.ignore_eos: only used with api openai-chat, "
        "openai-completions or openai-responses (api is anthropic-messages)");
  CHECK(at("      send_max_completion_tokens: yes\n") ==
        "t.yaml:7:35: targets[0].workload.send_max_completion_tokens: expected a boolean (true "
        "or false), got \"yes\"");
}

TEST_CASE("config: workload extra_body becomes a JSON object") {
  const WorkloadConfig w = Load(Target(Workload("      extra_body:\n"
                                                "        top_k: 20\n"
                                                "        temperature: 0.5\n"
                                                "        seed: -3\n"
                                                "        big: 1e3\n"
                                                "        skip_special_tokens: False\n"
                                                "        max_tokens: null\n"
                                                "        tilde: ~\n"
                                                "        empty:\n"
                                                "        quoted_number: \"123\"\n"
                                                "        quoted_bool: 'true'\n"
                                                "        word: yes\n"
                                                "        inf: .inf\n"
                                                "        hex: 0x1f\n"
                                                "        stop: [\"\\n\\n\", END]\n"
                                                "        nested: {a: {b: [1, {c: true}]}}\n"
                                                "        unicode: \"caf\\u00e9\"\n")))
                               .workload;
  CHECK(w.extra_body ==
        R"({"top_k":20,"temperature":0.5,"seed":-3,"big":1000.0,"skip_special_tokens":false,)"
        R"("max_tokens":null,"tilde":null,"empty":null,"quoted_number":"123",)"
        R"("quoted_bool":"true","word":"yes","inf":".inf","hex":"0x1f","stop":["\n\n","END"],)"
        R"("nested":{"a":{"b":[1,{"c":true}]}},"unicode":"café"})");
  CHECK(Load(Target(Workload("      extra_body: {}\n"))).workload.extra_body == "{}");
  CHECK(Load(Target(Workload("      extra_body:\n"))).workload.extra_body.empty());

  const auto at = [](const std::string& lines) { return ErrorsOf(Target(Workload(lines))); };
  CHECK(at("      extra_body: [1]\n") ==
        "t.yaml:7:19: targets[0].workload.extra_body: expected a mapping, got a list");
  CHECK(at("      extra_body:\n        a: 1\n        b: {x: 1, x: 2}\n        a: 3\n") ==
        "t.yaml:9:19: targets[0].workload.extra_body.b.x: duplicate key \"x\" (first defined at "
        "line 9)\n"
        "t.yaml:10:9: targets[0].workload.extra_body.a: duplicate key \"a\" (first defined at "
        "line 8)");
  CHECK(at("      extra_body:\n        ? [a]\n        : 1\n") ==
        "t.yaml:8:11: targets[0].workload.extra_body: expected a string key, got a list");
  std::string deep = "      extra_body: ";
  for (int i = 0; i < 40; ++i) deep += "{a: ";
  deep += "1" + std::string(40, '}') + "\n";
  CHECK(at(deep).find("targets[0].workload.extra_body.a.a.a") != std::string::npos);
  CHECK(at(deep).find("nested more than 32 levels deep") != std::string::npos);
}

TEST_CASE("config: workload prompts_file") {
  testing::TempDir dir;
  dir.WriteFile("p.jsonl",
                "{\"prompt\": \"one\"}\n"
                "{\"messages\": [{\"role\": \"user\", \"content\": \"two\"}]}\n");
  // Relative to the config file's directory (base_dir); absolute names as written.
  WorkloadConfig w =
      Load(Target(Workload("      prompts_file: p.jsonl\n      prompts_order: random\n")),
           dir.path())
          .workload;
  CHECK(w.prompts_file == dir.path() + "/p.jsonl");
  REQUIRE(w.prompts.size() == 2);
  CHECK((*w.prompts.entries)[0].text == "one");
  CHECK((*w.prompts.entries)[1].messages.at(0) == ChatMessage{"user", "two"});
  CHECK(w.prompts_order == PromptsOrder::kRandom);
  CHECK(Load(Target(Workload("      prompts_file: " + dir.path() + "/p.jsonl\n")))
            .workload.prompts_order == PromptsOrder::kSequential);
  const std::string config = dir.WriteFile(
      "c.yaml", Target(Workload("      prompts_file: ./p.jsonl\n      max_tokens: 8\n")));
  Result<Config> from_file = LoadConfigFile(config);
  REQUIRE_MESSAGE(from_file.ok(), from_file.status().message());
  CHECK(from_file.value().targets[0].workload.prompts.size() == 2);

  // Compared by content: a reload of an unchanged file keeps the target, a changed one not.
  const TargetConfig a = Load(Target(Workload("      prompts_file: p.jsonl\n")), dir.path());
  const TargetConfig b = Load(Target(Workload("      prompts_file: p.jsonl\n")), dir.path());
  CHECK(a.workload.prompts.entries != b.workload.prompts.entries);
  CHECK(a == b);
  dir.WriteFile("p.jsonl", "{\"prompt\": \"one\"}\n");
  CHECK_FALSE(a == Load(Target(Workload("      prompts_file: p.jsonl\n")), dir.path()));

  // The dump shows the file, not the prompts, and loads again.
  Config dumped_config;
  dumped_config.targets.push_back(a);
  const std::string dumped = DumpConfigYaml(dumped_config);
  CHECK(dumped.find("prompts_file: " + dir.path() + "/p.jsonl") != std::string::npos);
  CHECK(dumped.find("\"one\"") == std::string::npos);
  CHECK(LoadConfigString(dumped, "dump.yaml").ok());

  const auto at = [&dir](const std::string& lines) {
    return ErrorsOf(Target(Workload(lines)), dir.path());
  };
  dir.WriteFile("empty.jsonl", "\n\n");
  CHECK(at("      prompts_file: empty.jsonl\n") ==
        "t.yaml:7:21: targets[0].workload.prompts_file: prompts file \"" + dir.path() +
            "/empty.jsonl\" holds no prompts");
  CHECK(at("      prompts_file: \"\"\n") ==
        "t.yaml:7:21: targets[0].workload.prompts_file: must not be empty");
  CHECK(at("      prompts_file: .\n") ==
        "t.yaml:7:21: targets[0].workload.prompts_file: cannot read prompts file \"" + dir.path() +
            "\": Is a directory");
  CHECK(at("      prompts_file: p.jsonl\n      shared_prefix_tokens: 8\n      prompts_order: "
           "any\n") ==
        "t.yaml:8:7: targets[0].workload.shared_prefix_tokens: not used with prompts_file (the "
        "file's prompts are sent as they are)\n"
        "t.yaml:9:22: targets[0].workload.prompts_order: invalid value \"any\" (expected one of: "
        "sequential, random)");
  // Beyond 10 bad lines the rest are counted.
  std::string bad;
  for (int i = 0; i < 13; ++i) bad += "{\"prompt\": null}\n";
  dir.WriteFile("bad.jsonl", bad);
  const std::string errors = at("      prompts_file: bad.jsonl\n");
  const std::string prefix =
      "t.yaml:7:21: targets[0].workload.prompts_file: " + dir.path() + "/bad.jsonl";
  CHECK(errors.find(prefix + ":1: \"prompt\" must be a string, got null\n") == 0);
  CHECK(errors.find(prefix + ":10: ") != std::string::npos);
  CHECK(errors.find(prefix + ":11: ") == std::string::npos);
  CHECK(errors.substr(errors.rfind('\n') + 1) == prefix + ": 3 more invalid lines not shown");
}

TEST_CASE("config: bad_prompts_file_lines.yaml reports every bad line of the prompts file") {
  const std::string path = kTestdata + "/bad_prompts_file_lines.yaml";
  Result<Config> r = LoadConfigFile(path);
  REQUIRE_FALSE(r.ok());
  const std::string p =
      path + ":8:21: targets[0].workload.prompts_file: " + kTestdata + "/bad_prompts.jsonl:";
  CHECK(r.status().message() ==
        p + "2: \"prompt\" must be a string, got a number\n" + p +
            "4: messages[1].role: expected \"system\", \"user\" or \"assistant\", got \"robot\"\n" +
            p + "5: invalid JSON at column 2 (syntax error while parsing value - invalid literal)");
}

TEST_CASE("config: the dump of the new keys loads again, same config") {
  const std::string yaml =
      Target(Workload("      prompt_tokens: {distribution: normal, mean: 300, stddev: 40}\n"
                      "      shared_prefix_tokens: 100\n"
                      "      min_tokens: 3\n"
                      "      send_max_completion_tokens: false\n"
                      "      extra_body: {top_k: 5, stop: null, s: \"1\"}\n")) +
      "  - name: u\n    api: anthropic-messages\n    url: http://h/v1\n    model: m\n"
      "    workload:\n      prompt_tokens: {distribution: uniform, min: 10, max: 20}\n";
  Result<Config> a = LoadConfigString(yaml, "t.yaml");
  REQUIRE_MESSAGE(a.ok(), a.status().message());
  const std::string dumped = DumpConfigYaml(a.value());
  Result<Config> b = LoadConfigString(dumped, "dump.yaml");
  REQUIRE_MESSAGE(b.ok(), (b.status().message() + "\n" + dumped));
  CHECK_MESSAGE(b.value().targets == a.value().targets, dumped, "\n---\n",
                DumpConfigYaml(b.value()));
  // auth (whose dump shows "<secret>", so it does not load again) shows its header.
  Result<Config> c = LoadConfigString(
      Target("    auth:\n      bearer_token_env: K\n      header: api-key\n"), "t.yaml");
  REQUIRE(c.ok());
  CHECK(DumpConfigYaml(c.value()).find("header: api-key") != std::string::npos);
}

}  // namespace llmprobe
