// What every dialect's request builder shares: the auth header per dialect and its
// `auth.header` override, the target's headers, workload extras (ignore_eos, min_tokens,
// extra_body) and the registry of kinds.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dialect_test_support.h"

namespace llmprobe {
namespace {

using namespace dialect_test;  // NOLINT(build/namespaces)

struct AuthCase {
  ApiKind api;
  const char* path;
  const char* header;  // the default auth header's name
  const char* value;   // its value for secret "s3cr3t"
};

const std::vector<AuthCase> kAuth = {
    {ApiKind::kOpenAiChat, "/v1/chat/completions", "Authorization", "Bearer s3cr3t"},
    {ApiKind::kOpenAiCompletions, "/v1/completions", "Authorization", "Bearer s3cr3t"},
    {ApiKind::kOpenAiResponses, "/v1/responses", "Authorization", "Bearer s3cr3t"},
    {ApiKind::kAnthropicMessages, "/v1/messages", "x-api-key", "s3cr3t"},
    {ApiKind::kTgi, "/generate_stream", "Authorization", "Bearer s3cr3t"},
    {ApiKind::kOllama, "/api/chat", "Authorization", "Bearer s3cr3t"},
};

// The auth-looking headers of a request.
std::vector<std::string> AuthHeaders(const HttpRequestSpec& spec) {
  std::vector<std::string> out;
  for (const auto& [name, value] : spec.headers) {
    if (name == "Authorization" || name == "api-key" || name == "x-api-key") {
      out.push_back(name + ": " + value);
    }
  }
  return out;
}

TEST_CASE("dialect requests: the secret goes where each dialect expects it") {
  CHECK(kAuth.size() == AllApiKinds().size());
  for (const AuthCase& c : kAuth) {
    CAPTURE(ApiKindName(c.api));
    TargetConfig target = MakeTarget(c.api, c.path);
    const HttpRequestSpec spec = DialectFor(c.api).BuildRequest({&target, "p", "s3cr3t"});
    CHECK(spec.method == "POST");
    CHECK(spec.path == c.path);
    CHECK(Header(spec, "Content-Type") == "application/json");
    CHECK(AuthHeaders(spec) == std::vector<std::string>{std::string(c.header) + ": " + c.value});
    CHECK(Header(spec, "anthropic-version") ==
          (c.api == ApiKind::kAnthropicMessages ? "2023-06-01" : ""));
    // No secret, no auth header.
    CHECK(AuthHeaders(DialectFor(c.api).BuildRequest({&target, "p", ""})).empty());
    // The body is JSON that carries the prompt somewhere.
    CHECK(spec.body.find("\"p\"") != std::string::npos);
    CHECK(nlohmann::json::accept(spec.body));
  }
}

TEST_CASE("dialect requests: auth.header overrides the dialect's way") {
  const std::vector<std::pair<AuthHeader, std::string>> overrides = {
      {AuthHeader::kBearer, "Authorization: Bearer s3cr3t"},
      {AuthHeader::kApiKey, "api-key: s3cr3t"},  // Azure OpenAI
      {AuthHeader::kXApiKey, "x-api-key: s3cr3t"},
  };
  for (const AuthCase& c : kAuth) {
    for (const auto& override_case : overrides) {
      CAPTURE(ApiKindName(c.api));
      CAPTURE(AuthHeaderName(override_case.first));
      TargetConfig target = MakeTarget(c.api, c.path);
      target.auth.header = override_case.first;
      const HttpRequestSpec spec = DialectFor(c.api).BuildRequest({&target, "p", "s3cr3t"});
      CHECK(AuthHeaders(spec) == std::vector<std::string>{override_case.second});
    }
  }
  // Azure: api-key replaces a configured header of that name, whatever its spelling, and leaves
  // other headers alone.
  TargetConfig azure = MakeTarget(
      ApiKind::kOpenAiChat, "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21");
  azure.auth.header = AuthHeader::kApiKey;
  azure.headers = {{"Api-Key", "placeholder"}, {"X-Team", "infra"}};
  const HttpRequestSpec spec = DialectFor(ApiKind::kOpenAiChat).BuildRequest({&azure, "p", "az"});
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"Content-Type", "application/json"},
      {"Accept", "text/event-stream"},
      {"Api-Key", "az"},
      {"X-Team", "infra"},
  };
  CHECK(spec.headers == expected);
  CHECK(spec.path == "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21");
}

