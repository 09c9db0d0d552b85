// The probe side of the benchmark, run in its own process (`llmprobe_perf probe ...`, started
// by the coordinator in PerfMain.cpp): the real Daemon (event loops, transport, prober,
// decoder, metrics, rolling windows: everything `llmprobe run` runs) probes `llmprobe mock`,
// and a ResultSink beside the metrics rebuilds every token's arrival time from the request
// results and compares it with the mock's schedule. CPU is measured over the window after the
// warm-up (getrusage for this process, /proc for the mock); RSS and threads at its end.
// Each function runs one Daemon, blocks for the whole run and returns plain figures.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace llmprobe::perf {

struct ProbeRunOptions {
  int port = 0;        // the mock, on 127.0.0.1
  pid_t mock_pid = 0;  // for its CPU time; 0 = not measured
  int concurrency = 1;
  int max_tokens = 64;  // tokens asked for per request (the mock sends exactly that many)
  int64_t ttft_ns = 0;  // the mock's schedule: token k due at t0 + ttft + k * tpot
  int64_t tpot_ns = 0;
  int64_t warmup_ns = 0;    // before the measurement window
  int64_t measure_ns = 0;   // the measurement window, rounded up to whole request periods
  std::string tls_ca_file;  // non-empty: the mock serves HTTPS with a certificate of this CA
};

// Figures of one level; times in milliseconds, CPU in microseconds. A quantile is within 1%
// of the exact nearest-rank sample (stats/LogHistogram.h); maxima are exact.
struct LevelFigures {
  int concurrency = 0;
  double window_s = 0;          // the measurement window (whole request periods)
  int64_t requests = 0;         // successful requests started in the window
  int64_t tokens = 0;           // tokens of successful requests that arrived in the window
  int64_t short_responses = 0;  // successful requests with fewer tokens than max_tokens
  std::map<std::string, int64_t> failures;  // by outcome, requests that ended in the window
  double delay_p50_ms = 0, delay_p99_ms = 0, delay_max_ms = 0;  // token delivery delay
  int64_t early_tokens = 0;  // arrived before their scheduled time (a clock or schedule bug)
  // The mock's own send lateness over the window (GET /mock/stats, MockSendStats.h): when it
  // wrote each token chunk minus the chunk's due time; the rest of `delay` is transit and the
  // probe. first_late: first token chunks only (the server's part of the TTFT error).
  int64_t mock_token_chunks = 0;
  double mock_late_p50_ms = 0, mock_late_p99_ms = 0, mock_late_max_ms = 0;
  double mock_first_late_p99_ms = 0;
  double ttft_err_p50_ms = 0, ttft_err_p99_ms = 0, ttft_err_max_ms = 0;
  double expected_tokens_per_s = 0;  // concurrency x max_tokens / (ttft + (max_tokens-1) tpot)
  double achieved_tokens_per_s = 0;
  double probe_cpu_us_per_token = 0;
  double probe_cpu_percent = 0;       // of one core, over the window
  double probe_system_cpu_share = 0;  // part of the probe's CPU spent in the kernel, 0..1
  double mock_cpu_us_per_token = 0;
  double mock_cpu_percent = 0;
  int64_t mock_threads = 0;
  int64_t probe_rss_bytes = 0;  // at the end of the window
  int64_t probe_hwm_bytes = 0;  // peak RSS of the probe process
  int64_t probe_threads = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LevelFigures, concurrency, window_s, requests, tokens,
                                   short_responses, failures, delay_p50_ms, delay_p99_ms,
                                   delay_max_ms, early_tokens, mock_token_chunks, mock_late_p50_ms,
                                   mock_late_p99_ms, mock_late_max_ms, mock_first_late_p99_ms,
                                   ttft_err_p50_ms, ttft_err_p99_ms, ttft_err_max_ms,
                                   expected_tokens_per_s, achieved_tokens_per_s,
                                   probe_cpu_us_per_token, probe_cpu_percent,
                                   probe_system_cpu_share, mock_cpu_us_per_token, mock_cpu_percent,
                                   mock_threads, probe_rss_bytes, probe_hwm_bytes, probe_threads)

// Runs one level and returns its figures.
LevelFigures RunProbeLevel(const ProbeRunOptions& options);

struct RenderFigures {
  int targets = 0;
  int levels = 0;
  int64_t series = 0;        // sample lines of the exposition
  int64_t level_series = 0;  // distinct (target, concurrency) pairs in it
  int64_t bytes = 0;
  double render_p50_ms = 0, render_max_ms = 0;  // Daemon::RenderMetrics(), in process
  double scrape_p50_ms = 0, scrape_max_ms = 0;  // GET /metrics over HTTP on 127.0.0.1
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RenderFigures, targets, levels, series, level_series, bytes,
                                   render_p50_ms, render_max_ms, scrape_p50_ms, scrape_max_ms)

// The /metrics benchmark: a Daemon with `targets` targets, each cycling through concurrency
// levels 1..`levels` against the mock on `port` within `fill_ns` (closed loop with a 1 s think
// time: a light load), so that every (target, level) series exists; then, with the load still
// running, times `repeats` renders and as many scrapes over HTTP.
RenderFigures RunMetricsRender(int port, int targets, int levels, int64_t fill_ns, int repeats);

}  // namespace llmprobe::perf
