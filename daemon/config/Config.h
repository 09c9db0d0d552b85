// The configuration model: plain structs with in-class defaults. Knows no runtime. The loader
// (ConfigLoader.h) fills these from YAML and validates them; everything else only reads them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/Clock.h"

namespace llmprobe {

// API dialect spoken by a target. Each has its files under protocol/, registered in
// protocol/Dialects.cpp.
enum class ApiKind {
  kOpenAiChat,         // "openai-chat": POST /v1/chat/completions, SSE chunks
  kOpenAiCompletions,  // "openai-completions": POST /v1/completions, SSE chunks
  kOpenAiResponses,    // "openai-responses": POST /v1/responses, SSE semantic events
  kAnthropicMessages,  // "anthropic-messages": POST /v1/messages, SSE events
  kTgi,                // "tgi": Text Generation Inference POST /generate_stream, SSE tokens
  kOllama,             // "ollama": POST /api/chat, newline-delimited JSON
};

// The `api:` spelling of each kind, e.g. "openai-chat".
const char* ApiKindName(ApiKind kind);
// Every kind, in declaration order (for validation messages and tests).
std::vector<ApiKind> AllApiKinds();
// The kind spelled `name` (exact, case-sensitive), or nullopt.
std::optional<ApiKind> ApiKindFromName(std::string_view name);

// Where a secret comes from; the secret itself is never stored in the config.
struct SecretRef {
  std::string file;  // read (and re-read on reload) from this file, trailing newline stripped
  std::string env;   // or read from this environment variable
  bool empty() const { return file.empty() && env.empty(); }
  bool operator==(const SecretRef&) const = default;
};

// How the auth secret is sent. kDefault = the dialect's own way: `Authorization: Bearer` for
// openai-*, tgi and ollama, `x-api-key` for anthropic-messages. Azure OpenAI wants kApiKey.
enum class AuthHeader {
  kDefault,
  kBearer,   // "bearer": Authorization: Bearer <secret>
  kApiKey,   // "api-key": api-key: <secret> (Azure OpenAI)
  kXApiKey,  // "x-api-key": x-api-key: <secret> (Anthropic)
};

// The `auth.header` spelling of each value ("default", "bearer", "api-key", "x-api-key").
const char* AuthHeaderName(AuthHeader header);
// The value spelled `name`, or nullopt.
std::optional<AuthHeader> AuthHeaderFromName(std::string_view name);

struct AuthConfig {
  SecretRef bearer_token;  // from `bearer_token_file` or `bearer_token_env`; sent per `header`
  AuthHeader header = AuthHeader::kDefault;  // `auth.header`
  bool operator==(const AuthConfig&) const = default;
};

struct TlsConfig {
  std::string ca_file;    // PEM bundle; empty = system store
  std::string cert_file;  // client certificate (mutual TLS), with key_file
  std::string key_file;
  std::string server_name;  // SNI and verification name; empty = URL host
  bool insecure_skip_verify = false;
  // Lowest TLS version accepted: "TLS12" or "TLS13" (prometheus/common's names); empty = the
  // TLS library's default.
  std::string min_version;
  bool operator==(const TlsConfig&) const = default;
};

struct TimeoutsConfig {
  int64_t connect_ns = 10 * kNanosPerSecond;         // TCP + TLS handshake
  int64_t first_token_ns = 60 * kNanosPerSecond;     // t_start -> first token
  int64_t between_tokens_ns = 30 * kNanosPerSecond;  // between token-bearing chunks
  int64_t total_ns = 300 * kNanosPerSecond;          // t_start -> end of stream
  bool operator==(const TimeoutsConfig&) const = default;
};

// One message of a conversation from a prompts_file.
struct ChatMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
  bool operator==(const ChatMessage&) const = default;
};

// One line of a prompts_file: `{"prompt": text}` (text set, messages empty) or
// `{"messages": [...]}` (messages set, text empty).
struct PromptEntry {
  std::string text;
  std::vector<ChatMessage> messages;
  bool operator==(const PromptEntry&) const = default;
};

