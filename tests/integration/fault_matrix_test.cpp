// The fault matrix (issue 7): the in-process daemon probes misbehaving servers on 127.0.0.1
// (FaultServer) next to a healthy mock target. Each fault is one row of the table in Rows():
// the outcome class it must be counted as and why, and the timeout that bounds it. For every
// row: (a) every request to the fault target gets the expected bounded outcome, (b) ends within
// its timeout (+ slack), never before a timeout it is expected to hit, (c) the healthy target
// keeps succeeding meanwhile, (d) memory stays bounded (RSS measured around the rows marked
// `alone`), (e) nothing crashes and /metrics keeps answering. The rows not marked `alone` run at
// once in one daemon (they do not interfere: one target each), which keeps the matrix at a few
// seconds; the `alone` rows run one at a time at concurrency 4 so their RSS is their own.
// The circuit breaker's behaviour in the daemon is tested at the end.
//
// Certificates are made here with the openssl CLI (MakeCertificates): a CA, a leaf for
// localhost/127.0.0.1, a leaf for another name, a leaf of an unrelated CA, and an expired
// leaf: OpenSSL 3.0's `x509 -req` cannot backdate, so the expired one is issued with
// `openssl ca -startdate 20200101000000Z -enddate 20200102000000Z` from a throw-away CA
// database (index.txt, serial); no faketime needed.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "app/Daemon.h"
#include "common/Duration.h"
#include "config/ConfigLoader.h"
#include "mock/MockServer.h"
#include "support/FaultServer.h"
#include "support/RawHttp.h"
#include "support/TestSupport.h"
#include "support/Timing.h"

using namespace llmprobe;
using namespace llmprobe::testing;

namespace {

constexpr int64_t kMs = kNanosPerMilli;
constexpr int64_t kSec = kNanosPerSecond;

// Sanitized builds are checked for behaviour; they run several times slower, so their timing
// bounds are wider, and ASan's quarantine keeps freed memory resident, so RSS is not bounded.
constexpr bool kSanitized = kSanitizedBuild;  // support/Timing.h
// Timer, scheduling and loopback latency on a shared, busy machine (load 10+ on 2 cores).
constexpr int64_t kSlackNs = (kSanitized ? 3000 : 750) * kMs;
// RSS growth allowed around a memory row: 4 concurrent requests that buffered a 10 MB line
// each would need 40 MB; the decoders cap a line at 1 MiB.
constexpr int64_t kRssBoundKb = 20 * 1024;

enum class Reach { kFaultServer, kRefused, kDns };
enum class Cert { kNone, kLeaf, kWrongName, kExpired };

TimeoutsConfig Timeouts(int64_t first_token, int64_t between_tokens, int64_t total) {
  TimeoutsConfig t;
  t.connect_ns = 1 * kSec;
  t.first_token_ns = first_token;
  t.between_tokens_ns = between_tokens;
  t.total_ns = total;
  return t;
}

// The default for rows that fail at once: each ends well within connect / first_token.
TimeoutsConfig Short() { return Timeouts(1 * kSec, 1 * kSec, 3 * kSec); }

// One fault: how the target is reached, what its server does, the outcome class expected and
// why, and the time bounds of each request.
struct Row {
  std::string id;     // target name
  std::string fault;  // what the server does
  Outcome expected = Outcome::kSuccess;
  std::string why;  // why that class
  FaultScript script;
  Reach reach = Reach::kFaultServer;
  Cert cert = Cert::kNone;      // the server's certificate (https when set)
  bool trust_other_ca = false;  // the client trusts an unrelated CA
  TimeoutsConfig timeouts = Short();
  int64_t min_end_ns = 0;         // requests end no earlier than this after t_start ...
  int64_t max_end_ns = 1 * kSec;  // ... and no later than this (+ kSlackNs)
  bool alone = false;             // memory row: run alone at concurrency 4, RSS measured
  int results_needed = 1;

