#include "ProbeRun.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "MetricsScrape.h"
#include "ProcStats.h"
#include "app/Daemon.h"
#include "common/Clock.h"
#include "common/Duration.h"
#include "config/ConfigLoader.h"
#include "stats/LogHistogram.h"

namespace llmprobe::perf {
namespace {

double Ms(double ns) { return ns / 1e6; }

// One closed-loop openai-chat target on the mock; `levels` is a YAML list, e.g. "[1, 2]".
// With `ca_file`, over HTTPS with the mock's certificate verified against that CA.
std::string TargetYaml(const std::string& name, int port, int max_tokens, const std::string& levels,
                       int64_t stage_ns, int64_t think_ns, const std::string& ca_file = "") {
  return "  - name: " + name +
         "\n    api: openai-chat\n    url: " + (ca_file.empty() ? "http" : "https") +
         "://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions\n    model: mock-model\n" +
         (ca_file.empty() ? "" : "    tls_config: {ca_file: \"" + ca_file + "\"}\n") +
         "    workload: {prompt_tokens: 16, max_tokens: " + std::to_string(max_tokens) +
         "}\n    load: {concurrency: " + levels + ", stage_duration: " + FormatDuration(stage_ns) +
         ", warmup: 0s, think_time: " + FormatDuration(think_ns) + "}\n";
}

Config MustLoad(const std::string& yaml) {
  auto cfg = LoadConfigString(yaml, "llmprobe_perf.yaml");
  if (!cfg.ok()) {
    std::fprintf(stderr, "llmprobe_perf: generated config: %s\n", cfg.status().message().c_str());
    std::exit(2);
  }
  return std::move(cfg).value();
}

void MustStart(Daemon& daemon) {
  if (Status s = daemon.Start(); !s.ok()) {
    std::fprintf(stderr, "llmprobe_perf: daemon: %s\n", s.message().c_str());
    std::exit(1);
  }
}

// The mock's /mock/stats endpoints (MockSendStats.h); exits on failure.
std::string MustCallMock(const std::string& method, int port, const std::string& path, bool tls) {
  Result<std::string> body = HttpCall(method, port, path, 10 * kNanosPerSecond, tls);
  if (!body.ok()) {
    std::fprintf(stderr, "llmprobe_perf: mock: %s\n", body.status().message().c_str());
    std::exit(1);
  }
  return std::move(body).value();
}

void SleepUntil(MonoNanos t) {
  const MonoNanos now = SteadyClock().Now();
  if (t > now) std::this_thread::sleep_for(std::chrono::nanoseconds(t - now));
}

// Compares each token's arrival with the mock's schedule. The mock sends token k of a request
// at t0 + ttft + k * tpot, t0 being the moment it has read the whole request; the probe cannot
// see t0 (the mock reports its lateness in aggregate, not per token), so the schedule is
// anchored at the probe's t_start, which is earlier by the request's transit. "Delay" = arrival -
// (t_start + ttft + k * tpot): the request's transit, the mock's lateness, the token's transit and
// the probe's own delay (read to timestamp), together; an upper bound of the probe's part. Arrivals
// are rebuilt from t_first_token and the ITL gaps, which are exact differences of the read
// timestamps.
class ScheduleSink final : public ResultSink {
 public:
  ScheduleSink(const ProbeRunOptions& o, MonoNanos window_start, MonoNanos window_end)
      : o_(o), window_start_(window_start), window_end_(window_end) {}

  // Called from the transport threads.
  void Record(const SeriesKey&, const RequestResult& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (r.outcome != Outcome::kSuccess) {
      const MonoNanos now = SteadyClock().Now();
      if (now >= window_start_ && now < window_end_)
        ++failures_[std::string(OutcomeName(r.outcome))];
      return;
    }
    const TimingRecord& t = r.timing;
    if (t.t_start >= window_start_ && t.t_start < window_end_) {
      RecordDelay(t.t_first_token - t.t_start - o_.ttft_ns, &ttft_error_);
      ++requests_;
    }
    MonoNanos arrival = t.t_first_token;
    int64_t k = 0;
    auto token = [&](MonoNanos at) {
      if (at >= window_start_ && at < window_end_) {
        RecordDelay(at - (t.t_start + o_.ttft_ns + k * o_.tpot_ns), &token_delay_);
        ++tokens_in_window_;
      }
      ++k;
    };
    token(arrival);
    for (const ItlGap& gap : r.itl) {
      arrival += gap.gap_ns;
      for (int32_t i = 0; i < gap.tokens; ++i) token(arrival);
    }
    if (k < o_.max_tokens) ++short_responses_;
  }

