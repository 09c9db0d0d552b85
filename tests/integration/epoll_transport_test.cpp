// EpollTransport against real servers on 127.0.0.1: timings against the mock's known schedule
// at concurrency 1 and 64, keep-alive reuse, every failure class (refused, DNS, connect
// timeout, TLS verification, deadline, cancel, reset mid-stream) and TLS with a certificate
// generated here.
#include "transport/EpollTransport.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <limits>
#include <mutex>
#include <thread>

#include <httplib.h>

#include "mock/MockServer.h"
#include "net/EpollEngine.h"
#include "protocol/Dialect.h"
#include "support/ChatRequest.h"
#include "support/RawHttp.h"
#include "support/TestSupport.h"
#include "support/Timing.h"
#include "transport/HttplibTransport.h"

using namespace llmprobe;
using namespace llmprobe::testing;

namespace {

constexpr double kMs = 1e6;

constexpr double kSlack = kTimingSlack;  // support/Timing.h
constexpr MonoNanos kNever = std::numeric_limits<MonoNanos>::max();

// Records one request's callbacks: times of token-bearing SSE events (decoded with the chat
// dialect's decoder), the body, the final outcome. Flags overlapping or repeated callbacks.
class Recorder final : public StreamHandler {
 public:
  Recorder() : decoder_(DialectFor(ApiKind::kOpenAiChat).NewDecoder()) {}

  void OnStart(MonoNanos t) override {
    Enter();
    t_start = t;
    ++starts;
    Leave();
  }
  void OnHeaders(int s, const std::vector<std::pair<std::string, std::string>>& h,
                 MonoNanos t) override {
    Enter();
    status = s;
    headers = h;
    t_headers = t;
    Leave();
  }
  bool OnBody(std::string_view bytes, MonoNanos t) override {
    Enter();
    body.append(bytes);
    ++pieces;
    if (first_body_time < 0) first_body_time = t;
    if (on_first_body && pieces == 1) on_first_body(t);
    std::vector<StreamEvent> events;
    DecodeError err;
    if (status == 200 && decoder_->Feed(bytes, &events, &err)) {
      for (const StreamEvent& ev : events) {
        if (ev.carries_token()) token_times.push_back(t);
      }
    }
    const bool keep_going = body.size() < abort_after_bytes;
    Leave();
    return keep_going;
  }
  void OnComplete(MonoNanos t) override { Final(true, TransportError::kRead, "", t); }
  void OnFailure(TransportError e, std::string_view d, MonoNanos t) override {
    Final(false, e, std::string(d), t);
  }
  MonoNanos DeadlineNanos() const override { return deadline.load(); }

  // Waits for the final callback.
  bool Wait(int timeout_ms = 10000) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return finals > 0; });
  }
  double TtftMs() const { return static_cast<double>(token_times.front() - t_start) / kMs; }
  double TpotMs() const {
    return static_cast<double>(token_times.back() - token_times.front()) / kMs /
           static_cast<double>(token_times.size() - 1);
  }

  std::atomic<MonoNanos> deadline{kNever};
  size_t abort_after_bytes = std::string::npos;
  std::function<void(MonoNanos)> on_first_body;  // runs inside the first OnBody
  std::function<void()> on_final;                // runs inside the final callback

  // Written by callbacks, read after Wait().
  MonoNanos t_start = -1, t_headers = -1, first_body_time = -1, t_end = -1;
  int starts = 0, pieces = 0, status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<MonoNanos> token_times;
  bool ok = false;
  TransportError error = TransportError::kRead;
  std::string detail;
  std::atomic<int> overlaps{0};
  int finals = 0;  // guarded by mu_

 private:
  void Enter() {
    if (in_callback_.exchange(true)) ++overlaps;
  }
  void Leave() { in_callback_ = false; }
  void Final(bool success, TransportError e, std::string d, MonoNanos t) {
    Enter();
    ok = success;
    error = e;
    detail = std::move(d);
    t_end = t;
    Leave();
    if (on_final) on_final();
    std::lock_guard<std::mutex> lock(mu_);
    ++finals;
    cv_.notify_all();
  }

  std::unique_ptr<StreamDecoder> decoder_;
  std::atomic<bool> in_callback_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