  Row& Reaching(Reach r) {
    reach = r;
    return *this;
  }
  Row& Tls(Cert c, bool other_ca = false) {
    cert = c;
    trust_other_ca = other_ca;
    return *this;
  }
  // The request must hit a timeout `at` after its start (the one the expected class names).
  Row& TimesOutAt(int64_t at, TimeoutsConfig t = Short()) {
    timeouts = t;
    min_end_ns = at;
    max_end_ns = at;
    return *this;
  }
  Row& Needs(int results) {
    results_needed = results;
    return *this;
  }
  Row& Alone() {
    alone = true;
    return *this;
  }
};

Row Fault(std::string id, std::string fault, Outcome expected, std::string why,
          FaultScript script = {}) {
  Row r;
  r.id = std::move(id);
  r.fault = std::move(fault);
  r.expected = expected;
  r.why = std::move(why);
  r.script = std::move(script);
  return r;
}

std::string RoleEvent() {
  return FaultScript::Event("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}");
}

std::string OpenAiError(const std::string& message, const std::string& type) {
  return "{\"error\":{\"message\":\"" + message + "\",\"type\":\"" + type + "\"}}";
}

// A well-formed stream of two tokens: the TLS rows' server.
FaultScript HealthyStream() {
  FaultScript s;
  s.Send(FaultScript::SseHead() +
         FaultScript::Chunk(FaultScript::TokenEvent("a") + FaultScript::TokenEvent("b")) +
         FaultScript::Chunk(FaultScript::EndEvents()) + FaultScript::LastChunk());
  return s;
}

// The matrix. Rows without a timeout end at once, well within timeouts.connect (DNS, TCP, TLS)
// or timeouts.first_token (HTTP errors, malformed streams): max 1 s.
std::vector<Row> Rows() {
  using S = FaultScript;
  const std::string head = S::SseHead();
  const std::string token_a = S::Chunk(S::TokenEvent("a"));
  std::vector<Row> rows;
  rows.push_back(Fault("refused", "connection refused (nothing listens)", Outcome::kConnectRefused,
                       "RST on connect")
                     .Reaching(Reach::kRefused));
  rows.push_back(Fault("dns", "DNS failure (llmprobe-fault.invalid)", Outcome::kDnsError,
                       "the resolver fails; .invalid never resolves (RFC 6761)")
                     .Reaching(Reach::kDns));
  rows.push_back(Fault("tls_unknown_ca", "TLS: certificate of a CA the client does not trust",
                       Outcome::kTlsError, "verification fails in the handshake", HealthyStream())
                     .Tls(Cert::kLeaf, true));
  rows.push_back(Fault("tls_wrong_name", "TLS: certificate for wrong.example, URL 127.0.0.1",
                       Outcome::kTlsError, "host name verification fails in the handshake",
                       HealthyStream())
                     .Tls(Cert::kWrongName));
  rows.push_back(Fault("tls_expired", "TLS: expired certificate (valid 2020-01-01..02)",
                       Outcome::kTlsError, "verification fails: certificate has expired",
                       HealthyStream())
                     .Tls(Cert::kExpired));
  rows.push_back(Fault("tls_ok", "TLS: valid certificate (control row)", Outcome::kSuccess,
                       "shows the TLS rows fail for their certificate, not the setup",
                       HealthyStream())
                     .Tls(Cert::kLeaf));
  rows.push_back(Fault("http_401", "HTTP 401 with an OpenAI error body", Outcome::kHttpAuthError,
                       "status class",
                       S().Send(S::Response(401, OpenAiError("bad key", "invalid_api_key")))));
  rows.push_back(Fault("http_404", "HTTP 404", Outcome::kHttpNotFound, "status class",
                       S().Send(S::Response(404, OpenAiError("no such model", "not_found")))));
  rows.push_back(
      Fault("http_429", "HTTP 429 with Retry-After: 2", Outcome::kHttpRateLimited,
            "status class; the next request waits for Retry-After (checked)",
            S().Send(S::Response(429, OpenAiError("slow down", "rate_limit"), {"Retry-After: 2"})))
          .Needs(2));
  rows.push_back(Fault("http_500", "HTTP 500", Outcome::kHttpServerError, "status class",
                       S().Send(S::Response(500, OpenAiError("internal", "server_error")))));
  rows.push_back(Fault("http_503", "HTTP 503", Outcome::kHttpServerError, "status class",
                       S().Send(S::Response(503, OpenAiError("overloaded", "server_error")))));
  rows.push_back(Fault("reset_mid_stream", "one token, then a TCP RST (SO_LINGER 0)",
                       Outcome::kReadError, "the connection broke mid-response",
                       S().Send(head + token_a).Sleep(100 * kMs).Reset()));
  // Stalls: the applicable timeout ends them, neither earlier nor much later.
  rows.push_back(Fault("stall_first_token", "headers and a role-only chunk, then nothing",
                       Outcome::kTimeoutFirstToken,
                       "a role chunk is not a token: first_token (1 s) fires",
                       S().Send(head + S::Chunk(RoleEvent())).Stall())
                     .TimesOutAt(1 * kSec));
  rows.push_back(Fault("stall_between_tokens", "two tokens, then nothing",
                       Outcome::kTimeoutBetweenTokens, "between_tokens (1 s) after the last token",
                       S().Send(head + S::Chunk(S::TokenEvent("a") + S::TokenEvent("b"))).Stall())
                     .TimesOutAt(1 * kSec));
  rows.push_back(Fault("headers_then_silence", "status line and headers, then nothing",
                       Outcome::kTimeoutFirstToken, "first_token (1 s) fires",
                       S().Send(head).Stall())
                     .TimesOutAt(1 * kSec));
  // Malformed streams: the decoder stops the request at once (the server would go on).
  rows.push_back(Fault("malformed_json", "one token, then an event with truncated JSON",
                       Outcome::kProtocolError, "the chunk is not JSON",
                       S().Send(head + token_a +
                                S::Chunk(S::Event("{\"choices\":[{\"index\":0,\"delta\":{"
                                                  "\"content\":\"b\"}")))
                           .Stall()));
  rows.push_back(
      Fault("error_object", "one token, then data: {\"error\": {...}}", Outcome::kServerErrorEvent,
            "an error reported inside the stream",
            S().Send(head + token_a + S::Chunk(S::Event(OpenAiError("overloaded", "server_error"))))
                .Stall()));
  rows.push_back(Fault("error_event", "an SSE `event: error`", Outcome::kServerErrorEvent,
                       "an error reported inside the stream",
                       S().Send(head + S::Chunk("event: error\ndata: {\"message\":"
                                                "\"overloaded\"}\n\n"))
                           .Stall()));
  rows.push_back(
      Fault("no_done", "two tokens, then the chunked body ends: no [DONE], no finish",
            Outcome::kStreamIncomplete, "a clean end without an end marker",
            S().Send(head + S::Chunk(S::TokenEvent("a") + S::TokenEvent("b")) + S::LastChunk())));
  rows.push_back(
      Fault("close_without_done", "close-delimited body: two tokens, then FIN",
            Outcome::kStreamIncomplete, "the close ends the body cleanly, without an end marker",
            S().Send(S::Head(200, {"Content-Type: text/event-stream", "Connection: close"}) +
                     S::TokenEvent("a") + S::TokenEvent("b"))
                .Close()));
  rows.push_back(Fault("invalid_utf8_raw", "content with raw invalid UTF-8 (FF FE, C3 28)",
                       Outcome::kProtocolError,
                       "JSON text must be UTF-8 (RFC 8259 8.1) and the decoder's parser "
                       "(simdjson) validates it: the chunk is malformed",
                       S().Send(head + S::Chunk(S::TokenEvent("ok \xff\xfe \xc3\x28")) +
                                S::Chunk(S::EndEvents()) + S::LastChunk())));
  rows.push_back(Fault("invalid_utf8_escaped", "content with a lone surrogate escape \\ud800",
                       Outcome::kSuccess,
                       "valid JSON syntax; counting a token needs no unescaping, so it counts",
                       S().Send(head + S::Chunk(S::TokenEvent("ok \\ud800")) +
                                S::Chunk(S::EndEvents()) + S::LastChunk())));
  // Slow drips: bytes keep arriving, but only tokens move the deadline.
  rows.push_back(Fault("trickle_from_start", "the whole response at 1 byte/s",
                       Outcome::kTimeoutFirstToken, "no token within first_token (1 s)",
                       S().Trickle(head + token_a, 1 * kSec))
                     .TimesOutAt(1 * kSec));
  rows.push_back(Fault("trickle_total", "one token, then 1 byte/s; total 2.5 s < between 10 s",
                       Outcome::kTimeoutTotal, "total (2.5 s) comes before between_tokens",
                       S().Send(head + token_a).Trickle(S::Chunk(S::TokenEvent("b")), 1 * kSec))
                     .TimesOutAt(2500 * kMs, Timeouts(1 * kSec, 10 * kSec, 2500 * kMs)));
  // Memory rows: alone, at concurrency 4.
  rows.push_back(Fault("trickle", "one token, then 1 byte/s; between_tokens 1.5 s < total",
                       Outcome::kTimeoutBetweenTokens,
                       "a byte every 1 s does not re-arm the 1.5 s token gap: only a token does",
                       S().Send(head + token_a).Trickle(S::Chunk(S::TokenEvent("b")), 1 * kSec))
                     .TimesOutAt(1500 * kMs, Timeouts(1 * kSec, 1500 * kMs, 5 * kSec))
                     .Alone()
                     .Needs(4));
  rows.push_back(Fault("line_10mb", "one token, then a 10 MB `data:` line", Outcome::kProtocolError,
                       "the SSE parser caps a line at 1 MiB and stops the request",
                       S().Send(head + token_a +
                                S::Chunk("data: {\"choices\":[{\"index\":0,\"delta\":{"
                                         "\"content\":\"" +
                                         std::string(10 << 20, 'x') + "\"}}]}\n\n"))
                           .Stall())
                     .Alone()
                     .Needs(4));
  return rows;
}

// --- Certificates. ---

struct Certs {
  std::string ca, other_ca;                                    // CA certificates to trust
  std::map<Cert, std::pair<std::string, std::string>> server;  // cert, key
};

void Run(const std::string& command) {
  std::string out;
  const int rc = RunShell(command, &out);
  REQUIRE_MESSAGE(rc == 0, command, "\n", out);
}

Certs MakeCertificates(const TempDir& dir) {
  const std::string d = dir.path() + "/";
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
  const std::string san = "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 ";
  for (const std::string ca : {"ca", "other-ca"}) {
    Run("openssl req -x509 " + ec + "-days 2 -keyout " + d + ca + "-key.pem -out " + d + ca +
        ".pem -subj /CN=llmprobe-" + ca);
  }
  auto csr = [&](const std::string& name, const std::string& subject, const std::string& ext) {
    Run("openssl req -new " + ec + "-keyout " + d + name + "-key.pem -out " + d + name +
        ".csr -subj " + subject + " " + ext);
  };
  auto sign = [&](const std::string& name) {
    Run("openssl x509 -req -in " + d + name + ".csr -CA " + d + "ca.pem -CAkey " + d +
        "ca-key.pem -CAcreateserial -days 2 -copy_extensions copy -out " + d + name + ".pem");
  };
  csr("leaf", "/CN=localhost", san);
  sign("leaf");
  csr("wrong", "/CN=wrong.example", "-addext subjectAltName=DNS:wrong.example");
  sign("wrong");
  // Expired: `openssl ca` takes explicit validity dates, in the past.
  csr("expired", "/CN=localhost", san);
  dir.WriteFile("ca.cnf", "[ca]\ndefault_ca = test_ca\n[test_ca]\ndatabase = " + d +
                              "index.txt\nnew_certs_dir = " + d + "\nserial = " + d +
                              "serial\ndefault_md = sha256\npolicy = any\ncopy_extensions = copy\n"
                              "unique_subject = no\n[any]\ncommonName = supplied\n");
  dir.WriteFile("index.txt", "");
  dir.WriteFile("serial", "1000\n");
  Run("openssl ca -batch -config " + d + "ca.cnf -cert " + d + "ca.pem -keyfile " + d +
      "ca-key.pem -in " + d + "expired.csr -out " + d +
      "expired.pem -notext -startdate 20200101000000Z -enddate 20200102000000Z");
  Certs c;
  c.ca = d + "ca.pem";
  c.other_ca = d + "other-ca.pem";
  c.server[Cert::kLeaf] = {d + "leaf.pem", d + "leaf-key.pem"};
  c.server[Cert::kWrongName] = {d + "wrong.pem", d + "wrong-key.pem"};
  c.server[Cert::kExpired] = {d + "expired.pem", d + "expired-key.pem"};
  return c;
}

// --- Memory. ---

// A "VmRSS:"-style field of /proc/self/status, in kB (-1 if missing).
int64_t StatusKb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  return -1;
}