  // Fills the latency and count fields of *f.
  void Fill(LevelFigures* f) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto q = [](const LogHistogram& h, double p) { return h.Count() ? Ms(h.Quantile(p)) : 0.0; };
    auto mx = [](const LogHistogram& h) { return h.Count() ? Ms(h.Max()) : 0.0; };
    f->requests = requests_;
    f->tokens = tokens_in_window_;
    f->short_responses = short_responses_;
    f->failures = failures_;
    f->early_tokens = early_;
    f->ttft_err_p50_ms = q(ttft_error_, 0.5);
    f->ttft_err_p99_ms = q(ttft_error_, 0.99);
    f->ttft_err_max_ms = mx(ttft_error_);
    f->delay_p50_ms = q(token_delay_, 0.5);
    f->delay_p99_ms = q(token_delay_, 0.99);
    f->delay_max_ms = mx(token_delay_);
  }

 private:
  // Negative delays (a token before its time) are counted, and recorded as 0.
  void RecordDelay(int64_t ns, LogHistogram* h) {
    if (ns < 0) ++early_;
    h->Record(static_cast<double>(std::max<int64_t>(ns, 0)));
  }

  const ProbeRunOptions o_;
  const MonoNanos window_start_, window_end_;
  mutable std::mutex mu_;                  // guards everything below
  LogHistogram ttft_error_, token_delay_;  // nanoseconds
  int64_t requests_ = 0, tokens_in_window_ = 0, short_responses_ = 0, early_ = 0;
  std::map<std::string, int64_t> failures_;
};

}  // namespace

LevelFigures RunProbeLevel(const ProbeRunOptions& o) {
  // One stage that outlasts the run: no level change, no second warm-up.
  const int64_t stage_ns = o.warmup_ns + 2 * o.measure_ns + 3600 * kNanosPerSecond;
  const Config config =
      MustLoad("targets:\n" + TargetYaml("bench", o.port, o.max_tokens,
                                         "[" + std::to_string(o.concurrency) + "]", stage_ns, 0,
                                         o.tls_ca_file));
  const bool tls = !o.tls_ca_file.empty();
  // The streams run in step (they start together and the mock's schedule is fixed), so tokens
  // come in bursts, none during the TTFT part of each request period. A window of whole
  // periods holds the expected number of tokens whatever its phase; any other length would
  // move the achieved rate by up to ttft / window.
  const int64_t period_ns = o.ttft_ns + (o.max_tokens - 1) * o.tpot_ns;
  const int64_t window_ns = (o.measure_ns + period_ns - 1) / period_ns * period_ns;
  const MonoNanos start = SteadyClock().Now();
  const MonoNanos window_start = start + o.warmup_ns;
  const MonoNanos window_end = window_start + window_ns;
  ScheduleSink sink(o, window_start, window_end);
  DaemonOptions opts;
  opts.listen_address = "127.0.0.1:0";
  opts.extra_sink = &sink;
  opts.shutdown_grace_ns = 120 * kNanosPerSecond;  // let every stream finish: no partial counts
  Daemon daemon(config, opts);
  MustStart(daemon);
  SleepUntil(window_start);
  const CpuTimes cpu0 = SelfCpu();
  const ProcSample mock0 = o.mock_pid != 0 ? SampleProcess(o.mock_pid) : ProcSample{};
  MustCallMock("POST", o.port, "/mock/stats/reset", tls);
  SleepUntil(window_end);
  const CpuTimes cpu1 = SelfCpu();
  const ProcSample mock1 = o.mock_pid != 0 ? SampleProcess(o.mock_pid) : ProcSample{};
  const nlohmann::json mock_stats =
      nlohmann::json::parse(MustCallMock("GET", o.port, "/mock/stats", tls));
  const ProcSample self = SampleProcess(0);
  daemon.Stop();  // in-flight requests finish: their tokens that arrived in the window count

  LevelFigures f;
  sink.Fill(&f);
  f.mock_token_chunks = mock_stats.at("token_chunks").get<int64_t>();
  f.mock_late_p50_ms = mock_stats.at("late_ms").at("p50").get<double>();
  f.mock_late_p99_ms = mock_stats.at("late_ms").at("p99").get<double>();
  f.mock_late_max_ms = mock_stats.at("late_ms").at("max").get<double>();
  f.mock_first_late_p99_ms = mock_stats.at("first_token_late_ms").at("p99").get<double>();
  const double tokens = static_cast<double>(std::max<int64_t>(1, f.tokens));
  f.concurrency = o.concurrency;
  f.window_s = NanosToSeconds(window_ns);
  f.expected_tokens_per_s = o.concurrency * o.max_tokens / NanosToSeconds(period_ns);
  f.achieved_tokens_per_s = static_cast<double>(f.tokens) / f.window_s;
  const auto cpu_ns = static_cast<double>(cpu1.total_ns() - cpu0.total_ns());
  f.probe_cpu_us_per_token = cpu_ns / 1e3 / tokens;
  f.probe_cpu_percent = 100.0 * cpu_ns / static_cast<double>(window_ns);
  f.probe_system_cpu_share =
      cpu_ns > 0 ? static_cast<double>(cpu1.system_ns - cpu0.system_ns) / cpu_ns : 0.0;
  if (o.mock_pid != 0) {
    f.mock_cpu_us_per_token = static_cast<double>(mock1.cpu_ns - mock0.cpu_ns) / 1e3 / tokens;
    f.mock_cpu_percent =
        100.0 * static_cast<double>(mock1.cpu_ns - mock0.cpu_ns) / static_cast<double>(window_ns);
    f.mock_threads = mock1.threads;
  }
  f.probe_rss_bytes = self.rss_bytes;
  f.probe_hwm_bytes = self.hwm_bytes;
  f.probe_threads = self.threads;
  return f;
}

