#include "transport/EpollTransport.h"

#include <algorithm>
#include <latch>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/BuildInfo.h"
#include "net/Connection.h"
#include "net/HttpRequestEncoder.h"
#include "net/HttpResponseParser.h"
#include "net/Timer.h"
#include "net/TlsContext.h"

namespace llmprobe {
namespace {

using net::Connection;
using net::NetError;

TransportError FromNetError(NetError e) {
  switch (e) {
    case NetError::kConnectRefused:
      return TransportError::kConnectRefused;
    case NetError::kConnect:
      return TransportError::kConnect;
    case NetError::kConnectTimeout:
      return TransportError::kConnectTimeout;
    case NetError::kTls:
      return TransportError::kTls;
    case NetError::kWrite:
      return TransportError::kWrite;
    case NetError::kRead:
      return TransportError::kRead;
  }
  return TransportError::kRead;
}

constexpr int64_t kMaxTimerWaitNs = 3600 * kNanosPerSecond;

std::string Millis(int64_t ns) { return std::to_string(ns / kNanosPerMilli) + " ms"; }

class Exchange;

// What one transport keeps on one loop. Loop thread only.
struct LoopState {
  net::EventLoop* loop = nullptr;
  std::unique_ptr<net::ConnectionPool> pool;
  std::unordered_map<Exchange*, std::shared_ptr<Exchange>> active;  // started, not finished
};

// Immutable per-transport settings plus the per-loop states; shared by the transport and its
// requests, so a request finishing after the transport is gone still finds them.
struct Shared {
  Endpoint endpoint;
  const Clock* clock = nullptr;
  net::EpollEngine* engine = nullptr;  // kept alive by the transport, which outlives requests
  std::shared_ptr<net::TlsContext> tls;
  std::string tls_error;  // why the TLS settings could not be loaded
  std::string host_header;
  std::string user_agent;
  net::HttpResponseParser::Limits parser_limits;
  std::vector<LoopState> loops;  // by engine loop index
};

// One request from OnStart to its final callback, on one loop.
class Exchange final : public Connection::Listener,
                       private net::HttpResponseParser::Listener,
                       public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::shared_ptr<Shared> shared, size_t loop_index, std::string request,
           bool head_request, std::shared_ptr<StreamHandler> handler)
      : shared_(std::move(shared)),
        state_(shared_->loops[loop_index]),
        clock_(*shared_->clock),
        request_(std::move(request)),
        head_request_(head_request),
        handler_(std::move(handler)),
        parser_(shared_->parser_limits),
        deadline_timer_(*state_.loop, [this] { OnDeadlineTimer(); }),
        setup_timer_(*state_.loop, [this] { OnSetupTimer(); }) {}

  void Start() {
    state_.active.emplace(this, shared_from_this());
    handler_->OnStart(clock_.Now());
    ArmDeadline();
    if (!shared_->tls_error.empty()) {
      Fail(TransportError::kTls, shared_->tls_error);
      return;
    }
    if (std::shared_ptr<Connection> c = state_.pool->Acquire(net::EventLoop::NowNanos())) {
      reused_ = true;
      Use(std::move(c));
      return;
    }
    Connect();
  }

  void Fail(TransportError error, const std::string& detail) {
    if (done_) return;
    const std::shared_ptr<Exchange> self = End();
    handler_->OnFailure(error, detail, clock_.Now());
    handler_.reset();
  }

 private:
  enum class Phase { kIdle, kResolving, kConnecting, kExchanging };

  // --- Connection setup. ---
  void Connect() {
    phase_ = Phase::kResolving;
    setup_timer_.ArmAfter(shared_->endpoint.connect_timeout_ns);
    const UrlParts& url = shared_->endpoint.url;
    std::vector<net::SocketAddress> addresses;
    std::string error;
    net::Resolver& resolver = shared_->engine->resolver();
    if (resolver.TryResolveNow(url.host, url.port, &addresses, &error)) {
      OnResolved(addresses, error);
      return;
    }
    resolver.Resolve(url.host, url.port,
                     [self = shared_from_this(), loop = state_.loop](
                         const std::vector<net::SocketAddress>& a, const std::string& e) {
                       loop->Post([self, a, e] { self->OnResolved(a, e); });
                     });
  }