Endpoint MakeEndpoint(const std::string& scheme, const std::string& host, int port,
                      int64_t connect_timeout_ns = 2 * kNanosPerSecond) {
  Endpoint e;
  e.url.scheme = scheme;
  e.url.host = host;
  e.url.port = port;
  e.url.path = "/v1/chat/completions";
  e.connect_timeout_ns = connect_timeout_ns;
  return e;
}

std::shared_ptr<net::EpollEngine> TestEngine(int loops = 2) {
  net::EpollEngineOptions o;
  o.loops = loops;
  return std::make_shared<net::EpollEngine>(o);
}

EpollTransportOptions WithEngine(std::shared_ptr<net::EpollEngine> engine) {
  EpollTransportOptions o;
  o.engine = std::move(engine);
  return o;
}

// Submits `n` requests at once and waits for all of them.
std::vector<std::shared_ptr<Recorder>> RunBatch(Transport& t, const Endpoint& e, int n,
                                                int max_tokens) {
  std::vector<std::shared_ptr<Recorder>> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(std::make_shared<Recorder>());
    t.Submit(ChatRequest(e, max_tokens), out.back());
  }
  for (auto& r : out) REQUIRE(r->Wait(20000));
  return out;
}

std::string Run(const std::string& command) {
  std::string out;
  const int rc = RunShell(command, &out);
  REQUIRE_MESSAGE(rc == 0, command, "\n", out);
  return out;
}

// A self-signed certificate for localhost and 127.0.0.1 (key.pem, cert.pem in dir), and a
// second, unrelated one (other.pem) to act as a wrong CA.
void MakeCertificates(const std::string& dir) {
  const std::string req =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 ";
  Run(req + "-keyout " + dir + "/key.pem -out " + dir +
      "/cert.pem -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1");
  Run(req + "-keyout " + dir + "/other-key.pem -out " + dir +
      "/other.pem -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1");
}

}  // namespace

TEST_CASE("epoll transport: timings match the mock schedule at concurrency 1 and 64") {
  MockOptions mo;
  mo.ttft_ns = 200 * kNanosPerMilli;
  mo.tpot_ns = 20 * kNanosPerMilli;
  mo.role_chunk = true;  // a role-only chunk right after the headers: not a token
  MockServer mock(mo);
  REQUIRE(mock.Start("127.0.0.1", 0).ok());
  auto engine = TestEngine();
  const Endpoint endpoint = MakeEndpoint("http", "127.0.0.1", mock.port());
  auto transport = MakeEpollTransport(endpoint, SteadyClock(), WithEngine(engine));
  constexpr int kTokens = 16;

  // Concurrency 1: six requests in a row (a new connection, then five kept-alive ones);
  // concurrency 64: two rounds (64 new connections, then the same 64 kept alive). On a new
  // connection the mock (a thread per connection) may start its clock late: that shows in TTFT
  // from t_start but not in the first token's time after the role chunk, which the mock sends
  // at its t0; so the per-request TTFT bound applies to kept-alive connections.
  for (int concurrency : {1, 64}) {
    CAPTURE(concurrency);
    std::vector<double> ttft_err, warm_ttft_err, sched_err, tpot_err;
    const int rounds = concurrency == 1 ? 6 : 2;
    for (int round = 0; round < rounds; ++round) {
      for (auto& r : RunBatch(*transport, endpoint, concurrency, kTokens)) {
        REQUIRE_MESSAGE(r->ok, TransportErrorName(r->error), " ", r->detail);
        CHECK(r->status == 200);
        CHECK(r->starts == 1);
        CHECK(r->overlaps == 0);
        REQUIRE(r->token_times.size() == kTokens);
        CHECK(r->t_start <= r->t_headers);
        CHECK(r->t_headers <= r->first_body_time);
        ttft_err.push_back(std::abs(r->TtftMs() - 200.0));
        if (round > 0) warm_ttft_err.push_back(ttft_err.back());
        sched_err.push_back(std::abs(
            static_cast<double>(r->token_times.front() - r->first_body_time) / kMs - 200.0));
        tpot_err.push_back(std::abs(r->TpotMs() - 20.0));
      }
    }
    const double ttft50 = Quantile(ttft_err, 0.5), ttft_max = Quantile(ttft_err, 1.0);
    const double warm_max = Quantile(warm_ttft_err, 1.0), sched_max = Quantile(sched_err, 1.0);
    const double tpot50 = Quantile(tpot_err, 0.5), tpot_max = Quantile(tpot_err, 1.0);
    std::printf(
        "epoll transport, concurrency %d, %zu requests: |TTFT-200ms| p50 %.3f ms, max "
        "%.3f ms (kept-alive connections: max %.3f ms); |first token - role chunk - "
        "200ms| max %.3f ms; |TPOT-20ms| p50 %.4f ms, max %.4f ms\n",
        concurrency, ttft_err.size(), ttft50, ttft_max, warm_max, sched_max, tpot50, tpot_max);
    // Bounds. The figures include the mock's own lateness (it serves each connection from a
    // thread of its own and reports no send times, issue 8), so they are looser than the
    // transport's own precision:
    // - concurrency 1: median TTFT error 4 ms, maxima 5 ms (measured 0.3 to 2.8 ms; this VM's
    //   timer waits were seen to overshoot by 0.8% of their length some hours, which the mock
    //   limits by waiting in two steps, see MockServer::WaitUntil);
    // - concurrency 64: 64 mock threads woken for the same instant on 2 cores, in a process
    //   shared with the client (seen: median 2.2 to 7.7 ms depending on what else ran): median
    //   10 ms, maxima 20 ms, which still catch a transport that stalls or batches reads.
    //   Delivery precision at high concurrency is what llmprobe_perf measures, with the mock in
    //   its own process (docs/PERFORMANCE.md).
    // The transport's own precision, with the mock's lateness cancelled out, is the test
    // "agrees with the httplib reference transport" below (both clients, the same mock).
    const double max_bound = (concurrency == 1 ? 5.0 : 20.0) * kSlack;
    CHECK(ttft50 <= (concurrency == 1 ? 4.0 : 10.0) * kSlack);
    CHECK(warm_max <= max_bound);
    CHECK(sched_max <= max_bound);
    CHECK(tpot_max <= 0.5 * kSlack);
  }
  const net::EpollEngineStats stats = engine->stats();
  // Concurrency 1 alternates between the 2 loops (one connection each), 62 more for the 64.
  CHECK(stats.connects == 64);
  CHECK(stats.requests == 6 + 128);
  CHECK(stats.reused == stats.requests - stats.connects);
  transport.reset();
  mock.Stop();
}

