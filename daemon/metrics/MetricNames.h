// Every metric name and help text llmprobe exports, in one place (measurement.md is the contract).
#pragma once

namespace llmprobe::metric {

// Label names.
inline constexpr const char* kLabelTarget = "target";
inline constexpr const char* kLabelModel = "model";
inline constexpr const char* kLabelConcurrency = "concurrency";
inline constexpr const char* kLabelOutcome = "outcome";

// Per-request histograms (successful, non-warm-up requests), labels target, model, concurrency.
inline constexpr const char* kTtft = "llmprobe_time_to_first_token_seconds";
inline constexpr const char* kTtftHelp =
    "Time from sending the request to the first chunk carrying a token on any channel "
    "(content, reasoning or tool call).";
inline constexpr const char* kTtfc = "llmprobe_time_to_first_content_token_seconds";
inline constexpr const char* kTtfcHelp =
    "Time from sending the request to the first chunk with non-empty visible content.";
inline constexpr const char* kTtfb = "llmprobe_time_to_first_byte_seconds";
inline constexpr const char* kTtfbHelp =
    "Time from sending the request to receiving the response status line and headers.";
inline constexpr const char* kTpot = "llmprobe_time_per_output_token_seconds";
inline constexpr const char* kTpotHelp =
    "Per request: (last token time - first token time) / (output tokens - 1); requests with at "
    "least 2 output tokens.";
inline constexpr const char* kItl = "llmprobe_inter_token_latency_seconds";
inline constexpr const char* kItlHelp =
    "Gap between consecutive token-bearing chunks, spread evenly over the tokens of the later "
    "chunk (one sample per token).";
inline constexpr const char* kDuration = "llmprobe_request_duration_seconds";
inline constexpr const char* kDurationHelp =
    "Time from sending the request to its last token (end-to-end latency).";

// Counters.
inline constexpr const char* kRequests = "llmprobe_requests";  // prometheus-cpp appends _total
inline constexpr const char* kRequestsHelp =
    "Finished requests by outcome (success or one bounded error class), warm-up included.";
inline constexpr const char* kOutputTokens = "llmprobe_output_tokens";
inline constexpr const char* kOutputTokensHelp =
    "Output tokens received, counted by the token accounting ladder, warm-up included.";
inline constexpr const char* kInputTokens = "llmprobe_input_tokens";
inline constexpr const char* kInputTokensHelp =
    "Prompt tokens sent: server usage.prompt_tokens, else the prompt generator's estimate.";
inline constexpr const char* kTokenMismatches = "llmprobe_token_count_mismatches";
inline constexpr const char* kTokenMismatchesHelp =
    "Successful requests whose server-reported output tokens differ from the count of "
    "token-bearing chunks.";

// Self metrics.
inline constexpr const char* kBuildInfo = "llmprobe_build_info";
inline constexpr const char* kBuildInfoHelp = "Build metadata; always 1.";
inline constexpr const char* kReloadOk = "llmprobe_config_last_reload_successful";
inline constexpr const char* kReloadOkHelp = "1 if the last configuration load succeeded.";
inline constexpr const char* kReloadTime = "llmprobe_config_last_reload_success_timestamp_seconds";
inline constexpr const char* kReloadTimeHelp =
    "Unix time of the last successful configuration load.";
inline constexpr const char* kInflight = "llmprobe_inflight_requests";
inline constexpr const char* kInflightHelp = "Requests in flight per target.";
inline constexpr const char* kStageConcurrency = "llmprobe_stage_concurrency";
inline constexpr const char* kStageConcurrencyHelp =
    "Concurrency level of the target's running stage (0 when not probing).";

}  // namespace llmprobe::metric