RenderFigures RunMetricsRender(int port, int targets, int levels, int64_t fill_ns, int repeats) {
  std::string levels_yaml = "[";
  for (int l = 1; l <= levels; ++l) levels_yaml += (l > 1 ? ", " : "") + std::to_string(l);
  levels_yaml += "]";
  // Every target visits every level within fill_ns (whole milliseconds keep FormatDuration
  // short). Each slot pauses 1 s between its requests: a light load, as a probing daemon's
  // usually is, so the render is not timed on CPUs saturated by the mock; every level still
  // gets finished requests, hence every series.
  const int64_t stage_ns = fill_ns / (levels + 1) / kNanosPerMilli * kNanosPerMilli;
  std::string yaml = "targets:\n";
  for (int t = 0; t < targets; ++t) {
    yaml +=
        TargetYaml("target-" + std::to_string(t), port, 8, levels_yaml, stage_ns, kNanosPerSecond);
  }
  DaemonOptions opts;
  opts.listen_address = "127.0.0.1:0";
  Daemon daemon(MustLoad(yaml), opts);
  MustStart(daemon);
  std::this_thread::sleep_for(std::chrono::nanoseconds(fill_ns));
  RenderFigures f;
  f.targets = targets;
  f.levels = levels;
  std::vector<double> render_ms, scrape_ms;
  std::string text;
  for (int i = 0; i < repeats; ++i) {
    const MonoNanos t0 = SteadyClock().Now();
    text = daemon.RenderMetrics();
    const MonoNanos t1 = SteadyClock().Now();
    Result<std::string> scraped = HttpGet(daemon.web_port(), "/metrics", 10 * kNanosPerSecond);
    const MonoNanos t2 = SteadyClock().Now();
    if (!scraped.ok()) {
      std::fprintf(stderr, "llmprobe_perf: GET /metrics: %s\n", scraped.status().message().c_str());
      std::exit(1);
    }
    render_ms.push_back(Ms(static_cast<double>(t1 - t0)));
    scrape_ms.push_back(Ms(static_cast<double>(t2 - t1)));
  }
  daemon.Stop();
  const std::vector<MetricSample> samples = ParseExposition(text);
  std::set<std::pair<std::string, std::string>> level_series;
  for (const MetricSample& s : samples) {
    const std::string* target = s.Label("target");
    const std::string* level = s.Label("concurrency");
    if (target != nullptr && level != nullptr) level_series.emplace(*target, *level);
  }
  f.series = static_cast<int64_t>(samples.size());
  f.level_series = static_cast<int64_t>(level_series.size());
  f.bytes = static_cast<int64_t>(text.size());
  std::sort(render_ms.begin(), render_ms.end());
  std::sort(scrape_ms.begin(), scrape_ms.end());
  f.render_p50_ms = render_ms[render_ms.size() / 2];
  f.render_max_ms = render_ms.back();
  f.scrape_p50_ms = scrape_ms[scrape_ms.size() / 2];
  f.scrape_max_ms = scrape_ms.back();
  return f;
}

}  // namespace llmprobe::perf