  void OnResolved(const std::vector<net::SocketAddress>& addresses, const std::string& error) {
    if (done_ || phase_ != Phase::kResolving) return;
    if (!error.empty()) {
      Fail(TransportError::kDns, error);
      return;
    }
    addresses_ = addresses;
    next_address_ = 0;
    ConnectNext(NetError::kConnect, "no address");
  }

  // Tries the remaining addresses in order; `error`/`detail` describe the last failure.
  void ConnectNext(NetError error, std::string detail) {
    while (next_address_ < addresses_.size()) {
      const net::SocketAddress& address = addresses_[next_address_++];
      shared_->engine->CountConnect();
      phase_ = Phase::kConnecting;
      conn_ = Connection::Connect(*state_.loop, clock_, address, shared_->tls,
                                  shared_->endpoint.url.host, this, &error, &detail);
      if (conn_ != nullptr) return;
    }
    Fail(FromNetError(error), detail);
  }

  void OnSetupTimer() {
    if (done_) return;
    const std::string after = " after " + Millis(shared_->endpoint.connect_timeout_ns);
    if (phase_ == Phase::kResolving) {
      Fail(TransportError::kDns, "resolving " + shared_->endpoint.url.host + " timed out" + after);
    } else if (phase_ == Phase::kConnecting) {
      const std::string what = conn_ != nullptr ? conn_->address().ToString() : "?";
      Fail(TransportError::kConnectTimeout, "connect to " + what + " timed out" + after);
    }
  }

  void OnConnected(Connection& c) override {
    setup_timer_.Cancel();
    if (c.tls()) shared_->engine->CountTlsHandshake(c.tls_resumed());
    Use(std::move(conn_));
  }

  // --- The exchange on an open connection. ---
  void Use(std::shared_ptr<Connection> c) {
    conn_ = std::move(c);
    conn_->SetListener(this);
    conn_->CountUse();
    shared_->engine->CountRequest(reused_);
    parser_.Reset(head_request_);
    got_bytes_ = false;
    phase_ = Phase::kExchanging;
    conn_->Send(request_);  // a failure arrives as OnError
  }

  void OnData(Connection&, std::string_view bytes, MonoNanos t) override {
    if (done_) return;
    got_bytes_ = true;
    read_time_ = t;
    const size_t used = parser_.Feed(bytes, *this);
    if (done_) return;
    switch (parser_.state()) {
      case net::HttpResponseParser::State::kStopped:
        Fail(TransportError::kAborted, "aborted by handler");
        return;
      case net::HttpResponseParser::State::kError:
        Fail(TransportError::kRead, "invalid HTTP response: " + parser_.error());
        return;
      case net::HttpResponseParser::State::kComplete: {
        std::shared_ptr<Connection> c = std::move(conn_);
        if (used == bytes.size() && parser_.keep_alive()) {
          state_.pool->Release(std::move(c), net::EventLoop::NowNanos());
        } else {
          c->Close();  // unsolicited bytes after the response, or not keep-alive
        }
        Complete(t);
        return;
      }
      default:
        CheckDeadlineMoved();
        return;
    }
  }

  void OnResponseHead(int status, const net::HttpHeaders& headers) override {
    handler_->OnHeaders(status, headers, read_time_);
  }

  bool OnResponseBody(std::string_view piece) override {
    return handler_->OnBody(piece, read_time_);
  }