// Resets VmHWM (peak RSS) to the current RSS; false where the kernel does not allow it.
bool ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return out.good();
}

// --- Running the daemon. ---

std::string TargetYaml(const std::string& name, const std::string& url, int concurrency,
                       const TimeoutsConfig& t, const std::string& ca_file) {
  std::string y = "  - name: " + name + "\n    api: openai-chat\n    url: " + url +
                  "\n    model: mock-model\n"
                  "    workload: {prompt_tokens: 8, max_tokens: 4}\n"
                  "    load: {concurrency: [" +
                  std::to_string(concurrency) +
                  "], stage_duration: 10m, warmup: 0s}\n"
                  "    timeouts: {connect: " +
                  FormatDuration(t.connect_ns) +
                  ", first_token: " + FormatDuration(t.first_token_ns) +
                  ", between_tokens: " + FormatDuration(t.between_tokens_ns) +
                  ", total: " + FormatDuration(t.total_ns) + "}\n";
  if (!ca_file.empty()) y += "    tls_config: {ca_file: " + ca_file + "}\n";
  return y;
}

// A fault row's server (if it has one) and target.
struct Deployed {
  const Row* row;
  std::unique_ptr<FaultServer> server;
  std::string yaml;
};

Deployed Deploy(const Row& row, const Certs& certs, int concurrency) {
  Deployed d{&row, nullptr, ""};
  std::string url, ca;
  switch (row.reach) {
    case Reach::kRefused:
      url = "http://127.0.0.1:" + std::to_string(rawhttp::FreePort());
      break;
    case Reach::kDns:
      url = "http://llmprobe-fault.invalid:8000";
      break;
    case Reach::kFaultServer: {
      FaultServerOptions o;
      if (row.cert != Cert::kNone) {
        o.cert_file = certs.server.at(row.cert).first;
        o.key_file = certs.server.at(row.cert).second;
        ca = row.trust_other_ca ? certs.other_ca : certs.ca;
      }
      d.server = std::make_unique<FaultServer>(row.script, o);
      REQUIRE(d.server->Start().ok());
      url = std::string(row.cert != Cert::kNone ? "https" : "http") +
            "://127.0.0.1:" + std::to_string(d.server->port());
      break;
    }
  }
  d.yaml = TargetYaml(row.id, url + "/v1/chat/completions", concurrency, row.timeouts, ca);
  return d;
}

