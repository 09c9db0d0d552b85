// The configuration model: plain structs with in-class defaults. Knows no runtime. The loader
// (ConfigLoader.h) fills these from YAML and validates them; everything else only reads them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/Clock.h"

namespace llmprobe {

// API dialect spoken by a target. Each has one file under protocol/.
enum class ApiKind { kOpenAiChat, kOpenAiCompletions };

// The `api:` spelling of each kind, e.g. "openai-chat".
const char* ApiKindName(ApiKind kind);

// Where a secret comes from; the secret itself is never stored in the config.
struct SecretRef {
  std::string file;  // read (and re-read on reload) from this file, trailing newline stripped
  std::string env;   // or read from this environment variable
  bool empty() const { return file.empty() && env.empty(); }
};

struct AuthConfig {
  SecretRef bearer_token;  // from `bearer_token_file` or `bearer_token_env`
};

struct TlsConfig {
  std::string ca_file;    // PEM bundle; empty = system store
  std::string cert_file;  // client certificate (mutual TLS), with key_file
  std::string key_file;
  std::string server_name;  // SNI and verification name; empty = URL host
  bool insecure_skip_verify = false;
};

struct TimeoutsConfig {
  int64_t connect_ns = 10 * kNanosPerSecond;          // TCP + TLS handshake
  int64_t first_token_ns = 60 * kNanosPerSecond;      // t_start -> first token
  int64_t between_tokens_ns = 30 * kNanosPerSecond;   // between token-bearing chunks
  int64_t total_ns = 300 * kNanosPerSecond;           // t_start -> end of stream
};

struct WorkloadConfig {
  int prompt_tokens = 128;   // approximate prompt length in tokens
  int max_tokens = 64;       // output tokens requested per request
  bool ignore_eos = false;   // vLLM/SGLang extension: generate exactly max_tokens
  bool unique_prefix = true; // a per-request nonce at the start of the prompt defeats prefix caching
};

struct LoadConfig {
  std::vector<int> concurrency = {1};        // closed-loop levels, cycled in order
  int64_t stage_duration_ns = 60 * kNanosPerSecond;  // time at each level
  int64_t warmup_ns = 5 * kNanosPerSecond;   // start of each stage kept out of latency histograms
};

// Histogram bucket upper bounds in seconds, per measure. Empty = the defaults of measurement.md.
struct BucketsConfig {
  std::vector<double> time_to_first_token;   // also used for time-to-first-content and TTFB
  std::vector<double> time_per_output_token; // also used for inter-token latency
  std::vector<double> request_duration;
};

// Full endpoint URL split into parts by the loader.
struct UrlParts {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  int port = 0;        // explicit or scheme default
  std::string path;    // path and query, starts with '/'
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
  BucketsConfig buckets;
};

struct GlobalConfig {
  std::string web_listen_address;  // empty = flag or built-in default
  std::string log_level;           // empty = flag or "info"
  std::string log_format;          // empty = flag or "logfmt"
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