TEST_CASE("dialect requests: vLLM/SGLang extras go only where the dialect allows them") {
  for (const AuthCase& c : kAuth) {
    CAPTURE(ApiKindName(c.api));
    TargetConfig target = MakeTarget(c.api, c.path);
    target.workload.ignore_eos = true;
    target.workload.min_tokens = 16;
    const nlohmann::json body =
        nlohmann::json::parse(DialectFor(c.api).BuildRequest({&target, "p", ""}).body);
    const bool openai = c.api == ApiKind::kOpenAiChat || c.api == ApiKind::kOpenAiCompletions ||
                        c.api == ApiKind::kOpenAiResponses;
    CHECK(body.contains("ignore_eos") == openai);
    CHECK(body.contains("min_tokens") == openai);
    if (openai) {
      CHECK(body.at("ignore_eos") == true);
      CHECK(body.at("min_tokens") == 16);
    }
    target.workload.ignore_eos = false;
    target.workload.min_tokens = 0;
    const nlohmann::json plain =
        nlohmann::json::parse(DialectFor(c.api).BuildRequest({&target, "p", ""}).body);
    CHECK_FALSE(plain.contains("ignore_eos"));
    CHECK_FALSE(plain.contains("min_tokens"));
  }
}

TEST_CASE("dialect requests: max_tokens maps to each dialect's own field") {
  auto body = [](ApiKind api, const char* path) {
    TargetConfig target = MakeTarget(api, path);
    target.workload.max_tokens = 77;
    return nlohmann::json::parse(DialectFor(api).BuildRequest({&target, "p", ""}).body);
  };
  CHECK(body(ApiKind::kOpenAiChat, "/").at("max_tokens") == 77);
  CHECK(body(ApiKind::kOpenAiChat, "/").at("max_completion_tokens") == 77);
  CHECK(body(ApiKind::kOpenAiCompletions, "/").at("max_tokens") == 77);
  CHECK(body(ApiKind::kOpenAiResponses, "/").at("max_output_tokens") == 77);
  CHECK(body(ApiKind::kAnthropicMessages, "/").at("max_tokens") == 77);
  CHECK(body(ApiKind::kTgi, "/").at("parameters").at("max_new_tokens") == 77);
  CHECK(body(ApiKind::kOllama, "/").at("options").at("num_predict") == 77);
}

TEST_CASE("dialect requests: send_max_completion_tokens and dropping max_tokens") {
  TargetConfig target = MakeTarget(ApiKind::kOpenAiChat, "/v1/chat/completions");
  target.workload.send_max_completion_tokens = false;
  const nlohmann::json old_server =
      nlohmann::json::parse(DialectFor(ApiKind::kOpenAiChat).BuildRequest({&target, "p", ""}).body);
  CHECK(old_server.at("max_tokens") == 128);
  CHECK_FALSE(old_server.contains("max_completion_tokens"));
  // OpenAI o-series models reject max_tokens: a merge-patch null removes it.
  target.workload.send_max_completion_tokens = true;
  target.workload.extra_body = R"({"max_tokens":null})";
  const nlohmann::json o_series =
      nlohmann::json::parse(DialectFor(ApiKind::kOpenAiChat).BuildRequest({&target, "p", ""}).body);
  CHECK_FALSE(o_series.contains("max_tokens"));
  CHECK(o_series.at("max_completion_tokens") == 128);
}

TEST_CASE("dialect requests: extra_body is merged into every dialect's body") {
  for (const AuthCase& c : kAuth) {
    CAPTURE(ApiKindName(c.api));
    TargetConfig target = MakeTarget(c.api, c.path);
    target.workload.extra_body =
        R"({"top_k":1,"chat_template_kwargs":{"enable_thinking":false},"stream":true})";
    const nlohmann::json body =
        nlohmann::json::parse(DialectFor(c.api).BuildRequest({&target, "p", ""}).body);
    CHECK(body.at("top_k") == 1);
    CHECK(body.at("chat_template_kwargs") == nlohmann::json{{"enable_thinking", false}});
    CHECK(body.at("stream") == true);
  }
  TargetConfig target = MakeTarget(ApiKind::kOpenAiChat, "/v1/chat/completions");
  // Objects merge recursively.
  target.workload.extra_body = R"({"stream_options":{"continuous_usage_stats":true}})";
  const nlohmann::json merged =
      nlohmann::json::parse(DialectFor(ApiKind::kOpenAiChat).BuildRequest({&target, "p", ""}).body);
  CHECK(merged.at("stream_options") ==
        nlohmann::json{{"include_usage", true}, {"continuous_usage_stats", true}});
  // Not a JSON object (the loader rejects these): ignored, the request is still well formed.
  for (const char* bad : {"[1,2]", "{broken", "42", "\"text\""}) {
    CAPTURE(bad);
    target.workload.extra_body = bad;
    const nlohmann::json body = nlohmann::json::parse(
        DialectFor(ApiKind::kOpenAiChat).BuildRequest({&target, "p", ""}).body);
    CHECK(body.size() == 6);
  }
}