std::vector<RequestResult> ResultsOf(const std::vector<RecordingSink::Entry>& entries,
                                     const std::string& target) {
  std::vector<RequestResult> out;
  for (const auto& e : entries) {
    if (e.target == target && e.result.outcome != Outcome::kCanceled) out.push_back(e.result);
  }
  std::sort(out.begin(), out.end(), [](const RequestResult& a, const RequestResult& b) {
    return a.timing.t_start < b.timing.t_start;
  });
  return out;
}

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

// Runs `rows` at once next to the healthy target until each row has its results (or 30 s),
// checks (a), (b), (c), (e) and prints one line per row. Returns the last /metrics scrape.
std::string RunRows(const std::vector<const Row*>& rows, const Certs& certs, int concurrency,
                    MockServer& healthy) {
  std::vector<Deployed> deployed;
  std::string yaml =
      "targets:\n" +
      TargetYaml("healthy",
                 "http://127.0.0.1:" + std::to_string(healthy.port()) + "/v1/chat/completions", 2,
                 Short(), "");
  for (const Row* row : rows) {
    deployed.push_back(Deploy(*row, certs, concurrency));
    yaml += deployed.back().yaml;
  }
  auto cfg = LoadConfigString(yaml, "faults.yaml");
  REQUIRE_MESSAGE(cfg.ok(), cfg.status().message());
  RecordingSink sink;
  DaemonOptions opts;
  opts.listen_address = "127.0.0.1:0";
  opts.extra_sink = &sink;
  opts.shutdown_grace_ns = 0;  // stalled requests are canceled at the end
  Daemon daemon(cfg.value(), opts);
  REQUIRE(daemon.Start().ok());
  const MonoNanos started = SteadyClock().Now();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  // At least this long, so that the healthy target's gaps are measured over a fair stretch
  // even when every fault row is done in milliseconds.
  const auto at_least = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  for (;;) {
    const auto entries = sink.Take();
    bool all = true;
    for (const Row* row : rows) {
      all = all && static_cast<int>(ResultsOf(entries, row->id).size()) >= row->results_needed;
    }
    const auto now = std::chrono::steady_clock::now();
    if ((all && now >= at_least) || now > give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string metrics;
  CHECK(HttpGet(daemon.web_port(), "/metrics", &metrics) == 200);  // (e) it still answers
  const MonoNanos stopped = SteadyClock().Now();
  daemon.Stop();
  const auto entries = sink.Take();

  for (const Deployed& d : deployed) {
    const Row& row = *d.row;
    CAPTURE(row.id);
    const std::vector<RequestResult> results = ResultsOf(entries, row.id);
    REQUIRE(static_cast<int>(results.size()) >= row.results_needed);
    int64_t first_end = -1, max_end = 0;
    for (const RequestResult& r : results) {
      // (a) the bounded class.
      CHECK_MESSAGE(
          r.outcome == row.expected, "got ", OutcomeName(r.outcome), " (", r.error_detail,
          "), want ", OutcomeName(row.expected), "; started ", Ms(r.timing.t_start - started),
          " ms after the daemon, first token after ",
          r.timing.t_first_token < 0 ? -1.0 : Ms(r.timing.t_first_token - r.timing.t_start),
          " ms, ", r.token_chunks, " token chunks");
      // (b) within its timeout, and not before a timeout it is meant to hit.
      const int64_t end = r.timing.t_end - r.timing.t_start;
      if (first_end < 0) first_end = end;
      max_end = std::max(max_end, end);
      CHECK_MESSAGE(end >= row.min_end_ns - 2 * kMs, "ended after ", Ms(end), " ms");
      CHECK_MESSAGE(end <= row.max_end_ns + kSlackNs, "ended after ", Ms(end), " ms");
    }
    std::printf("fault %-22s %-22s first ends after %7.1f ms, max %7.1f ms, %zu requests\n",
                row.id.c_str(), std::string(OutcomeName(row.expected)).c_str(), Ms(first_end),
                Ms(max_end), results.size());
    // The circuit breaker keeps a failing target from being hammered: 3 failures open it
    // for ~1 s, then one trial at a time.
    if (row.expected != Outcome::kSuccess) {
      CHECK(results.size() <= static_cast<size_t>(concurrency) + 6);
    }
  }

  // (c) The healthy target kept succeeding throughout: nothing else than successes (and
  // cancellations at the stop), and no gap between successes longer than a second.
  const std::vector<RequestResult> healthy_results = ResultsOf(entries, "healthy");
  std::vector<MonoNanos> ends;
  for (const RequestResult& r : healthy_results) {
    CHECK_MESSAGE(r.outcome == Outcome::kSuccess, OutcomeName(r.outcome), " ", r.error_detail);
    ends.push_back(r.timing.t_end);
  }
  REQUIRE(ends.size() >= 10);
  std::sort(ends.begin(), ends.end());
  int64_t gap = ends.front() - started;
  for (size_t i = 1; i < ends.size(); ++i) gap = std::max(gap, ends[i] - ends[i - 1]);
  gap = std::max(gap, stopped - ends.back());
  std::printf("healthy target: %zu successes over %.1f s, longest gap %.1f ms\n", ends.size(),
              static_cast<double>(stopped - started) / 1e9, Ms(gap));
  CHECK(gap <= 1 * kSec + kSlackNs);

  // The 429's Retry-After was honoured: the server saw requests at least 2 s apart.
  for (const Deployed& d : deployed) {
    if (d.row->id != "http_429") continue;
    const std::vector<MonoNanos> at = d.server->request_times();
    REQUIRE(at.size() >= 2);
    for (size_t i = 1; i < at.size(); ++i) {
      CHECK_MESSAGE(at[i] - at[i - 1] >= 2 * kSec - 5 * kMs, "requests ", Ms(at[i] - at[i - 1]),
                    " ms apart");
    }
  }
  for (Deployed& d : deployed) {
    if (d.server) d.server->Stop();
  }
  return metrics;
}

MockOptions HealthyMock() {
  MockOptions mo;
  mo.ttft_ns = 20 * kMs;
  mo.tpot_ns = 5 * kMs;
  return mo;
}

}  // namespace

TEST_CASE("fault matrix: each fault is classified, bounded in time and memory, others go on") {
  TempDir dir;
  const Certs certs = MakeCertificates(dir);
  MockServer healthy(HealthyMock());
  REQUIRE(healthy.Start("127.0.0.1", 0).ok());
  const std::vector<Row> rows = Rows();

  SUBCASE("the rows that fail alike run at once") {
    std::vector<const Row*> together;
    for (const Row& r : rows) {
      if (!r.alone) together.push_back(&r);
    }
    const std::string metrics = RunRows(together, certs, 1, healthy);
    // The circuit metrics: the refused target's circuit is open (or half-open: a trial), the
    // healthy one's never opened.
    CHECK(ScrapeValue(metrics, "llmprobe_circuit_open{target=\"refused\"}") == 1);
    CHECK(ScrapeValue(metrics, "llmprobe_circuit_opened_total{target=\"refused\"}") >= 1);
    CHECK(ScrapeValue(metrics, "llmprobe_circuit_open{target=\"healthy\"}") == 0);
    CHECK(ScrapeValue(metrics, "llmprobe_circuit_opened_total{target=\"healthy\"}") == 0);
    CHECK(ScrapeValue(metrics, "llmprobe_backoff_seconds{target=\"healthy\"}") == 0);
    CHECK(ScrapeValue(metrics, "llmprobe_backoff_seconds{target=\"refused\"}") >= 0);
    CHECK(ScrapeValue(metrics, "llmprobe_circuit_open{target=\"tls_ok\"}") == 0);
  }
  SUBCASE("memory rows, one at a time") {
    for (const Row& r : rows) {
      if (!r.alone) continue;
      CAPTURE(r.id);
      const int64_t before_kb = StatusKb("VmRSS");
      const bool peak_reset = ResetPeakRss();
      RunRows({&r}, certs, 4, healthy);
      const int64_t after_kb = StatusKb("VmRSS");
      const int64_t peak_kb = peak_reset ? StatusKb("VmHWM") : after_kb;
      const int64_t growth_kb = std::max(peak_kb, after_kb) - before_kb;
      std::printf(
          "fault %-22s RSS before %lld kB, peak during %lld kB%s, after %lld kB: growth %lld kB "
          "(bound %lld kB)\n",
          r.id.c_str(), static_cast<long long>(before_kb), static_cast<long long>(peak_kb),
          peak_reset ? "" : " (peak not resettable: after)", static_cast<long long>(after_kb),
          static_cast<long long>(growth_kb), static_cast<long long>(kRssBoundKb));
      if (!kSanitized) CHECK(growth_kb < kRssBoundKb);
    }
  }
  healthy.Stop();
}

// --- The circuit breaker in the daemon. ---

namespace {

std::string RefusedOrMockTarget(const std::string& name, int port, const std::string& load) {
  return "  - name: " + name +
         "\n    api: openai-chat\n    url: http://127.0.0.1:" + std::to_string(port) +
         "/v1/chat/completions\n    model: mock-model\n"
         "    workload: {prompt_tokens: 8, max_tokens: 4}\n"
         "    timeouts: {connect: 1s, first_token: 1s, between_tokens: 1s, total: 3s}\n"
         "    load: " +
         load + "\n";
}

TargetStatus StatusOf(const Daemon& daemon, const std::string& name) {
  for (const TargetStatus& s : daemon.TargetStatuses()) {
    if (s.name == name) return s;
  }
  FAIL("no target " << name);
  return {};
}

// Polls `pred` every 20 ms for up to `seconds`.
template <typename Pred>
bool WaitFor(Pred pred, int seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace

TEST_CASE("fault circuit breaker: opens on a dead target, closes when it comes back") {
  const int port = rawhttp::FreePort();  // refused until the mock starts there
  auto cfg = LoadConfigString(
      "targets:\n" +
          RefusedOrMockTarget("flaky", port, "{concurrency: [2], stage_duration: 10m, warmup: 0s}"),
      "breaker.yaml");
  REQUIRE_MESSAGE(cfg.ok(), cfg.status().message());
  RecordingSink sink;
  DaemonOptions opts;
  opts.listen_address = "127.0.0.1:0";
  opts.extra_sink = &sink;
  opts.shutdown_grace_ns = 0;
  Daemon daemon(cfg.value(), opts);
  REQUIRE(daemon.Start().ok());

  REQUIRE(WaitFor([&] { return StatusOf(daemon, "flaky").circuit_open; }, 5));
  TargetStatus s = StatusOf(daemon, "flaky");
  CHECK(s.circuit_opened >= 1);
  CHECK(s.consecutive_failures >= 3);
  std::string metrics;
  REQUIRE(HttpGet(daemon.web_port(), "/metrics", &metrics) == 200);
  CHECK(ScrapeValue(metrics, "llmprobe_circuit_open{target=\"flaky\"}") == 1);
  CHECK(ScrapeValue(metrics, "llmprobe_circuit_opened_total{target=\"flaky\"}") >= 1);
  // While open nothing is sent: the circuit opened before `seen` for 0.8-1.2 s, so no request
  // may start in the next 500 ms.
  const MonoNanos seen = SteadyClock().Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (const RequestResult& r : ResultsOf(sink.Take(), "flaky")) {
    CHECK(r.outcome == Outcome::kConnectRefused);
    CHECK_FALSE((r.timing.t_start > seen && r.timing.t_start < seen + 500 * kMs));
  }

  // The server comes up: the next trial succeeds and closes the circuit; both slots resume.
  MockServer mock(HealthyMock());
  REQUIRE(mock.Start("127.0.0.1", port).ok());
  REQUIRE(WaitFor([&] { return !StatusOf(daemon, "flaky").circuit_open; }, 15));
  REQUIRE(WaitFor(
      [&] {
        int ok = 0;
        for (const auto& r : ResultsOf(sink.Take(), "flaky")) ok += r.outcome == Outcome::kSuccess;
        return ok >= 10;
      },
      5));
  s = StatusOf(daemon, "flaky");
  CHECK(s.circuit_state == "closed");
  CHECK(s.consecutive_failures == 0);
  CHECK(s.backoff_remaining_ns == 0);
  REQUIRE(HttpGet(daemon.web_port(), "/metrics", &metrics) == 200);
  CHECK(ScrapeValue(metrics, "llmprobe_circuit_open{target=\"flaky\"}") == 0);
  CHECK(ScrapeValue(metrics, "llmprobe_backoff_seconds{target=\"flaky\"}") == 0);
  CHECK(ScrapeValue(metrics, "llmprobe_circuit_opened_total{target=\"flaky\"}") >= 1);
  // Before the first success, every request was one of: the 3 that opened it, the stale
  // in-flight one of the other slot, and one trial per open period.
  const auto all = ResultsOf(sink.Take(), "flaky");
  size_t failures_before_success = 0;
  for (const RequestResult& r : all) {
    if (r.outcome == Outcome::kSuccess) break;
    ++failures_before_success;
  }
  CHECK(failures_before_success <= 4 + static_cast<size_t>(s.circuit_opened));
  daemon.Stop();
  mock.Stop();
}

TEST_CASE("fault circuit breaker: open loop skips and counts arrivals while open") {
  const int port = rawhttp::FreePort();
  auto cfg = LoadConfigString(
      "targets:\n" + RefusedOrMockTarget("dead", port,
                                         "{mode: rate, rate: [20], arrival: constant, "
                                         "stage_duration: 10m, warmup: 0s}"),
      "breaker.yaml");
  REQUIRE_MESSAGE(cfg.ok(), cfg.status().message());
  RecordingSink sink;
  DaemonOptions opts;
  opts.listen_address = "127.0.0.1:0";
  opts.extra_sink = &sink;
  opts.shutdown_grace_ns = 0;
  Daemon daemon(cfg.value(), opts);
  REQUIRE(daemon.Start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  // Arrivals go on being skipped while the status and the scrape are read: the scrape's count
  // lies between the status before and the status after it.
  const TargetStatus s = StatusOf(daemon, "dead");
  std::string metrics;
  REQUIRE(HttpGet(daemon.web_port(), "/metrics", &metrics) == 200);
  const TargetStatus after = StatusOf(daemon, "dead");
  daemon.Stop();
  const size_t sent = ResultsOf(sink.Take(), "dead").size();
  // ~50 arrivals in 2.5 s: 3 sent before the circuit opened, then one trial per period.
  std::printf("open loop at 20/s against a dead target for 2.5 s: %zu sent, %lld skipped\n", sent,
              static_cast<long long>(s.circuit_skipped));
  CHECK(sent >= 3);
  CHECK(sent <= 6);
  CHECK(s.circuit_skipped >= 25);
  CHECK(s.circuit_open);
  const double scraped =
      ScrapeValue(metrics, "llmprobe_circuit_skipped_requests_total{target=\"dead\"}");
  CHECK(scraped >= static_cast<double>(s.circuit_skipped));
  CHECK(scraped <= static_cast<double>(after.circuit_skipped));
}