// The prompts of a prompts_file, loaded by the config loader. Shared and immutable, so copies
// of a TargetConfig are cheap; compared by content, so a reload restarts a target whose file
// changed and keeps one whose file did not.
struct PromptList {
  std::shared_ptr<const std::vector<PromptEntry>> entries;  // null = no prompts_file
  bool empty() const { return entries == nullptr || entries->empty(); }
  size_t size() const { return entries == nullptr ? 0 : entries->size(); }
  bool operator==(const PromptList& other) const {
    if (entries == other.entries) return true;
    if (entries == nullptr || other.entries == nullptr) return empty() && other.empty();
    return *entries == *other.entries;
  }
};

// How synthetic prompt lengths are drawn (`workload.prompt_tokens` as a mapping).
enum class PromptLengthDistribution {
  kFixed,    // every prompt prompt_tokens long
  kUniform,  // uniform integers in [prompt_tokens_min, prompt_tokens_max]
  kNormal,   // normal around prompt_tokens with prompt_tokens_stddev, rounded, at least 1
};
enum class PromptsOrder { kSequential, kRandom };  // how prompts_file entries are picked

// Longest synthetic prompt (and shared prefix) in tokens: beyond today's longest contexts,
// and a bound on the text built per request (about 6 bytes per token).
inline constexpr int kMaxPromptTokens = 10'000'000;

struct WorkloadConfig {
  // Synthetic prompt length target in tokens: the fixed length, or the distribution's mean
  // (uniform: (min + max) / 2 rounded down), so readers wanting one number can use it. The
  // prompt text is sized by a characters-per-token estimate calibrated per target from the
  // server's usage.prompt_tokens (load/TokenCalibrator.h). Not used with prompts_file.
  int prompt_tokens = 128;
  PromptLengthDistribution prompt_distribution = PromptLengthDistribution::kFixed;
  int prompt_tokens_min = 0;  // uniform only: inclusive bounds, 1 <= min <= max
  int prompt_tokens_max = 0;
  double prompt_tokens_stddev = 0;  // normal only: >= 0
  // A fixed text of about this many tokens at the very start of every synthetic prompt,
  // before the nonce, so that a server's prefix cache can hit it on purpose (cached_tokens in
  // usage shows whether it did). 0 = none. Less than the shortest prompt_tokens.
  int shared_prefix_tokens = 0;
  int max_tokens = 64;        // output tokens requested per request
  bool ignore_eos = false;    // vLLM/SGLang extension: generate exactly max_tokens
  bool unique_prefix = true;  // a per-request nonce at the start of the prompt defeats caching
  // vLLM/SGLang extension: generate at least this many tokens; 0 = not sent. openai-* only.
  int min_tokens = 0;
  // A JSON object (as text) merged into every request body as an RFC 7386 merge patch:
  // objects merge recursively, a null removes a key. Empty = none. The loader must check that
  // it is a JSON object; the dialects ignore anything else.
  std::string extra_body;
  // openai-chat sends both max_tokens (older servers) and max_completion_tokens (OpenAI's
  // current name). false = send max_tokens only, for servers that reject the newer field.
  // OpenAI o-series models instead reject max_tokens: drop it with extra_body
  // {"max_tokens": null}.
  bool send_max_completion_tokens = true;
  // Real prompts instead of synthetic ones: a JSONL file (path resolved against the config
  // file's directory), read by the loader at load and at every reload.
  std::string prompts_file;  // as resolved; empty = synthetic prompts
  PromptsOrder prompts_order = PromptsOrder::kSequential;
  PromptList prompts;  // the file's entries, in file order
  bool operator==(const WorkloadConfig&) const = default;
};

// How load is generated. Closed loop (`concurrency`): at level C, C requests in flight back to
// back. Open loop (`rate`): requests start at a rate per second, whatever is in flight (up to
// max_inflight), and latency is also measured from the intended start (coordinated omission).
enum class LoadMode { kConcurrency, kRate };
enum class Arrival { kPoisson, kConstant };  // open-loop inter-arrival times