TEST_CASE("dialect requests: the registry has one dialect per kind, named both ways") {
  std::set<const Dialect*> seen;
  std::set<std::string> names;
  for (ApiKind kind : AllApiKinds()) {
    CHECK(&DialectFor(kind) == &DialectFor(kind));
    seen.insert(&DialectFor(kind));
    names.insert(ApiKindName(kind));
    CHECK(ApiKindFromName(ApiKindName(kind)) == kind);
  }
  CHECK(seen.size() == 6);
  CHECK(names == std::set<std::string>{"openai-chat", "openai-completions", "openai-responses",
                                       "anthropic-messages", "tgi", "ollama"});
  CHECK_FALSE(ApiKindFromName("anthropic").has_value());
  CHECK_FALSE(ApiKindFromName("OpenAI-Chat").has_value());
  CHECK_FALSE(ApiKindFromName("").has_value());
  for (AuthHeader h :
       {AuthHeader::kDefault, AuthHeader::kBearer, AuthHeader::kApiKey, AuthHeader::kXApiKey}) {
    CHECK(AuthHeaderFromName(AuthHeaderName(h)) == h);
  }
  CHECK(std::string(AuthHeaderName(AuthHeader::kApiKey)) == "api-key");
  CHECK_FALSE(AuthHeaderFromName("Api-Key").has_value());
}

}  // namespace
}  // namespace llmprobe

namespace llmprobe {
namespace {

using namespace dialect_test;  // NOLINT(build/namespaces)

// A prompts_file conversation: the chat dialects send its messages (Anthropic's system message
// as the top-level "system"), the others the joined text in `prompt`.
TEST_CASE("dialect requests: a prompts_file conversation is sent as messages") {
  const std::vector<ChatMessage> messages = {
      {"system", "Be brief."}, {"user", "1a2b hi"}, {"assistant", "hello"}, {"user", "more"}};
  const std::string joined = "Be brief.\n\n1a2b hi\n\nhello\n\nmore";
  const auto body_of = [&](ApiKind api, const char* path) {
    TargetConfig target = MakeTarget(api, path);
    RequestInputs in{&target, joined, ""};
    in.messages = messages;
    return nlohmann::json::parse(DialectFor(api).BuildRequest(in).body);
  };
  const nlohmann::json all = nlohmann::json::array({{{"role", "system"}, {"content", "Be brief."}},
                                                    {{"role", "user"}, {"content", "1a2b hi"}},
                                                    {{"role", "assistant"}, {"content", "hello"}},
                                                    {{"role", "user"}, {"content", "more"}}});
  CHECK(body_of(ApiKind::kOpenAiChat, "/v1/chat/completions").at("messages") == all);
  CHECK(body_of(ApiKind::kOllama, "/api/chat").at("messages") == all);
  CHECK(body_of(ApiKind::kOpenAiResponses, "/v1/responses").at("input") == all);
  const nlohmann::json anthropic = body_of(ApiKind::kAnthropicMessages, "/v1/messages");
  CHECK(anthropic.at("system") == "Be brief.");
  CHECK(anthropic.at("messages") ==
        nlohmann::json::array({{{"role", "user"}, {"content", "1a2b hi"}},
                               {{"role", "assistant"}, {"content", "hello"}},
                               {{"role", "user"}, {"content", "more"}}}));
  CHECK(body_of(ApiKind::kOpenAiCompletions, "/v1/completions").at("prompt") == joined);
  CHECK(body_of(ApiKind::kTgi, "/generate_stream").at("inputs") == joined);
  // Without messages, one user message holds the prompt; no "system" key.
  TargetConfig target = MakeTarget(ApiKind::kAnthropicMessages, "/v1/messages");
  const nlohmann::json plain = nlohmann::json::parse(
      DialectFor(ApiKind::kAnthropicMessages).BuildRequest({&target, "p", ""}).body);
  CHECK_FALSE(plain.contains("system"));
  CHECK(plain.at("messages") == nlohmann::json::array({{{"role", "user"}, {"content", "p"}}}));
}

}  // namespace
}  // namespace llmprobe