TEST_CASE("epoll transport: keep-alive reuse, requests chained from inside callbacks") {
  MockOptions mo;
  mo.ttft_ns = 2 * kNanosPerMilli;
  mo.tpot_ns = 1 * kNanosPerMilli;
  MockServer mock(mo);
  REQUIRE(mock.Start("127.0.0.1", 0).ok());
  auto engine = TestEngine();
  const Endpoint endpoint = MakeEndpoint("http", "127.0.0.1", mock.port());
  auto transport = MakeEpollTransport(endpoint, SteadyClock(), WithEngine(engine));

  // 4 chains of 10 requests: each request's final callback submits the next.
  constexpr int kChains = 4, kLength = 10;
  std::mutex mu;
  std::condition_variable cv;
  int finished = 0, failed = 0;
  std::function<void(int)> submit = [&](int remaining) {
    auto r = std::make_shared<Recorder>();
    Recorder* raw = r.get();
    r->on_final = [&, raw, remaining] {
      std::lock_guard<std::mutex> lock(mu);
      if (!raw->ok || raw->token_times.size() != 4) ++failed;
      if (remaining > 1) {
        submit(remaining - 1);
      } else {
        ++finished;
        cv.notify_all();
      }
    };
    transport->Submit(ChatRequest(endpoint, 4), std::move(r));
  };
  for (int i = 0; i < kChains; ++i) submit(kLength);
  {
    std::unique_lock<std::mutex> lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return finished == kChains; }));
  }
  CHECK(failed == 0);
  const net::EpollEngineStats stats = engine->stats();
  CHECK(stats.requests == kChains * kLength);
  CHECK(stats.connects == kChains);  // one connection per chain, kept alive
  CHECK(stats.reused == kChains * (kLength - 1));
  CHECK(stats.retries == 0);
  transport.reset();
  CHECK(mock.requests_served() == kChains * kLength);
  mock.Stop();
}