struct LoadConfig {
  LoadMode mode = LoadMode::kConcurrency;
  std::vector<int> concurrency = {1};   // closed-loop levels, cycled in order; empty in rate mode
  std::vector<double> rate;             // open-loop levels in requests per second, cycled
  Arrival arrival = Arrival::kPoisson;  // open loop only
  int max_inflight = 256;               // open loop: cap; a due request waits (and is late)
  int64_t think_time_ns = 0;            // closed loop: pause between a slot's requests
  int64_t stage_duration_ns = 60 * kNanosPerSecond;  // time at each level
  int64_t warmup_ns = 5 * kNanosPerSecond;    // start of each stage kept out of latency stats
  int64_t window_ns = 300 * kNanosPerSecond;  // rolling window, in the level's active time
  bool operator==(const LoadConfig&) const = default;
};

// When the levels run. Continuous: one stage after another forever. Sweep: every `interval`,
// run each level once for stage_duration, then stay idle until the next interval.
enum class ScheduleMode { kContinuous, kSweep };
struct ScheduleConfig {
  ScheduleMode mode = ScheduleMode::kContinuous;
  int64_t interval_ns = 30 * 60 * kNanosPerSecond;  // sweep period
  bool random_start = true;  // sweep: delay the first sweep by a random part of the interval
  bool operator==(const ScheduleConfig&) const = default;
};

// Latency thresholds (0 = none) and objectives. Each threshold is added to the histogram's
// bucket boundaries so burn-rate queries on `_bucket{le="<threshold>"}` are exact.
struct SloConfig {
  int64_t time_to_first_token_ns = 0;
  int64_t time_per_output_token_ns = 0;
  int64_t request_duration_ns = 0;
  double objective = 0.99;  // fraction of requests that must meet each threshold
  double error_ratio = -1;  // largest acceptable fraction of failed requests; <0 = none
  bool any() const {
    return time_to_first_token_ns > 0 || time_per_output_token_ns > 0 || request_duration_ns > 0 ||
           error_ratio >= 0;
  }
  bool operator==(const SloConfig&) const = default;
};

// Spending caps per hour (0 = no cap) and prices for the cost estimate.
struct BudgetConfig {
  int64_t max_requests_per_hour = 0;
  int64_t max_output_tokens_per_hour = 0;
  double input_price_per_million = 0;   // per 1M input tokens
  double output_price_per_million = 0;  // per 1M output tokens
  std::string currency = "USD";
  bool priced() const { return input_price_per_million > 0 || output_price_per_million > 0; }
  bool operator==(const BudgetConfig&) const = default;
};

// Histogram bucket upper bounds in seconds, per measure. Empty = the defaults of measurement.md.
struct BucketsConfig {
  std::vector<double> time_to_first_token;    // also used for time-to-first-content and TTFB
  std::vector<double> time_per_output_token;  // also used for inter-token latency
  std::vector<double> request_duration;
  bool operator==(const BucketsConfig&) const = default;
};

// Full endpoint URL split into parts by the loader.
struct UrlParts {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  int port = 0;        // explicit or scheme default
  std::string path;    // path and query, starts with '/'
  bool operator==(const UrlParts&) const = default;
};

struct TargetConfig {
  std::string name;
  ApiKind api = ApiKind::kOpenAiChat;
  std::string url;  // as written
  UrlParts url_parts;
  std::string model;
  std::map<std::string, std::string> headers;  // extra request headers (no secrets: use auth)
  AuthConfig auth;
  TlsConfig tls;
  TimeoutsConfig timeouts;
  WorkloadConfig workload;
  LoadConfig load;
  ScheduleConfig schedule;
  SloConfig slo;
  BudgetConfig budget;
  BucketsConfig buckets;
  bool operator==(const TargetConfig&) const = default;
};

struct GlobalConfig {
  std::string web_listen_address;  // empty = flag or built-in default
  std::string log_level;           // empty = flag or "info"
  std::string log_format;          // empty = flag or "logfmt"
  bool operator==(const GlobalConfig&) const = default;
};

struct Config {
  std::string source_path;  // file this was loaded from ("" if built in code)
  GlobalConfig global;
  std::vector<TargetConfig> targets;
};

// Bucket defaults from measurement.md (vLLM's), in seconds.
const std::vector<double>& DefaultTtftBuckets();
const std::vector<double>& DefaultTpotBuckets();
const std::vector<double>& DefaultRequestDurationBuckets();

}  // namespace llmprobe
