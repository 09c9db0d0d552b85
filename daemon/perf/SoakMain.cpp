// llmprobe_soak: the soak run of issue 7 (docs/SOAK.md). Starts `llmprobe mock` (a child
// process), a fault server inside this process (SoakFaultServer.h) and `llmprobe run` (a child
// process) probing both: the mock at --concurrency, the fault server at --fault-concurrency
// with 1 s timeouts. Every --interval it samples the daemon's RSS, open fds and threads from
// /proc and its request counters from /metrics, and prints one line; at the end a summary and
// a verdict. Exit status: 0 when RSS and fds grow by at most --tolerance percent from their
// value after the warm-up (the first 20% of the run), the daemon never exits on its own and
// shuts down cleanly, and the accounting balances at every sample; 1 otherwise (or when
// interrupted); 2 for bad flags.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ChildProcess.h"
#include "LlmprobeProcess.h"
#include "MetricsScrape.h"
#include "ProcStats.h"
#include "SoakFaultServer.h"
#include "common/Clock.h"
#include "common/Duration.h"
#include "common/FileLimit.h"
#include "common/Signals.h"
#include "metrics/MetricNames.h"
#include "stats/Outcome.h"

namespace llmprobe::perf {
namespace {

constexpr const char* kMockTarget = "mock";
constexpr const char* kFaultTarget = "faults";
constexpr double kWarmupFraction = 0.2;

struct Flags {
  std::string duration = "10m";
  std::string interval = "10s";
  int concurrency = 256;       // the mock target
  int fault_concurrency = 4;   // the fault target
  std::string ttft = "200ms";  // the mock's schedule
  std::string tpot = "20ms";
  int max_tokens = 64;
  double tolerance_percent = 5;
  std::string llmprobe;  // default: beside this program
  bool keep_logs = false;
};

// One target's request counters in one scrape.
struct TargetCounts {
  std::map<std::string, int64_t> by_outcome;  // llmprobe_requests_total{outcome}, non-zero
  int64_t finished = 0;                       // their sum
  int64_t inflight = 0;                       // llmprobe_inflight_requests
  int64_t output_tokens = 0;                  // llmprobe_output_tokens_total
  int64_t Count(Outcome o) const {
    auto it = by_outcome.find(std::string(OutcomeName(o)));
    return it == by_outcome.end() ? 0 : it->second;
  }
};

TargetCounts ReadTarget(const std::vector<MetricSample>& samples, const std::string& target) {
  TargetCounts c;
  const std::string requests = std::string(metric::kRequests) + "_total";
  for (const MetricSample& s : samples) {
    const std::string* t = s.Label(metric::kLabelTarget);
    if (t == nullptr || *t != target) continue;
    if (s.name == requests) {
      const std::string* outcome = s.Label(metric::kLabelOutcome);
      const auto n = static_cast<int64_t>(std::llround(s.value));
      if (outcome != nullptr && n != 0) c.by_outcome[*outcome] += n;
      c.finished += n;
    }
  }
  c.inflight = static_cast<int64_t>(
      SumSamples(samples, metric::kInflight, {{metric::kLabelTarget, target}}));
  c.output_tokens = static_cast<int64_t>(SumSamples(
      samples, std::string(metric::kOutputTokens) + "_total", {{metric::kLabelTarget, target}}));
  return c;
}

struct Sample {
  int64_t t_ns = 0;  // since the daemon started
  ProcSample proc;
  bool scraped = false;
  bool stable = false;  // a consistent snapshot (ScrapeStable)
  TargetCounts mock, faults;
  std::array<int64_t, kFaultKinds> served_before{}, served_after{};
  std::vector<std::string> problems;  // accounting violations found in this sample
};

// What must not change between two scrapes for the first to be a consistent snapshot.
std::array<int64_t, 3> StabilityKey(const std::vector<MetricSample>& samples) {
  const TargetCounts mock = ReadTarget(samples, kMockTarget);
  return {mock.finished, mock.output_tokens, ReadTarget(samples, kFaultTarget).finished};
}

// The exposition is rendered family by family, so one scrape can see a request in one counter
// and not yet in another (or in neither the counters nor the in-flight gauge). Scrapes until
// two consecutive ones agree on both targets' finished counts and the mock's output tokens:
// then no request finished while the first was rendered, and it is a consistent snapshot. The
// streams of the mock target run in step, so quiet moments come every request period; at most
// 50 scrapes. The fault server's tallies are read before the first scrape and after the last.
void ScrapeStable(int port, const SoakFaultServer& faults, Sample* s) {
  s->served_before = faults.Served();
  std::vector<MetricSample> prev;
  bool have_prev = false;
  for (int i = 0; i < 50; ++i) {
    auto text = HttpGet(port, "/metrics", 10 * kNanosPerSecond);
    if (!text.ok()) {
      s->problems.push_back("scrape failed: " + text.status().message());
      return;
    }
    std::vector<MetricSample> samples = ParseExposition(text.value());
    if (have_prev && StabilityKey(prev) == StabilityKey(samples)) {
      s->stable = true;
      break;
    }
    prev = std::move(samples);
    have_prev = true;
  }
  s->served_after = faults.Served();
  s->scraped = true;
  s->mock = ReadTarget(prev, kMockTarget);
  s->faults = ReadTarget(prev, kFaultTarget);
}

// The accounting checks of one sample (docs/SOAK.md): the daemon has no requests-started
// counter, so "started = finished by outcome + in flight" is checked against the fault
// server's own count of the requests it received, kind by kind.
void CheckAccounting(const Flags& f, const Sample* previous, Sample* s) {
  if (!s->scraped) return;
  int64_t served_before = 0, expected_finished = 0;
  for (size_t i = 0; i < kFaultKinds; ++i) {
    const FaultKind kind = kAllFaultKinds[i];
    const int64_t counted = s->faults.Count(ExpectedOutcome(kind));
    served_before += s->served_before[i];
    expected_finished += counted;
    if (counted > s->served_after[i]) {
      s->problems.push_back("faults: " + std::string(OutcomeName(ExpectedOutcome(kind))) + " " +
                            std::to_string(counted) + " > " + std::string(FaultKindName(kind)) +
                            " served " + std::to_string(s->served_after[i]));
    }
  }
  if (s->faults.finished != expected_finished) {
    std::string unexpected;
    for (const auto& [outcome, n] : s->faults.by_outcome) {
      bool known = false;
      for (FaultKind kind : kAllFaultKinds)
        known = known || outcome == OutcomeName(ExpectedOutcome(kind));
      if (!known) unexpected += " " + outcome + "=" + std::to_string(n);
    }
    s->problems.push_back("faults: outcomes no fault explains:" + unexpected);
  }
  // Every request received before the scrape has finished or is in flight. Only exact with a
  // consistent snapshot; without one a request may have finished between the two reads.
  if (s->stable && served_before > s->faults.finished + s->faults.inflight) {
    s->problems.push_back("faults: received " + std::to_string(served_before) + " > finished " +
                          std::to_string(s->faults.finished) + " + in flight " +
                          std::to_string(s->faults.inflight));
  }
  if (s->faults.inflight < 0 || s->faults.inflight > f.fault_concurrency) {
    s->problems.push_back("faults: in flight " + std::to_string(s->faults.inflight));
  }
  if (s->mock.inflight < 0 || s->mock.inflight > f.concurrency) {
    s->problems.push_back("mock: in flight " + std::to_string(s->mock.inflight));
  }
  // Every successful mock request carries exactly max_tokens tokens; failed ones may add some.
  const int64_t ok_tokens = s->mock.Count(Outcome::kSuccess) * f.max_tokens;
  if (s->stable &&
      (s->mock.output_tokens < ok_tokens || (s->mock.finished == s->mock.Count(Outcome::kSuccess) &&
                                             s->mock.output_tokens != ok_tokens))) {
    s->problems.push_back("mock: output tokens " + std::to_string(s->mock.output_tokens) + " vs " +
                          std::to_string(ok_tokens) + " from successes");
  }
  if (previous != nullptr && previous->scraped) {
    auto monotonic = [&](const TargetCounts& a, const TargetCounts& b, const char* name) {
      for (const auto& [outcome, n] : a.by_outcome) {
        auto it = b.by_outcome.find(outcome);
        if (it == b.by_outcome.end() || it->second < n) {
          s->problems.push_back(std::string(name) + ": counter " + outcome + " went down");
        }
      }
    };
    monotonic(previous->mock, s->mock, kMockTarget);
    monotonic(previous->faults, s->faults, kFaultTarget);
  }
}

double Mib(int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

std::string FailuresText(const TargetCounts& c) {
  std::string out;
  for (const auto& [outcome, n] : c.by_outcome) {
    if (outcome == OutcomeName(Outcome::kSuccess)) continue;
    out += (out.empty() ? "" : ",") + outcome + "=" + std::to_string(n);
  }
  return out.empty() ? "0" : out;
}

void PrintSample(const Sample& s) {
  std::printf(
      "%6.0fs rss=%.1fMiB fds=%lld threads=%lld | mock ok=%lld failed=%s inflight=%lld | "
      "faults served=%lld finished=%lld inflight=%lld [",
      NanosToSeconds(s.t_ns), Mib(s.proc.rss_bytes), static_cast<long long>(s.proc.open_fds),
      static_cast<long long>(s.proc.threads),
      static_cast<long long>(s.mock.Count(Outcome::kSuccess)), FailuresText(s.mock).c_str(),
      static_cast<long long>(s.mock.inflight),
      [&] {
        long long n = 0;
        for (int64_t v : s.served_after) n += v;
        return n;
      }(),
      static_cast<long long>(s.faults.finished), static_cast<long long>(s.faults.inflight));
  for (size_t i = 0; i < kFaultKinds; ++i) {
    std::printf("%s%s=%lld/%lld", i ? " " : "",
                std::string(FaultKindName(kAllFaultKinds[i])).c_str(),
                static_cast<long long>(s.faults.Count(ExpectedOutcome(kAllFaultKinds[i]))),
                static_cast<long long>(s.served_after[i]));
  }
  std::printf("] %s\n", !s.problems.empty() ? "ACCT:"
                        : s.stable          ? "acct=ok"
                                   : "acct=ok (no consistent scrape: exact checks skipped)");
  for (const std::string& p : s.problems) std::printf("        ! %s\n", p.c_str());
  std::fflush(stdout);
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int64_t CountOccurrences(const std::string& text, const std::string& needle) {
  int64_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::string Percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", v);
  return buf;
}

int64_t MustParseDuration(const std::string& flag, const std::string& text) {
  auto d = ParseDuration(text);
  if (!d.ok() || d.value() <= 0) {
    std::fprintf(stderr, "llmprobe_soak: %s: %s\n", flag.c_str(),
                 d.ok() ? "must be > 0" : d.status().message().c_str());
    std::exit(2);
  }
  return d.value();
}

// Two closed-loop openai-chat targets: the mock at --concurrency and the fault server at
// --fault-concurrency with short timeouts (a stall fails after 1 s). Stages of 1 m: each
// target drains and restarts its level every minute, as a daemon cycling levels does. The
// rolling window (load.window, default 5 m) holds memory that grows until the window is full;
// `window_ns` is chosen so that it fills within the warm-up and later growth means a leak.
std::string ConfigYaml(const Flags& f, int mock_port, int fault_port, int64_t window_ns) {
  const std::string window = FormatDuration(window_ns);
  const auto target = [&window](const std::string& name, int port, const std::string& model,
                                int max_tokens, int concurrency, const std::string& extra) {
    return "  - name: " + name +
           "\n    api: openai-chat\n    url: http://127.0.0.1:" + std::to_string(port) +
           "/v1/chat/completions\n    model: " + model +
           "\n    workload: {prompt_tokens: 16, max_tokens: " + std::to_string(max_tokens) +
           "}\n    load: {concurrency: [" + std::to_string(concurrency) +
           "], stage_duration: 1m, warmup: 5s, window: " + window + "}\n" + extra;
  };
  return "# Generated by llmprobe_soak.\ntargets:\n" +
         target(kMockTarget, mock_port, "mock-model", f.max_tokens, f.concurrency, "") +
         target(kFaultTarget, fault_port, "fault-model", 8, f.fault_concurrency,
                "    timeouts: {connect: 1s, first_token: 1s, between_tokens: 1s, total: 2s}\n");
}

int RunSoak(const Flags& f) {
  const int64_t duration_ns = MustParseDuration("--duration", f.duration);
  const int64_t interval_ns = MustParseDuration("--interval", f.interval);
  const std::string llmprobe = f.llmprobe.empty() ? LlmprobeBesideSelf() : f.llmprobe;
  RaiseOpenFileLimit();

  SoakFaultServer faults;
  if (Status s = faults.Start(); !s.ok()) {
    std::fprintf(stderr, "llmprobe_soak: %s\n", s.message().c_str());
    return 1;
  }
  auto mock = StartMock(
      llmprobe, {"--ttft", f.ttft, "--tpot", f.tpot, "--max-tokens", std::to_string(f.max_tokens),
                 "--max-connections", std::to_string(std::max(1024, f.concurrency + 64))});
  if (!mock.ok()) {
    std::fprintf(stderr, "llmprobe_soak: %s\n", mock.status().message().c_str());
    return 1;
  }
  WorkDir dir("llmprobe-soak");
  // Half the warm-up, whole seconds, at most the default 5 m.
  const int64_t window_ns = std::clamp<int64_t>(
      static_cast<int64_t>(kWarmupFraction / 2 * NanosToSeconds(duration_ns)) * kNanosPerSecond,
      kNanosPerSecond, 300 * kNanosPerSecond);
  const std::string config =
      dir.WriteFile("soak.yaml", ConfigYaml(f, mock.value().port, faults.port(), window_ns));
  const std::string log_path = dir.path() + "/daemon.log";
  auto daemon = StartDaemon(llmprobe, config, log_path, {}, 30 * kNanosPerSecond);
  if (!daemon.ok()) {
    std::fprintf(stderr, "llmprobe_soak: %s\n", daemon.status().message().c_str());
    dir.Keep();
    return 1;
  }
  ChildProcess& proc = *daemon.value().child;
  const MonoNanos start = SteadyClock().Now();
  std::printf(
      "llmprobe_soak: %s for %s, a sample every %s; daemon pid %d on 127.0.0.1:%d, "
      "mock on :%d (concurrency %d, %s + %d x %s per request), fault server on :%d "
      "(concurrency %d); rolling window %s\nconfig %s, log %s\n\n",
      llmprobe.c_str(), f.duration.c_str(), f.interval.c_str(), static_cast<int>(proc.pid()),
      daemon.value().port, mock.value().port, f.concurrency, f.ttft.c_str(), f.max_tokens - 1,
      f.tpot.c_str(), faults.port(), f.fault_concurrency, FormatDuration(window_ns).c_str(),
      config.c_str(), log_path.c_str());
  std::printf(
      "   time: daemon RSS, open fds, threads | mock target: successes, failures by "
      "outcome, in flight | fault target: requests the fault server received, finished, "
      "in flight [kind=counted by the daemon under its outcome/handed out by the server]"
      "\n");

  std::vector<Sample> samples;
  bool crashed = false, interrupted = false, mock_died = false;
  for (int64_t i = 1;; ++i) {
    const MonoNanos due = start + std::min(i * interval_ns, duration_ns);
    for (MonoNanos now = SteadyClock().Now(); now < due; now = SteadyClock().Now()) {
      const int sig = WaitForSignal(due - now);
      if (sig == SIGINT || sig == SIGTERM) {
        interrupted = true;
        break;
      }
    }
    if (interrupted) break;
    if (proc.Exited()) {
      crashed = true;
      break;
    }
    Sample s;
    s.t_ns = SteadyClock().Now() - start;
    ScrapeStable(daemon.value().port, faults, &s);
    s.proc = SampleProcess(proc.pid());
    CheckAccounting(f, samples.empty() ? nullptr : &samples.back(), &s);
    PrintSample(s);
    samples.push_back(std::move(s));
    if (mock.value().child->Exited()) {
      mock_died = true;
      break;
    }
    if (due >= start + duration_ns) break;
  }

  // Shutdown: SIGTERM, then the daemon's grace (5 s) for in-flight requests.
  int exit_status = proc.status();
  if (!crashed) {
    proc.Signal(SIGTERM);
    exit_status = proc.WaitFor(30 * kNanosPerSecond);
    if (exit_status < 0) {
      proc.Signal(SIGKILL);
      exit_status = proc.Wait();
    }
  }
  mock.value().child->Signal(SIGTERM);
  mock.value().child->WaitFor(30 * kNanosPerSecond);
  faults.Stop();

  // Summary.
  const std::string log = ReadWholeFile(log_path);
  std::printf("\nSummary (%s, %zu samples)\n", f.duration.c_str(), samples.size());
  bool ok = !crashed && !interrupted && !mock_died && exit_status == 0 && !samples.empty();
  const MonoNanos warmup_end =
      static_cast<int64_t>(kWarmupFraction * static_cast<double>(duration_ns));
  const Sample* base = nullptr;
  for (const Sample& s : samples) {
    if (s.t_ns >= warmup_end) {
      base = &s;
      break;
    }
  }
  int64_t max_threads = 0, max_rss = 0, max_fds = 0, violations = 0, consistent = 0;
  for (const Sample& s : samples) {
    max_threads = std::max(max_threads, s.proc.threads);
    violations += static_cast<int64_t>(s.problems.size());
    consistent += s.stable ? 1 : 0;
    if (base != nullptr && s.t_ns >= base->t_ns) {
      max_rss = std::max(max_rss, s.proc.rss_bytes);
      max_fds = std::max(max_fds, s.proc.open_fds);
    }
  }
  if (base != nullptr && &samples.back() != base) {
    const Sample& last = samples.back();
    const auto growth = [](int64_t from, int64_t to) {
      return from > 0 ? 100.0 * static_cast<double>(to - from) / static_cast<double>(from) : 0.0;
    };
    const double rss_growth = growth(base->proc.rss_bytes, last.proc.rss_bytes);
    const double fd_growth = growth(base->proc.open_fds, last.proc.open_fds);
    // Growth is what a leak looks like; a fall (freed memory, fewer fault connections open at
    // that moment) is not a failure.
    const bool rss_ok = rss_growth <= f.tolerance_percent;
    const bool fd_ok = fd_growth <= f.tolerance_percent;
    ok = ok && rss_ok && fd_ok;
    std::printf(
        "  RSS after warm-up (%.0fs): %.1f MiB -> %.1f MiB at the end: %s (peak after "
        "warm-up %s)  [target growth <= %.0f%%: %s]\n",
        NanosToSeconds(base->t_ns), Mib(base->proc.rss_bytes), Mib(last.proc.rss_bytes),
        Percent(rss_growth).c_str(), Percent(growth(base->proc.rss_bytes, max_rss)).c_str(),
        f.tolerance_percent, rss_ok ? "met" : "MISSED");
    std::printf(
        "  open fds after warm-up: %lld -> %lld at the end: %s (peak after warm-up %s)  "
        "[target growth <= %.0f%%: %s]\n",
        static_cast<long long>(base->proc.open_fds), static_cast<long long>(last.proc.open_fds),
        Percent(fd_growth).c_str(), Percent(growth(base->proc.open_fds, max_fds)).c_str(),
        f.tolerance_percent, fd_ok ? "met" : "MISSED");
  } else {
    ok = false;
    std::printf("  RSS / fd growth: not enough samples after the warm-up\n");
  }
  std::printf("  max threads: %lld\n", static_cast<long long>(max_threads));
  std::printf(
      "  crashes: %s  [target none: %s]\n",
      crashed ? ("daemon exited on its own with " + std::to_string(exit_status)).c_str() : "none",
      crashed ? "MISSED" : "met");
  if (!crashed) {
    std::printf("  shutdown on SIGTERM: exit status %d%s\n", exit_status,
                exit_status == 0 ? "" : "  (MISSED: not a clean exit)");
  }
  if (mock_died) std::printf("  the mock exited during the run (harness failure)\n");
  if (interrupted) std::printf("  interrupted by a signal before the end\n");
  ok = ok && violations == 0;
  if (!samples.empty()) {
    const Sample& last = samples.back();
    int64_t received = 0;
    for (int64_t v : last.served_before) received += v;
    std::printf(
        "  accounting at the last sample: fault target received %lld = finished %lld + "
        "in flight %lld + %lld not yet arrived; mock target finished %lld (%lld ok, "
        "failures %s) + in flight %lld; output tokens %lld\n",
        static_cast<long long>(received), static_cast<long long>(last.faults.finished),
        static_cast<long long>(last.faults.inflight),
        static_cast<long long>(last.faults.finished + last.faults.inflight - received),
        static_cast<long long>(last.mock.finished),
        static_cast<long long>(last.mock.Count(Outcome::kSuccess)), FailuresText(last.mock).c_str(),
        static_cast<long long>(last.mock.inflight),
        static_cast<long long>(last.mock.output_tokens));
  }
  std::printf(
      "  accounting violations: %lld, consistent snapshots %lld of %zu samples  [target "
      "none: %s]\n",
      static_cast<long long>(violations), static_cast<long long>(consistent), samples.size(),
      violations == 0 ? "met" : "MISSED");
  std::printf("  daemon log: %lld lines, %lld warn, %lld error\n",
              static_cast<long long>(CountOccurrences(log, "\n")),
              static_cast<long long>(CountOccurrences(log, "level=warn")),
              static_cast<long long>(CountOccurrences(log, "level=error")));
  if (!ok || f.keep_logs) {
    dir.Keep();
    std::printf("  kept %s\n", dir.path().c_str());
  }
  std::printf("\n%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace llmprobe::perf

int main(int argc, char** argv) {
  using namespace llmprobe::perf;
  CLI::App app{
      "llmprobe soak (issue 7): `llmprobe run` against `llmprobe mock` and a fault "
      "server for a long time; see docs/SOAK.md"};
  Flags f;
  app.add_option("--duration", f.duration, "How long the daemon runs")->capture_default_str();
  app.add_option("--interval", f.interval, "Time between samples")->capture_default_str();
  app.add_option("--concurrency", f.concurrency, "Concurrency of the mock target")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--fault-concurrency", f.fault_concurrency, "Concurrency of the fault target")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--ttft", f.ttft, "Mock time to first token")->capture_default_str();
  app.add_option("--tpot", f.tpot, "Mock time per output token")->capture_default_str();
  app.add_option("--max-tokens", f.max_tokens, "Tokens per mock response")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--tolerance", f.tolerance_percent,
                 "Largest RSS and fd change after the warm-up, in percent")
      ->capture_default_str();
  app.add_option("--llmprobe", f.llmprobe, "Path of the llmprobe binary (default: beside this)");
  app.add_flag("--keep-logs", f.keep_logs, "Keep the config and daemon log (kept anyway on FAIL)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help prints and exits 0; bad flags exit 2
  }
  // Before any thread starts: SIGINT/SIGTERM end the run early (collected by the sampling
  // loop), SIGPIPE is blocked for the fault server's writes. Children start unblocked.
  llmprobe::BlockProcessSignals();
  return RunSoak(f);
}