TEST_CASE("epoll transport: connection refused, DNS failure, connect timeout") {
  auto engine = TestEngine();
  SUBCASE("refused") {
    const Endpoint e = MakeEndpoint("http", "127.0.0.1", rawhttp::FreePort());
    auto t = MakeEpollTransport(e, SteadyClock(), WithEngine(engine));
    auto r = RunBatch(*t, e, 1, 4).front();
    CHECK_FALSE(r->ok);
    CHECK(r->error == TransportError::kConnectRefused);
    CHECK(r->starts == 1);
    MESSAGE(r->detail);
  }
  SUBCASE("dns") {
    const Endpoint e = MakeEndpoint("http", "nonexistent.invalid", 80);
    auto t = MakeEpollTransport(e, SteadyClock(), WithEngine(engine));
    auto r = RunBatch(*t, e, 2, 4);
    for (auto& x : r) {
      CHECK_FALSE(x->ok);
      CHECK(x->error == TransportError::kDns);
    }
    MESSAGE(r[0]->detail);
  }
  SUBCASE("connect timeout: a listener whose accept queue is full") {
    const int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(listen(listener, 0) == 0);
    REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    // Fill the accept queue (never accepted): further SYNs are dropped.
    std::vector<int> fillers;
    for (int i = 0; i < 3; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      connect(fd, reinterpret_cast<sockaddr*>(&addr), len);
      fillers.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const Endpoint e =
        MakeEndpoint("http", "127.0.0.1", ntohs(addr.sin_port), 300 * kNanosPerMilli);
    auto t = MakeEpollTransport(e, SteadyClock(), WithEngine(engine));
    auto r = RunBatch(*t, e, 1, 4).front();
    CHECK_FALSE(r->ok);
    CHECK(r->error == TransportError::kConnectTimeout);
    const double waited = static_cast<double>(r->t_end - r->t_start) / kMs;
    CHECK(waited >= 300.0);
    CHECK(waited < 300.0 + 50.0 * kSlack);
    MESSAGE(r->detail, " after ", waited, " ms");
    for (int fd : fillers) close(fd);
    close(listener);
  }
}

TEST_CASE("epoll transport: TLS verification with a generated certificate") {
  TempDir dir;
  MakeCertificates(dir.path());
  httplib::SSLServer server((dir.path() + "/cert.pem").c_str(), (dir.path() + "/key.pem").c_str());
  REQUIRE(server.is_valid());
  server.set_tcp_nodelay(true);
  server.Post("/v1/chat/completions", [](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/event-stream", [](size_t, httplib::DataSink& sink) {
      for (const char* word : {"a", "b", "c"}) {
        const std::string event = std::string(
                                      "data: {\"choices\":[{\"index\":0,\"delta\":"
                                      "{\"content\":\"") +
                                  word + "\"}}]}\n\n";
        sink.write(event.data(), event.size());
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      sink.write("data: [DONE]\n\n", 14);
      sink.done();
      return true;
    });
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto engine = TestEngine();

  auto run = [&](const std::string& host, TlsConfig tls) {
    Endpoint e = MakeEndpoint("https", host, port);
    e.tls = std::move(tls);
    auto t = MakeEpollTransport(e, SteadyClock(), WithEngine(engine));
    return RunBatch(*t, e, 1, 3).front();
  };
  TlsConfig good;
  good.ca_file = dir.path() + "/cert.pem";
  SUBCASE("success with ca_file, by name and by IP; streamed tokens arrive") {
    for (const std::string host : {"localhost", "127.0.0.1"}) {
      auto r = run(host, good);
      REQUIRE_MESSAGE(r->ok, TransportErrorName(r->error), " ", r->detail);
      CHECK(r->status == 200);
      CHECK(r->token_times.size() == 3);
      // Sent 5 ms apart: the events arrive in separate reads.
      CHECK(r->token_times.front() < r->token_times.back());
    }
    CHECK(engine->stats().tls_handshakes == 2);
  }
  SUBCASE("min_version TLS13") {
    TlsConfig tls = good;
    tls.min_version = "TLS13";
    auto r = run("localhost", tls);
    CHECK_MESSAGE(r->ok, r->detail);
    tls.min_version = "TLS9";
    r = run("localhost", tls);
    CHECK(r->error == TransportError::kTls);
    MESSAGE(r->detail);
  }
  SUBCASE("server_name overrides the verified name") {
    TlsConfig tls = good;
    tls.server_name = "localhost";
    auto r = run("127.0.0.1", tls);
    CHECK_MESSAGE(r->ok, r->detail);
  }
  SUBCASE("wrong CA") {
    TlsConfig tls;
    tls.ca_file = dir.path() + "/other.pem";
    auto r = run("127.0.0.1", tls);
    CHECK_FALSE(r->ok);
    CHECK(r->error == TransportError::kTls);
    MESSAGE(r->detail);
  }
  SUBCASE("wrong host name") {
    TlsConfig tls = good;
    tls.server_name = "wrong.example";
    auto r = run("127.0.0.1", tls);
    CHECK_FALSE(r->ok);
    CHECK(r->error == TransportError::kTls);
    MESSAGE(r->detail);
  }
  SUBCASE("insecure_skip_verify accepts an unknown CA and a wrong name") {
    TlsConfig tls;
    tls.ca_file = dir.path() + "/other.pem";
    tls.server_name = "wrong.example";
    tls.insecure_skip_verify = true;
    auto r = run("127.0.0.1", tls);
    CHECK_MESSAGE(r->ok, r->detail);
  }
  SUBCASE("an unreadable CA file fails every request with kTls") {
    TlsConfig tls;
    tls.ca_file = dir.path() + "/missing.pem";
    auto r = run("127.0.0.1", tls);
    CHECK(r->error == TransportError::kTls);
    CHECK(r->starts == 1);
    MESSAGE(r->detail);
  }
  server.stop();
  serving.join();
}

TEST_CASE("epoll transport: deadlines, handler abort, CancelAll") {
  MockOptions mo;
  mo.ttft_ns = 200 * kNanosPerMilli;
  mo.tpot_ns = 20 * kNanosPerMilli;
  mo.role_chunk = true;
  MockServer mock(mo);
  REQUIRE(mock.Start("127.0.0.1", 0).ok());
  auto engine = TestEngine();
  const Endpoint endpoint = MakeEndpoint("http", "127.0.0.1", mock.port());
  auto transport = MakeEpollTransport(endpoint, SteadyClock(), WithEngine(engine));

  SUBCASE("a deadline set before the start") {
    auto r = std::make_shared<Recorder>();
    const MonoNanos submitted = SteadyClock().Now();
    r->deadline = submitted + 50 * kNanosPerMilli;
    transport->Submit(ChatRequest(endpoint, 4), r);
    REQUIRE(r->Wait());
    CHECK(r->error == TransportError::kDeadline);
    const double at = static_cast<double>(r->t_end - submitted) / kMs;
    MESSAGE("deadline failure ", at, " ms after submit (deadline 50 ms)");
    CHECK(at >= 50.0);
    CHECK(at < 50.0 + 10.0 * kSlack);  // timer slack, plus scheduling on a busy machine
  }
  SUBCASE("a deadline moved earlier by a callback") {
    auto r = std::make_shared<Recorder>();
    r->deadline = SteadyClock().Now() + 10 * kNanosPerSecond;
    Recorder* raw = r.get();
    r->on_first_body = [raw](MonoNanos t) { raw->deadline = t + 30 * kNanosPerMilli; };
    transport->Submit(ChatRequest(endpoint, 4), r);
    REQUIRE(r->Wait());
    CHECK(r->error == TransportError::kDeadline);
    const double at = static_cast<double>(r->t_end - r->first_body_time) / kMs;
    MESSAGE("deadline failure ", at, " ms after the role chunk (deadline 30 ms)");
    CHECK(at >= 30.0);
    CHECK(at < 30.0 + 10.0 * kSlack);
    CHECK(r->token_times.empty());
  }
  SUBCASE("the handler aborts") {
    auto r = std::make_shared<Recorder>();
    r->abort_after_bytes = 1;
    transport->Submit(ChatRequest(endpoint, 4), r);
    REQUIRE(r->Wait());
    CHECK(r->error == TransportError::kAborted);
    CHECK(r->pieces == 1);
  }
  SUBCASE("CancelAll fails everything in flight; new submissions still work") {
    std::vector<std::shared_ptr<Recorder>> rs;
    for (int i = 0; i < 8; ++i) {
      rs.push_back(std::make_shared<Recorder>());
      transport->Submit(ChatRequest(endpoint, 4), rs.back());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    transport->CancelAll();  // returns after the final callbacks
    for (auto& r : rs) {
      CHECK(r->finals == 1);
      CHECK(r->error == TransportError::kCanceled);
    }
    auto after = RunBatch(*transport, endpoint, 1, 2).front();
    CHECK_MESSAGE(after->ok, after->detail);
  }
  SUBCASE("destroying the transport cancels what is in flight") {
    auto r = std::make_shared<Recorder>();
    transport->Submit(ChatRequest(endpoint, 4), r);
    transport.reset();
    CHECK(r->finals == 1);
    CHECK(r->error == TransportError::kCanceled);
  }
  transport.reset();
  mock.Stop();
}

namespace {

// A one-connection-at-a-time raw HTTP server for failure scripts. `script(fd)` runs for each
// accepted connection after its request head was read.
class RawServer {
 public:
  explicit RawServer(std::function<void(int fd, int index)> script) : script_(std::move(script)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(listen(fd_, 16) == 0);
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~RawServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }

  // Reads until the end of a request head plus `Content-Length` body; false on EOF.
  static bool ReadRequest(int fd) {
    std::string in;
    char buf[4096];
    for (;;) {
      const size_t head_end = in.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const size_t cl = in.find("Content-Length: ");
        const size_t body = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
        if (in.size() >= head_end + 4 + body) return true;
      }
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
    }
  }
  static void Send(int fd, const std::string& s) { send(fd, s.data(), s.size(), MSG_NOSIGNAL); }
  static void Reset(int fd) {
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
  }

 private:
  void Serve() {
    for (int index = 0;; ++index) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      script_(c, index);
    }
  }
  std::function<void(int, int)> script_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace

TEST_CASE("epoll transport: a reset mid-stream is a read error") {
  RawServer server([](int fd, int) {
    if (!RawServer::ReadRequest(fd)) return close(fd), void();
    RawServer::Send(fd,
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "a\r\ndata: x\n\n\n\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    RawServer::Reset(fd);
  });
  auto engine = TestEngine();
  const Endpoint e = MakeEndpoint("http", "127.0.0.1", server.port());
  auto t = MakeEpollTransport(e, SteadyClock(), WithEngine(engine));
  auto r = RunBatch(*t, e, 1, 4).front();
  CHECK_FALSE(r->ok);
  CHECK(r->error == TransportError::kRead);
  CHECK(r->body == "data: x\n\n\n");
  MESSAGE(r->detail);
}

TEST_CASE("epoll transport: a kept-alive connection the server dropped is retried once") {
  // Connection 0 answers one request, then closes when the second arrives (as a server whose
  // keep-alive timeout hit at that moment); connection 1 answers normally.
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  RawServer server([&](int fd, int index) {
    if (RawServer::ReadRequest(fd)) RawServer::Send(fd, response);
    if (index == 0 && RawServer::ReadRequest(fd)) {
      close(fd);
      return;
    }
    while (RawServer::ReadRequest(fd)) RawServer::Send(fd, response);
    close(fd);
  });
  auto engine = TestEngine(1);
  const Endpoint e = MakeEndpoint("http", "127.0.0.1", server.port());
  auto t = MakeEpollTransport(e, SteadyClock(), WithEngine(engine));
  for (int i = 0; i < 3; ++i) {
    auto r = RunBatch(*t, e, 1, 1).front();
    CHECK_MESSAGE(r->ok, r->detail);
    CHECK(r->body == "ok");
  }
  const net::EpollEngineStats stats = engine->stats();
  CHECK(stats.retries == 1);
  CHECK(stats.connects == 2);
}

TEST_CASE("epoll transport: agrees with the httplib reference transport") {
  MockOptions mo;
  mo.ttft_ns = 100 * kNanosPerMilli;
  mo.tpot_ns = 10 * kNanosPerMilli;
  MockServer mock(mo);
  REQUIRE(mock.Start("127.0.0.1", 0).ok());
  const Endpoint endpoint = MakeEndpoint("http", "127.0.0.1", mock.port());
  auto epoll = MakeEpollTransport(endpoint, SteadyClock(), WithEngine(TestEngine()));
  auto reference = MakeHttplibTransport(endpoint, SteadyClock());
  // Both transports at once, 8 streams each, twice (new, then kept-alive connections).
  std::vector<double> ttft[2], tpot[2];
  for (int round = 0; round < 2; ++round) {
    std::vector<std::shared_ptr<Recorder>> rs[2];
    for (int i = 0; i < 8; ++i) {
      for (int k = 0; k < 2; ++k) {
        rs[k].push_back(std::make_shared<Recorder>());
        (k == 0 ? *epoll : *reference).Submit(ChatRequest(endpoint, 8), rs[k].back());
      }
    }
    for (int k = 0; k < 2; ++k) {
      for (auto& r : rs[k]) {
        REQUIRE(r->Wait(20000));
        REQUIRE_MESSAGE(r->ok, TransportErrorName(r->error), " ", r->detail);
        REQUIRE(r->token_times.size() == 8);
        if (round == 1) {
          ttft[k].push_back(r->TtftMs());
          tpot[k].push_back(r->TpotMs());
        }
      }
    }
  }
  const double ttft_epoll = Quantile(ttft[0], 0.5), ttft_ref = Quantile(ttft[1], 0.5);
  const double tpot_epoll = Quantile(tpot[0], 0.5), tpot_ref = Quantile(tpot[1], 0.5);
  std::printf(
      "kept-alive, 8+8 streams: ttft p50 epoll %.3f ms, httplib %.3f ms; tpot p50 epoll "
      "%.4f ms, httplib %.4f ms\n",
      ttft_epoll, ttft_ref, tpot_epoll, tpot_ref);
  CHECK(std::abs(ttft_epoll - ttft_ref) <= 1.0 * kSlack);
  CHECK(std::abs(tpot_epoll - tpot_ref) <= 0.2 * kSlack);
  epoll.reset();
  reference.reset();
  mock.Stop();
}

TEST_CASE("epoll transport: a token read late is stamped with its arrival, not the read") {
  // The first token leaves the mock 100 ms after the request, the second at 150 ms; the loop is
  // kept busy from 60 to 130 ms (a stand-in for a thousand streams whose tokens came in the
  // same instant), so it reads the first token ~30 ms after it arrived. Client sockets on the
  // real clock are stamped with the kernel's receive time (net/Connection.h), over TLS too:
  // TTFT stays ~100 ms, not ~130, and the gap to the second token ~50 ms, not ~20.
  TempDir dir;
  MakeCertificates(dir.path());
  for (const bool tls : {false, true}) {
    CAPTURE(tls);
    MockOptions mo;
    mo.ttft_ns = 100 * kNanosPerMilli;
    mo.tpot_ns = 50 * kNanosPerMilli;
    if (tls) {
      mo.tls_cert_file = dir.path() + "/cert.pem";
      mo.tls_key_file = dir.path() + "/key.pem";
    }
    MockServer mock(mo);
    REQUIRE(mock.Start("127.0.0.1", 0).ok());
    auto engine = TestEngine(1);
    Endpoint endpoint = MakeEndpoint(tls ? "https" : "http", "127.0.0.1", mock.port());
    if (tls) endpoint.tls.ca_file = dir.path() + "/cert.pem";
    auto transport = MakeEpollTransport(endpoint, SteadyClock(), WithEngine(engine));
    // A warm, kept-alive connection first, so the timed request has no connection setup.
    auto warm = std::make_shared<Recorder>();
    transport->Submit(ChatRequest(endpoint, 2), warm);
    REQUIRE(warm->Wait());
    REQUIRE_MESSAGE(warm->ok, TransportErrorName(warm->error), " ", warm->detail);

    auto r = std::make_shared<Recorder>();
    transport->Submit(ChatRequest(endpoint, 2), r);
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    engine->loop(0).Post([] { std::this_thread::sleep_for(std::chrono::milliseconds(70)); });
    REQUIRE(r->Wait());
    REQUIRE(r->ok);
    REQUIRE(r->token_times.size() == 2);
    const double ttft = r->TtftMs();
    CAPTURE(ttft);
    CHECK(ttft >= 100.0);
    TIMING_CHECK(ttft < 110.0);
    TIMING_CHECK(r->TpotMs() > 45.0);
    TIMING_CHECK(r->TpotMs() < 55.0);
  }
}