  void OnClosed(Connection&, MonoNanos t) override {
    if (done_) return;
    conn_.reset();
    if (phase_ != Phase::kExchanging) {
      Fail(TransportError::kTls, "connection closed during setup");
      return;
    }
    if (parser_.FinishEof()) {
      Complete(t);
    } else if (!got_bytes_ && CanRetry()) {
      Retry();
    } else {
      Fail(TransportError::kRead, parser_.error());
    }
  }

  void OnError(Connection&, NetError error, const std::string& detail, MonoNanos) override {
    if (done_) return;
    conn_.reset();
    if (phase_ == Phase::kConnecting) {
      if (error == NetError::kConnectRefused || error == NetError::kConnect) {
        ConnectNext(error, detail);  // another address may work (e.g. ::1 then 127.0.0.1)
      } else {
        Fail(FromNetError(error), detail);
      }
      return;
    }
    if (!got_bytes_ && CanRetry()) {
      Retry();
      return;
    }
    Fail(FromNetError(error), detail);
  }

  // A kept-alive connection the server had closed fails before any response byte: the request
  // never reached the server (or was ignored), so one retry on a new connection is safe.
  bool CanRetry() const { return reused_ && !retried_; }
  void Retry() {
    retried_ = true;
    reused_ = false;
    shared_->engine->CountRetry();
    Connect();
  }

  // --- Deadlines. ---
  // Arms the timer for the handler's deadline, converted from the Clock to the loop clock. A
  // far deadline (e.g. "never") is re-checked hourly instead of overflowing.
  void ArmDeadline() {
    armed_deadline_ = handler_->DeadlineNanos();
    int64_t wait = 0;
    if (__builtin_sub_overflow(armed_deadline_, clock_.Now(), &wait)) wait = kMaxTimerWaitNs;
    wait = std::clamp<int64_t>(wait, 0, kMaxTimerWaitNs);
    deadline_timer_.ArmAt(net::EventLoop::NowNanos() + wait);
  }

  void CheckDeadlineMoved() {
    if (handler_->DeadlineNanos() < armed_deadline_) ArmDeadline();
  }

  void OnDeadlineTimer() {
    if (done_) return;
    const int64_t deadline = handler_->DeadlineNanos();
    if (clock_.Now() >= deadline) {
      Fail(TransportError::kDeadline, "deadline exceeded");
      return;
    }
    ArmDeadline();  // the deadline moved later since it was armed
  }

  // --- Endings. ---
  // Marks the exchange done, closes what it still holds and leaves the active set. Returns the
  // reference that keeps it alive through the final callback.
  std::shared_ptr<Exchange> End() {
    std::shared_ptr<Exchange> self = shared_from_this();
    done_ = true;
    deadline_timer_.Cancel();
    setup_timer_.Cancel();
    if (conn_ != nullptr) {
      conn_->Close();
      conn_.reset();
    }
    state_.active.erase(this);
    return self;
  }

  void Complete(MonoNanos t) {
    const std::shared_ptr<Exchange> self = End();
    handler_->OnComplete(t);
    handler_.reset();
  }

  const std::shared_ptr<Shared> shared_;
  LoopState& state_;
  const Clock& clock_;
  const std::string request_;
  const bool head_request_;
  std::shared_ptr<StreamHandler> handler_;
  net::HttpResponseParser parser_;
  net::Timer deadline_timer_;
  net::Timer setup_timer_;
  std::shared_ptr<Connection> conn_;
  std::vector<net::SocketAddress> addresses_;
  size_t next_address_ = 0;
  Phase phase_ = Phase::kIdle;
  MonoNanos read_time_ = 0;
  MonoNanos armed_deadline_ = 0;
  bool done_ = false;
  bool reused_ = false;
  bool retried_ = false;
  bool got_bytes_ = false;
};

