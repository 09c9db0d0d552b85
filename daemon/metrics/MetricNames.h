// Every metric name and help text llmprobe exports, in one place (measurement.md is the contract).
#pragma once

namespace llmprobe::metric {

// Label names.
inline constexpr const char* kLabelTarget = "target";
inline constexpr const char* kLabelModel = "model";
inline constexpr const char* kLabelConcurrency = "concurrency";  // closed-loop level, e.g. "8"
inline constexpr const char* kLabelRate = "rate";  // open-loop level, requests/s, e.g. "2.5"
inline constexpr const char* kLabelQuantile = "quantile";
inline constexpr const char* kLabelSlo = "slo";  // time_to_first_token | time_per_output_token |
                                                 // request_duration | error_ratio
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
inline constexpr const char* kLabelTokenSource = "source";  // chunk_usage|final_usage|chunk_count
inline constexpr const char* kOutputTokenSource = "llmprobe_output_token_source";
inline constexpr const char* kOutputTokenSourceHelp =
    "Successful requests by the rung of the token accounting ladder that counted their output "
    "tokens: chunk_usage (per-chunk usage), final_usage (the final usage chunk) or chunk_count "
    "(token-bearing chunks, one token each).";
inline constexpr const char* kOutputTruncated = "llmprobe_output_truncated";
inline constexpr const char* kOutputTruncatedHelp =
    "Successful requests that ended short of max_tokens (fewer output tokens, or a stop although "
    "ignore_eos was asked): their TPOT comes from shorter answers than configured.";
inline constexpr const char* kCachedPromptTokens = "llmprobe_cached_prompt_tokens";
inline constexpr const char* kCachedPromptTokensHelp =
    "Prompt tokens the server reported as served from its prefix cache (usage cached tokens), "
    "where it reports them.";
// Per target (labels target, model); absent for a target with prompts_file.
inline constexpr const char* kPromptTokensTarget = "llmprobe_prompt_tokens_target";
inline constexpr const char* kPromptTokensTargetHelp =
    "Configured synthetic prompt length in tokens (the mean of a length distribution); compare "
    "with rate(llmprobe_input_tokens_total) / rate(llmprobe_requests_total).";

inline constexpr const char* kGoodRequests = "llmprobe_good_requests";
inline constexpr const char* kGoodRequestsHelp =
    "Successful, non-warm-up requests that met every SLO threshold of their target (goodput).";
inline constexpr const char* kSloGoodRequests = "llmprobe_slo_good_requests";
inline constexpr const char* kSloGoodRequestsHelp =
    "Successful, non-warm-up requests within one SLO threshold (label slo); the denominator is "
    "that measure's histogram _count. Equals _bucket{le=\"<threshold>\"}.";
inline constexpr const char* kEstimatedCost = "llmprobe_estimated_cost";
inline constexpr const char* kEstimatedCostHelpPrefix =
    "Estimated cost of the probe's requests from the configured prices, in ";  // + currency

// Open loop only (labels target, model, rate).
inline constexpr const char* kStartDelay = "llmprobe_request_start_delay_seconds";
inline constexpr const char* kStartDelayHelp =
    "Open loop: actual start minus intended start of each request (scheduler lateness).";
inline constexpr const char* kScheduledTtft = "llmprobe_scheduled_time_to_first_token_seconds";
inline constexpr const char* kScheduledTtftHelp =
    "Open loop: time from the intended start to the first token (corrects coordinated "
    "omission).";
inline constexpr const char* kScheduledDuration = "llmprobe_scheduled_request_duration_seconds";
inline constexpr const char* kScheduledDurationHelp =
    "Open loop: time from the intended start to the last token (corrects coordinated omission).";

// Rolling windows: gauges over the most recent `window` of each level's active time.
inline constexpr const char* kRollingTtft = "llmprobe_rolling_time_to_first_token_seconds";
inline constexpr const char* kRollingTpot = "llmprobe_rolling_time_per_output_token_seconds";
inline constexpr const char* kRollingItl = "llmprobe_rolling_inter_token_latency_seconds";
inline constexpr const char* kRollingDuration = "llmprobe_rolling_request_duration_seconds";
inline constexpr const char* kRollingOutputTps = "llmprobe_rolling_output_tokens_per_second";
inline constexpr const char* kRollingRps = "llmprobe_rolling_requests_per_second";
inline constexpr const char* kRollingErrorRatio = "llmprobe_rolling_error_ratio";
inline constexpr const char* kRollingWindowSeconds = "llmprobe_rolling_window_seconds";

// SLO configuration and state, per target (labels target, slo).
inline constexpr const char* kSloThreshold = "llmprobe_slo_threshold_seconds";
inline constexpr const char* kSloObjective = "llmprobe_slo_objective";
inline constexpr const char* kSloHolds = "llmprobe_slo_holds";

// Budgets and schedule, per target.
inline constexpr const char* kBudgetExhausted = "llmprobe_budget_exhausted";
inline constexpr const char* kStageRate = "llmprobe_stage_rate";
inline constexpr const char* kScheduleIdle = "llmprobe_schedule_idle";
inline constexpr const char* kInflightLimitReached = "llmprobe_inflight_limit_reached";
inline constexpr const char* kBackoff = "llmprobe_backoff_seconds";
inline constexpr const char* kCircuitOpen = "llmprobe_circuit_open";
inline constexpr const char* kCircuitOpenHelp =
    "1 while the target's circuit breaker is open or half-open (one trial request), 0 when "
    "closed.";
inline constexpr const char* kBackoffHelp =
    "Time until the target may be sent a request again: the rest of the open circuit's period "
    "or of a server's Retry-After (0 when requests may start).";
inline constexpr const char* kCircuitOpened = "llmprobe_circuit_opened";  // + _total
inline constexpr const char* kCircuitOpenedHelp =
    "Times the target's circuit breaker opened (consecutive failures, or a failed trial).";
inline constexpr const char* kCircuitSkipped = "llmprobe_circuit_skipped_requests";  // + _total
inline constexpr const char* kCircuitSkippedHelp =
    "Open loop: requests due while the target's circuit was open, not sent.";

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