class EpollTransport final : public Transport {
 public:
  EpollTransport(const Endpoint& endpoint, const Clock& clock, EpollTransportOptions options)
      : engine_(options.engine ? std::move(options.engine) : net::EpollEngine::Shared()),
        shared_(std::make_shared<Shared>()) {
    Shared& s = *shared_;
    s.endpoint = endpoint;
    s.clock = &clock;
    s.engine = engine_.get();
    const bool https = endpoint.url.scheme == "https";
    if (https) {
      auto tls = net::TlsContext::Create(endpoint.tls);
      if (tls.ok()) {
        s.tls = std::move(tls).value();
      } else {
        s.tls_error = "TLS configuration: " + tls.status().message();
      }
    }
    s.host_header = net::HostHeaderValue(endpoint.url.host, endpoint.url.port, https);
    s.user_agent = "llmprobe/" + std::string(Version());
    s.parser_limits.max_head_bytes = options.max_response_head_bytes;
    s.loops.resize(engine_->loop_count());
    for (size_t i = 0; i < s.loops.size(); ++i) {
      s.loops[i].loop = &engine_->loop(i);
      s.loops[i].pool = std::make_unique<net::ConnectionPool>(options.pool);
    }
  }

  ~EpollTransport() override {
    ForEachLoop([](LoopState& state) {
      CancelOn(state);
      state.pool->CloseAll();
    });
  }

  void Submit(HttpRequestSpec request, std::shared_ptr<StreamHandler> handler) override {
    net::HttpRequestParts parts;
    parts.method = request.method;
    parts.target = request.path;
    parts.host = shared_->host_header;
    parts.headers = &request.headers;
    parts.body = request.body;
    parts.user_agent = shared_->user_agent;
    Result<std::string> bytes = net::EncodeHttpRequest(parts);
    const size_t index = engine_->PickLoop();
    if (!bytes.ok()) {
      // Reported from the loop like every other failure, after an OnStart.
      std::string detail = bytes.status().message();
      shared_->loops[index].loop->Post(
          [handler = std::move(handler), detail, clock = shared_->clock] {
            handler->OnStart(clock->Now());
            handler->OnFailure(TransportError::kWrite, detail, clock->Now());
          });
      return;
    }
    auto exchange = std::make_shared<Exchange>(shared_, index, std::move(bytes).value(),
                                               request.method == "HEAD", std::move(handler));
    shared_->loops[index].loop->Post([exchange = std::move(exchange)] { exchange->Start(); });
  }

  void CancelAll() override { ForEachLoop(&CancelOn); }

 private:
  static void CancelOn(LoopState& state) {
    std::vector<std::shared_ptr<Exchange>> active;
    active.reserve(state.active.size());
    for (auto& [ptr, exchange] : state.active) active.push_back(exchange);
    for (auto& exchange : active) exchange->Fail(TransportError::kCanceled, "canceled");
  }

  // Runs fn on every loop (after the tasks already posted there) and waits for all of them,
  // unless called from one of the engine's loop threads, where waiting could deadlock.
  template <typename Fn>
  void ForEachLoop(Fn fn) {
    const bool wait = engine_->CurrentLoop() == engine_->loop_count();
    auto done = std::make_shared<std::latch>(static_cast<std::ptrdiff_t>(shared_->loops.size()));
    for (size_t i = 0; i < shared_->loops.size(); ++i) {
      shared_->loops[i].loop->Post([shared = shared_, i, fn, done] {
        fn(shared->loops[i]);
        done->count_down();
      });
    }
    if (wait) done->wait();
  }

  std::shared_ptr<net::EpollEngine> engine_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace

std::unique_ptr<Transport> MakeEpollTransport(const Endpoint& endpoint, const Clock& clock,
                                              EpollTransportOptions options) {
  return std::make_unique<EpollTransport>(endpoint, clock, std::move(options));
}

std::unique_ptr<Transport> MakeEpollTransport(const Endpoint& endpoint, const Clock& clock,
                                              std::shared_ptr<net::EpollEngine> engine) {
  EpollTransportOptions options;
  options.engine = std::move(engine);
  return MakeEpollTransport(endpoint, clock, std::move(options));
}

}  // namespace llmprobe
