// The mock's event-driven serving (MockServer on net/EventLoop, MockSession, net/Acceptor,
// net/HttpRequestParser), in-process on 127.0.0.1 port 0, driven by raw sockets that control
// exactly which bytes go out in which write: Connection: close, Expect: 100-continue,
// pipelining, max_connections, /mock/stats, TLS (through the epoll transport, and against
// clients that do not speak it), several loops under concurrent streams, and Stop with a
// request waiting for admission.
#include "mock/MockServer.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "mock/MockStream.h"
#include "net/EpollEngine.h"
#include "protocol/Dialect.h"
#include "support/ChatRequest.h"
#include "support/RawHttp.h"
#include "support/TestSupport.h"
#include "support/Timing.h"
#include "transport/EpollTransport.h"

namespace llmprobe {
namespace {

using nlohmann::json;
using testing::kTimingSlack;

constexpr int64_t kMs = kNanosPerMilli;

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

MockOptions Options(int64_t ttft_ms, int64_t tpot_ms) {
  MockOptions options;
  options.ttft_ns = ttft_ms * kMs;
  options.tpot_ns = tpot_ms * kMs;
  options.max_connections = 64;
  options.threads = 2;
  return options;
}

struct RunningMock {
  explicit RunningMock(MockOptions options) : server(std::move(options)) {
    Status started = server.Start("127.0.0.1", 0);
    REQUIRE_MESSAGE(started.ok(), started.message());
  }
  int port() const { return server.port(); }
  MockServer server;
};

// Polls `done` every millisecond until it holds or `timeout_ms` passes.
bool WaitFor(const std::function<bool()>& done, int timeout_ms = 2000) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

std::string ChatBody(int max_tokens, bool stream = true) {
  return json{{"model", "m"},
              {"messages", {{{"role", "user"}, {"content", "say something nice"}}}},
              {"max_tokens", max_tokens},
              {"stream", stream}}
      .dump();
}

// A complete POST request as bytes; `extra` holds whole header lines, each ending in CRLF.
std::string PostBytes(const std::string& path, const std::string& body,
                      const std::string& extra = "") {
  return "POST " + path +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

std::string GetBytes(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

// One response as read by RawSocket.
struct Reply {
  int status = 0;
  std::string head;  // status line and headers, without the empty line
  std::string body;  // de-chunked
  bool chunked = false;

  // The value of header `name` (case-insensitive), "" if absent.
  std::string Header(std::string_view name) const {
    std::string want(name);
    for (char& c : want) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t start = head.find("\r\n");
    while (start != std::string::npos) {
      start += 2;
      const size_t end = std::min(head.find("\r\n", start), head.size());
      std::string line = head.substr(start, end - start);
      const size_t colon = line.find(':');
      std::string line_name = line.substr(0, colon);
      for (char& c : line_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (colon != std::string::npos && line_name == want) {
        const size_t value = line.find_first_not_of(" \t", colon + 1);
        return value == std::string::npos ? "" : line.substr(value);
      }
      start = end == head.size() ? std::string::npos : end;
    }
    return "";
  }
};

// The `data:` payloads of an event-stream body, in order.
std::vector<std::string> SseData(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t end = std::min(body.find('\n', pos), body.size());
    const std::string_view line(body.data() + pos, end - pos);
    if (line.substr(0, 6) == "data: ") out.emplace_back(line.substr(6));
    pos = end + 1;
  }
  return out;
}

// The token texts of a streamed chat body that ended with [DONE] (no role or usage chunks).
std::vector<std::string> ChatTokens(const Reply& reply) {
  std::vector<std::string> data = SseData(reply.body);
  REQUIRE_FALSE(data.empty());
  CHECK(data.back() == "[DONE]");
  std::vector<std::string> tokens;
  for (size_t i = 0; i + 1 < data.size(); ++i) {
    tokens.push_back(json::parse(data[i])["choices"][0]["delta"]["content"].get<std::string>());
  }
  return tokens;
}

// A blocking TCP client on 127.0.0.1 whose reads wait with poll(), so that every wait has a
// bound; bytes read and not yet consumed stay in buffer(). One thread at a time.
class RawSocket {
 public:
  enum class Read { kData, kEof, kTimeout, kError };

  RawSocket() = default;
  ~RawSocket() { Close(); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  // rcvbuf > 0: a receive buffer that small (set before connecting, so the window follows).
  void Connect(int port, int rcvbuf = 0) {
    Close();
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (rcvbuf > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    buffer_.clear();
  }
  // Closes with a reset (SO_LINGER 0) instead of a FIN.
  void Reset() {
    if (fd_ < 0) return;
    const linger hard{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    Close();
  }

  // Writes all of `bytes` in one send() call (the kernel takes a small write whole).
  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      REQUIRE_MESSAGE(n > 0, "send: ", std::strerror(errno));
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  // One recv() into buffer(), waiting at most timeout_ms for it.
  Read ReadOnce(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = poll(&p, 1, std::max(0, timeout_ms));
    if (ready == 0) return Read::kTimeout;
    if (ready < 0) return Read::kError;
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
      return Read::kData;
    }
    return n == 0 ? Read::kEof : Read::kError;
  }

  // Reads one response (a 1xx: its head only), leaving what follows it in buffer().
  Result<Reply> ReadReply(int timeout_ms = 5000) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      Reply reply;
      size_t used = 0;
      Result<bool> complete = TryParse(&reply, &used);
      if (!complete.ok()) return complete.status();
      if (complete.value()) {
        buffer_.erase(0, used);
        return reply;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      switch (ReadOnce(static_cast<int>(left.count()))) {
        case Read::kData:
          break;
        case Read::kEof:
          return Status::Error("connection closed before the response was complete");
        case Read::kTimeout:
          return Status::Error("no complete response within " + std::to_string(timeout_ms) +
                               " ms; have: " + buffer_.substr(0, 200));
        case Read::kError:
          return Status::Error(std::string("recv: ") + std::strerror(errno));
      }
    }
  }

  // Reads until the peer closes (EOF, or a reset): true if that happens within timeout_ms.
  // The bytes read meanwhile are appended to buffer().
  bool WaitClosed(int timeout_ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      switch (ReadOnce(static_cast<int>(left.count()))) {
        case Read::kData:
          continue;
        case Read::kEof:
        case Read::kError:
          return true;
        case Read::kTimeout:
          return false;
      }
    }
  }

  std::string& buffer() { return buffer_; }

 private:
  // A complete response at the start of buffer_: true and *used = its length; false: more
  // bytes needed.
  Result<bool> TryParse(Reply* reply, size_t* used) const {
    const size_t head_end = buffer_.find("\r\n\r\n");
    if (head_end == std::string::npos) return false;
    reply->head = buffer_.substr(0, head_end);
    if (reply->head.compare(0, 9, "HTTP/1.1 ") != 0) {
      return Status::Error("not an HTTP/1.1 status line: " + reply->head.substr(0, 100));
    }
    reply->status = std::atoi(reply->head.c_str() + 9);
    size_t pos = head_end + 4;
    if (reply->status < 200) {
      *used = pos;
      return true;
    }
    reply->chunked = reply->Header("Transfer-Encoding") == "chunked";
    if (!reply->chunked) {
      const size_t length = std::stoul("0" + reply->Header("Content-Length"));
      if (buffer_.size() < pos + length) return false;
      reply->body = buffer_.substr(pos, length);
      *used = pos + length;
      return true;
    }
    for (;;) {
      const size_t line_end = buffer_.find("\r\n", pos);
      if (line_end == std::string::npos) return false;
      const size_t size = std::stoul(buffer_.substr(pos, line_end - pos), nullptr, 16);
      if (size == 0) {  // no trailers: the empty line follows
        if (buffer_.size() < line_end + 4) return false;
        *used = line_end + 4;
        return true;
      }
      if (buffer_.size() < line_end + 2 + size + 2) return false;
      reply->body.append(buffer_, line_end + 2, size);
      pos = line_end + 2 + size + 2;
    }
  }

  int fd_ = -1;
  std::string buffer_;
};

// ---- TLS and the epoll transport ----

std::string Run(const std::string& command) {
  std::string out;
  const int rc = testing::RunShell(command, &out);
  REQUIRE_MESSAGE(rc == 0, command, "\n", out);
  return out;
}

// A self-signed certificate for localhost and 127.0.0.1: dir/key.pem, dir/cert.pem.
void MakeCertificate(const std::string& dir) {
  Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-keyout " +
      dir + "/key.pem -out " + dir +
      "/cert.pem -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1");
}

// Records one request's callbacks: the arrival times of token-bearing events (the chat
// dialect's decoder), the first body piece, the outcome.
class Recorder final : public StreamHandler {
 public:
  Recorder() : decoder_(DialectFor(ApiKind::kOpenAiChat).NewDecoder()) {}

  void OnStart(MonoNanos t) override { t_start = t; }
  void OnHeaders(int s, const std::vector<std::pair<std::string, std::string>>&,
                 MonoNanos) override {
    status = s;
  }
  bool OnBody(std::string_view bytes, MonoNanos t) override {
    if (first_body_time < 0) first_body_time = t;
    std::vector<StreamEvent> events;
    DecodeError err;
    if (status == 200 && decoder_->Feed(bytes, &events, &err)) {
      for (const StreamEvent& ev : events) {
        if (ev.carries_token()) token_times.push_back(t);
      }
    }
    return true;
  }
  void OnComplete(MonoNanos) override { Final(true, TransportError::kRead, ""); }
  void OnFailure(TransportError e, std::string_view d, MonoNanos) override {
    Final(false, e, std::string(d));
  }
  MonoNanos DeadlineNanos() const override { return SteadyClock().Now() + 10 * kNanosPerSecond; }

  bool Wait(int timeout_ms) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return done_; });
  }

  // Written by the callbacks, read after Wait().
  MonoNanos t_start = -1, first_body_time = -1;
  int status = 0;
  std::vector<MonoNanos> token_times;
  bool ok = false;
  TransportError error = TransportError::kRead;
  std::string detail;

 private:
  void Final(bool success, TransportError e, std::string d) {
    ok = success;
    error = e;
    detail = std::move(d);
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    cv_.notify_all();
  }

  std::unique_ptr<StreamDecoder> decoder_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

Endpoint HttpsEndpoint(int port, const std::string& ca_file) {
  Endpoint e;
  e.url.scheme = "https";
  e.url.host = "localhost";
  e.url.port = port;
  e.url.path = "/v1/chat/completions";
  e.connect_timeout_ns = 2 * kNanosPerSecond;
  e.tls.ca_file = ca_file;
  return e;
}

std::shared_ptr<Recorder> RunOne(Transport& transport, const Endpoint& endpoint, int max_tokens) {
  auto r = std::make_shared<Recorder>();
  transport.Submit(testing::ChatRequest(endpoint, max_tokens), r);
  REQUIRE(r->Wait(10000));
  return r;
}

// A TLS client running OpenSSL on memory BIOs over a RawSocket, so that the test decides which
// TLS records leave in one write.
class MemoryBioTlsClient {
 public:
  explicit MemoryBioTlsClient(const std::string& ca_file) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    REQUIRE(ctx_ != nullptr);
    REQUIRE(SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) == 1);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    REQUIRE(ssl_ != nullptr);
    SSL_set_bio(ssl_, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));  // ssl_ owns them
    SSL_set_connect_state(ssl_);
    // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
    static char kHost[] = "localhost";
    SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, kHost);
    SSL_set1_host(ssl_, "localhost");
  }
  ~MemoryBioTlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  MemoryBioTlsClient(const MemoryBioTlsClient&) = delete;
  MemoryBioTlsClient& operator=(const MemoryBioTlsClient&) = delete;

  // Runs the handshake until the client is done; its last flight (with TLS 1.3: the client's
  // Finished) is left unsent, in the write BIO.
  void Handshake(RawSocket& socket) {
    for (;;) {
      const int rc = SSL_do_handshake(ssl_);
      if (rc == 1) return;
      REQUIRE(SSL_get_error(ssl_, rc) == SSL_ERROR_WANT_READ);
      SendPending(socket);
      REQUIRE(Receive(socket, 5000));
    }
  }
  // Encrypts `bytes` into the write BIO (not sent yet).
  void Write(std::string_view bytes) {
    REQUIRE(SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
            static_cast<int>(bytes.size()));
  }
  // Sends everything in the write BIO in one send().
  void SendPending(RawSocket& socket) {
    std::string out;
    char buf[16384];
    BIO* wbio = SSL_get_wbio(ssl_);
    for (int n; (n = BIO_read(wbio, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    if (!out.empty()) socket.Send(out);
  }
  // Decrypted bytes until `marker` appears in them, the peer closes, or timeout_ms passes.
  std::string ReadUntil(RawSocket& socket, std::string_view marker, int timeout_ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::string plain;
    char buf[16384];
    while (plain.find(marker) == std::string::npos) {
      const int n = SSL_read(ssl_, buf, sizeof buf);
      if (n > 0) {
        plain.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (SSL_get_error(ssl_, n) != SSL_ERROR_WANT_READ) break;
      SendPending(socket);  // e.g. a key update answer
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !Receive(socket, static_cast<int>(left.count()))) break;
    }
    return plain;
  }

 private:
  // Moves the next bytes from the socket into the read BIO.
  bool Receive(RawSocket& socket, int timeout_ms) {
    if (socket.ReadOnce(timeout_ms) != RawSocket::Read::kData) return false;
    BIO_write(SSL_get_rbio(ssl_), socket.buffer().data(), static_cast<int>(socket.buffer().size()));
    socket.buffer().clear();
    return true;
  }

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

}  // namespace

// ---- (a) Connection: close ----

TEST_CASE("mock event server: Connection close gets the whole response, then EOF") {
  RunningMock mock(Options(5, 2));
  SUBCASE("a stream") {
    RawSocket s;
    s.Connect(mock.port());
    s.Send(PostBytes("/v1/chat/completions", ChatBody(4), "Connection: close\r\n"));
    Result<Reply> r = s.ReadReply();
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r.value().status == 200);
    CHECK(r.value().chunked);
    CHECK(r.value().Header("Connection") == "close");
    CHECK(ChatTokens(r.value()) == std::vector<std::string>{MockTokenText(0), MockTokenText(1),
                                                            MockTokenText(2), MockTokenText(3)});
    CHECK(s.WaitClosed(2000));
    CHECK(s.buffer().empty());  // nothing after the response
  }
  SUBCASE("a plain reply, and a non-streamed completion") {
    for (const std::string& request :
         {GetBytes("/health", "Connection: close\r\n"),
          PostBytes("/v1/chat/completions", ChatBody(3, false), "Connection: close\r\n")}) {
      RawSocket s;
      s.Connect(mock.port());
      s.Send(request);
      Result<Reply> r = s.ReadReply();
      REQUIRE_MESSAGE(r.ok(), r.status().message());
      CHECK(r.value().status == 200);
      CHECK_FALSE(r.value().chunked);
      CHECK(r.value().Header("Connection") == "close");
      CHECK(json::parse(r.value().body).is_object());
      CHECK(s.WaitClosed(2000));
      CHECK(s.buffer().empty());
    }
  }
  SUBCASE("a pipelined request after the closing one is not answered") {
    RawSocket s;
    s.Connect(mock.port());
    s.Send(GetBytes("/health", "Connection: close\r\n") + GetBytes("/v1/models"));
    Result<Reply> r = s.ReadReply();
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r.value().body == "{\"status\":\"ok\"}");
    CHECK(s.WaitClosed(2000));
    CHECK(s.buffer().empty());
  }
  SUBCASE("HTTP/1.0 without keep-alive") {
    RawSocket s;
    s.Connect(mock.port());
    s.Send("GET /health HTTP/1.0\r\n\r\n");
    Result<Reply> r = s.ReadReply();
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r.value().status == 200);
    CHECK(r.value().Header("Connection") == "close");
    CHECK(s.WaitClosed(2000));
  }
  CHECK(WaitFor([&] { return mock.server.open_connections() == 0; }));
}

// RFC 9112 6.1: a server must not send Transfer-Encoding in a response to an HTTP/1.0 request
// (such a client reads the body up to EOF, chunk-size lines included): the stream is sent bare
// and ends with the connection.
TEST_CASE("mock event server: a stream to an HTTP/1.0 client is not chunked") {
  RunningMock mock(Options(5, 2));
  const std::string body = ChatBody(3);
  RawSocket s;
  s.Connect(mock.port());
  s.Send(
      "POST /v1/chat/completions HTTP/1.0\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  REQUIRE(s.WaitClosed(2000));  // HTTP/1.0 without keep-alive: closed after the response
  const size_t head_end = s.buffer().find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  const std::string head = s.buffer().substr(0, head_end);
  const std::string content = s.buffer().substr(head_end + 4);
  CHECK(head.find("HTTP/1.1 200 OK") == 0);
  CHECK_MESSAGE(head.find("Transfer-Encoding") == std::string::npos, head);
  CHECK_MESSAGE(content.compare(0, 6, "data: ") == 0, content.substr(0, 20));
  const std::vector<std::string> events = SseData(content);
  REQUIRE_FALSE(events.empty());
  CHECK(events.back() == "[DONE]");
}

// ---- (b) Expect: 100-continue ----

TEST_CASE("mock event server: Expect 100-continue is answered before the body is sent") {
  RunningMock mock(Options(5, 2));
  const std::string body = ChatBody(3);
  const std::string request = PostBytes("/v1/chat/completions", body, "Expect: 100-continue\r\n");
  const std::string head = request.substr(0, request.size() - body.size());
  RawSocket s;
  s.Connect(mock.port());

  s.Send(head);
  Result<Reply> interim = s.ReadReply(2000);
  REQUIRE_MESSAGE(interim.ok(), interim.status().message());
  CHECK(interim.value().status == 100);
  CHECK(interim.value().head == "HTTP/1.1 100 Continue");
  CHECK(s.buffer().empty());
  CHECK(s.ReadOnce(100) == RawSocket::Read::kTimeout);  // nothing more until the body comes

  s.Send(body);
  Result<Reply> r = s.ReadReply();
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r.value().status == 200);
  CHECK(ChatTokens(r.value()).size() == 3);

  // Head and body in one write on the same kept-alive connection: no 100 Continue.
  s.Send(request);
  r = s.ReadReply();
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r.value().status == 200);
  CHECK(ChatTokens(r.value()).size() == 3);

  // A body the server refuses by its length gets the error, not 100 Continue.
  s.Send(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      "Content-Length: 2000000\r\n\r\n");
  r = s.ReadReply();
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r.value().status == 413);
  CHECK(r.value().Header("Connection") == "close");
  CHECK(json::parse(r.value().body)["error"]["message"].get<std::string>().find("too large") !=
        std::string::npos);
}

// ---- (c) pipelining ----

TEST_CASE("mock event server: pipelined requests in one write are answered in order") {
  RunningMock mock(Options(5, 2));
  RawSocket s;
  s.Connect(mock.port());
  s.Send(PostBytes("/v1/chat/completions", ChatBody(3)) + GetBytes("/v1/models") +
         PostBytes("/v1/chat/completions", ChatBody(2, false)) +
         PostBytes("/v1/chat/completions", ChatBody(1)));

  Result<Reply> first = s.ReadReply();
  REQUIRE_MESSAGE(first.ok(), first.status().message());
  CHECK(first.value().status == 200);
  CHECK(ChatTokens(first.value()).size() == 3);

  Result<Reply> second = s.ReadReply();
  REQUIRE_MESSAGE(second.ok(), second.status().message());
  CHECK(second.value().status == 200);
  CHECK(json::parse(second.value().body)["object"] == "list");

  Result<Reply> third = s.ReadReply();
  REQUIRE_MESSAGE(third.ok(), third.status().message());
  CHECK(third.value().status == 200);
  const json completion = json::parse(third.value().body);
  CHECK(completion["object"] == "chat.completion");
  CHECK(completion["usage"]["completion_tokens"] == 2);

  Result<Reply> fourth = s.ReadReply();
  REQUIRE_MESSAGE(fourth.ok(), fourth.status().message());
  CHECK(fourth.value().status == 200);
  CHECK(ChatTokens(fourth.value()).size() == 1);

  CHECK(s.buffer().empty());
  CHECK(s.ReadOnce(50) == RawSocket::Read::kTimeout);  // kept alive, nothing more
  CHECK(WaitFor([&] { return mock.server.requests_served() == 4; }));
}

// ---- (d) max_connections ----

TEST_CASE("mock event server: a connection past max_connections is closed without a response") {
  MockOptions options = Options(5, 2);
  options.max_connections = 2;
  RunningMock mock(options);
  RawSocket a, b;
  for (RawSocket* s : {&a, &b}) {
    s->Connect(mock.port());
    s->Send(GetBytes("/health"));
    Result<Reply> r = s->ReadReply();
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r.value().status == 200);
  }
  CHECK(mock.server.open_connections() == 2);

  RawSocket c;
  c.Connect(mock.port());  // the kernel completes the handshake; the server then closes it
  CHECK(c.WaitClosed(2000));
  CHECK(c.buffer().empty());

  // The first two still work, a stream included.
  a.Send(GetBytes("/health"));
  Result<Reply> r = a.ReadReply();
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r.value().status == 200);
  b.Send(PostBytes("/v1/chat/completions", ChatBody(2)));
  r = b.ReadReply();
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(ChatTokens(r.value()).size() == 2);
  CHECK(mock.server.open_connections() == 2);

  // Once one closes there is room again.
  a.Close();
  REQUIRE(WaitFor([&] { return mock.server.open_connections() == 1; }));
  RawSocket d;
  d.Connect(mock.port());
  d.Send(GetBytes("/health"));
  r = d.ReadReply();
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r.value().status == 200);
}

// ---- (e) /mock/stats ----

TEST_CASE("mock event server: /mock/stats counts token chunks and their lateness, reset zeroes") {
  RunningMock mock(Options(10, 3));
  constexpr int kRequests = 4, kTokens = 6;
  rawhttp::Client client;
  REQUIRE(client.Connect(mock.port()).ok());
  for (int i = 0; i < kRequests; ++i) {
    Result<rawhttp::Response> r = client.Send("POST", "/v1/chat/completions", ChatBody(kTokens));
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK(r.value().status == 200);
  }
  // A non-streamed completion writes no token chunks.
  Result<rawhttp::Response> plain =
      client.Send("POST", "/v1/chat/completions", ChatBody(kTokens, false));
  REQUIRE(plain.ok());
  CHECK(plain.value().status == 200);

  Result<rawhttp::Response> got = client.Send("GET", "/mock/stats");
  REQUIRE(got.ok());
  REQUIRE(got.value().status == 200);
  const json stats = json::parse(got.value().body);
  MESSAGE(stats.dump());
  CHECK(stats["token_chunks"] == kRequests * kTokens);
  CHECK(stats["first_token_chunks"] == kRequests);
  CHECK(stats["seconds"].get<double>() > 0.0);
  for (const char* key : {"late_ms", "first_token_late_ms"}) {
    CAPTURE(key);
    const json& late = stats[key];
    CHECK(late["p50"].get<double>() >= 0.0);
    CHECK(late["p50"].get<double>() <= late["p99"].get<double>());
    CHECK(late["p99"].get<double>() <= late["max"].get<double>() * 1.01);
    TIMING_CHECK(late["p99"].get<double>() < 5.0);
  }

  Result<rawhttp::Response> reset = client.Send("POST", "/mock/stats/reset");
  REQUIRE(reset.ok());
  CHECK(reset.value().status == 200);
  for (const json& zero : {json::parse(reset.value().body),
                           json::parse(client.Send("GET", "/mock/stats").value().body)}) {
    CAPTURE(zero.dump());
    CHECK(zero["token_chunks"] == 0);
    CHECK(zero["first_token_chunks"] == 0);
    for (const char* key : {"late_ms", "first_token_late_ms"}) {
      for (const char* q : {"p50", "p99", "max"}) CHECK(zero[key][q] == 0);
    }
    CHECK(zero["seconds"].get<double>() < 1.0 * kTimingSlack);
  }

  // Counting starts afresh.
  REQUIRE(client.Send("POST", "/v1/chat/completions", ChatBody(2)).ok());
  const json after = json::parse(client.Send("GET", "/mock/stats").value().body);
  CHECK(after["token_chunks"] == 2);
  CHECK(after["first_token_chunks"] == 1);
}

// ---- (f) TLS ----

TEST_CASE("mock event server: TLS through the epoll transport keeps the schedule") {
  testing::TempDir dir;
  MakeCertificate(dir.path());
  MockOptions options = Options(50, 10);
  options.role_chunk = true;  // sent at t0: the first body piece marks the mock's clock
  options.tls_cert_file = dir.path() + "/cert.pem";
  options.tls_key_file = dir.path() + "/key.pem";
  RunningMock mock(options);

  net::EpollEngineOptions eo;
  eo.loops = 1;  // one loop: one pooled connection, kept alive across the requests
  auto engine = std::make_shared<net::EpollEngine>(eo);
  const Endpoint endpoint = HttpsEndpoint(mock.port(), dir.path() + "/cert.pem");
  EpollTransportOptions to;
  to.engine = engine;
  auto transport = MakeEpollTransport(endpoint, SteadyClock(), to);

  constexpr int kTokens = 8;
  for (int i = 0; i < 4; ++i) {
    CAPTURE(i);
    std::shared_ptr<Recorder> r = RunOne(*transport, endpoint, kTokens);
    REQUIRE_MESSAGE(r->ok, TransportErrorName(r->error), " ", r->detail);
    CHECK(r->status == 200);
    REQUIRE(r->token_times.size() == kTokens);
    const double ttft_ms = Ms(r->token_times.front() - r->t_start);
    const double sched_ms = Ms(r->token_times.front() - r->first_body_time);
    const double tpot_ms =
        Ms(r->token_times.back() - r->token_times.front()) / static_cast<double>(kTokens - 1);
    MESSAGE("TTFT ", ttft_ms, " ms, first token after the role chunk ", sched_ms, " ms, TPOT ",
            tpot_ms, " ms");
    // The bounds of epoll_transport_test at concurrency 1: 5 ms on TTFT (kept-alive
    // connections: the first request's TTFT includes the TLS handshake) and on the first token
    // after the role chunk, 0.5 ms on TPOT.
    if (i > 0) TIMING_CHECK(std::abs(ttft_ms - 50.0) <= 5.0);
    TIMING_CHECK(std::abs(sched_ms - 50.0) <= 5.0);
    TIMING_CHECK(std::abs(tpot_ms - 10.0) <= 0.5);
  }
  const net::EpollEngineStats stats = engine->stats();
  CHECK(stats.tls_handshakes == 1);
  CHECK(stats.connects == 1);
  CHECK(stats.reused == 3);
  transport.reset();
  CHECK(WaitFor([&] { return mock.server.open_connections() == 0; }));
}

TEST_CASE("mock event server: TLS start errors name the file") {
  testing::TempDir dir;
  MakeCertificate(dir.path());
  MockOptions options = Options(5, 2);
  options.tls_cert_file = dir.path() + "/cert.pem";
  options.tls_key_file = dir.path() + "/missing-key.pem";
  MockServer missing_key(options);
  Status status = missing_key.Start("127.0.0.1", 0);
  REQUIRE_FALSE(status.ok());
  MESSAGE(status.message());
  CHECK(status.message().find(dir.path() + "/missing-key.pem") != std::string::npos);
  CHECK(status.message().find("No such file") != std::string::npos);
  missing_key.Stop();  // harmless after a failed start

  options.tls_key_file = dir.path() + "/cert.pem";  // a certificate is not a key
  MockServer not_a_key(options);
  status = not_a_key.Start("127.0.0.1", 0);
  REQUIRE_FALSE(status.ok());
  MESSAGE(status.message());
  CHECK(status.message().find(dir.path() + "/cert.pem") != std::string::npos);

  options.tls_key_file.clear();  // one without the other
  MockServer half(options);
  status = half.Start("127.0.0.1", 0);
  REQUIRE_FALSE(status.ok());
  CHECK(status.message().find("both") != std::string::npos);
}

TEST_CASE("mock event server: plain HTTP clients on the TLS port do not hold up the server") {
  testing::TempDir dir;
  MakeCertificate(dir.path());
  MockOptions options = Options(5, 2);
  options.threads = 1;  // everything on the one loop a stuck handshake could block
  options.tls_cert_file = dir.path() + "/cert.pem";
  options.tls_key_file = dir.path() + "/key.pem";
  RunningMock mock(options);

  // One connects and says nothing (its handshake waits), one speaks plain HTTP (its handshake
  // fails: closed, with at most a TLS alert and never an HTTP response).
  RawSocket silent, plain;
  silent.Connect(mock.port());
  plain.Connect(mock.port());
  plain.Send(GetBytes("/health"));
  CHECK(plain.WaitClosed(2000));
  CHECK(plain.buffer().find("HTTP/1.1") == std::string::npos);
  CHECK(WaitFor([&] { return mock.server.open_connections() == 1; }));

  auto engine = std::make_shared<net::EpollEngine>(net::EpollEngineOptions{});
  const Endpoint endpoint = HttpsEndpoint(mock.port(), dir.path() + "/cert.pem");
  EpollTransportOptions to;
  to.engine = engine;
  auto transport = MakeEpollTransport(endpoint, SteadyClock(), to);
  for (int i = 0; i < 2; ++i) {
    std::shared_ptr<Recorder> r = RunOne(*transport, endpoint, 3);
    REQUIRE_MESSAGE(r->ok, TransportErrorName(r->error), " ", r->detail);
    CHECK(r->token_times.size() == 3);
  }
  // The silent client is still connected, neither served nor dropped.
  CHECK(silent.ReadOnce(0) == RawSocket::Read::kTimeout);
  transport.reset();
}

// TLS 1.3: the client's Finished and its first request can reach the server in one segment
// (one write, or two writes the server reads in one wake-up). The server's handshake consumes
// the Finished record; the request's record is then in the socket with no new edge to report
// it, so the connection must read on right after the handshake (net/Connection.cpp,
// Handshake()) or the request waits until the mock's 30 s idle timeout closes it.
TEST_CASE("mock event server: a TLS request sent with the client's Finished is answered") {
  testing::TempDir dir;
  MakeCertificate(dir.path());
  MockOptions options = Options(5, 2);
  options.tls_cert_file = dir.path() + "/cert.pem";
  options.tls_key_file = dir.path() + "/key.pem";
  RunningMock mock(options);

  RawSocket socket;
  socket.Connect(mock.port());
  MemoryBioTlsClient tls(dir.path() + "/cert.pem");
  tls.Handshake(socket);           // the Finished stays in the write BIO
  tls.Write(GetBytes("/health"));  // the request joins it
  tls.SendPending(socket);         // both in one write
  const std::string reply = tls.ReadUntil(socket, "{\"status\":\"ok\"}", 2000);
  CHECK_MESSAGE(reply.find("HTTP/1.1 200 OK") == 0, "got: ", reply);
}

// ---- (g) several loops ----

TEST_CASE("mock event server: 3 loops serve 30 concurrent streams on schedule") {
  MockOptions options = Options(100, 10);
  options.threads = 3;
  RunningMock mock(options);
  constexpr int kStreams = 30, kTokens = 10;

  // One round of 30 streams at once. Returns the schedule errors seen by the clients (arrival
  // - t_sent - (ttft + k * tpot), every token of every stream, sorted) and the mock's own
  // lateness (/mock/stats, reset before the round).
  struct Round {
    std::vector<int64_t> errors;
    json stats;
  };
  auto round = [&] {
    REQUIRE(rawhttp::Request(mock.port(), "POST", "/mock/stats/reset").ok());
    std::vector<std::vector<int64_t>> errors(kStreams);
    std::vector<std::string> failures(kStreams);
    std::vector<std::thread> threads;
    for (int i = 0; i < kStreams; ++i) {
      threads.emplace_back([&, i] {
        Result<rawhttp::Response> r =
            rawhttp::Request(mock.port(), "POST", "/v1/chat/completions", ChatBody(kTokens));
        if (!r.ok()) {
          failures[i] = r.status().message();
          return;
        }
        int k = 0;
        for (const rawhttp::SseEvent& e : rawhttp::ParseSse(r.value())) {
          if (e.data == "[DONE]") continue;
          errors[i].push_back(e.at - r.value().t_sent - 100 * kMs - k * 10 * kMs);
          ++k;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    Round out;
    for (int i = 0; i < kStreams; ++i) {
      CAPTURE(i);
      CHECK_MESSAGE(failures[i].empty(), failures[i]);
      CHECK(errors[i].size() == kTokens);
      out.errors.insert(out.errors.end(), errors[i].begin(), errors[i].end());
    }
    REQUIRE(out.errors.size() == kStreams * kTokens);
    std::sort(out.errors.begin(), out.errors.end());
    Result<rawhttp::Response> stats = rawhttp::Request(mock.port(), "GET", "/mock/stats");
    REQUIRE(stats.ok());
    out.stats = json::parse(stats.value().body);
    CHECK(out.stats["token_chunks"] == kStreams * kTokens);
    // Every client closed its connection after its response.
    CHECK(WaitFor([&] { return mock.server.open_connections() == 0; }));
    CHECK(mock.server.active_requests() == 0);
    return out;
  };
  auto median = [](const Round& r) { return std::llabs(r.errors[r.errors.size() / 2]); };
  auto worst = [](const Round& r) {
    return std::max(std::llabs(r.errors.front()), std::llabs(r.errors.back()));
  };
  auto late_p99_ms = [](const Round& r) { return r.stats["late_ms"]["p99"].get<double>(); };

  // As in mock_server_test: a busy machine (parallel builds) delays the 30 client threads'
  // wake-ups and the mock's loops by a few ms now and then, so up to 3 rounds are run until one
  // is within 3 ms in the median and 10 ms everywhere, with the mock's own lateness (its send
  // times against the schedule) under 5 ms at p99. The best round (by its worst error) must be
  // on time in the median (5 ms), within 25 ms everywhere, and the mock late by 10 ms at most
  // at p99.
  Round best;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    Round r = round();
    MESSAGE("30 streams on 3 loops, round ", attempt, ": client-side schedule error median ",
            Ms(median(r)), " ms, worst ", Ms(worst(r)), " ms; mock lateness p99 ", late_p99_ms(r),
            " ms, max ", r.stats["late_ms"]["max"].get<double>(), " ms");
    if (best.errors.empty() || worst(r) < worst(best)) best = std::move(r);
    if (median(best) <= 3 * kMs && worst(best) <= 10 * kMs && late_p99_ms(best) < 5.0) break;
    if (testing::kSanitizedBuild) break;  // behaviour only (support/Timing.h)
  }
  TIMING_CHECK(median(best) <= 5 * kMs);
  TIMING_CHECK(worst(best) <= 25 * kMs);
  TIMING_CHECK(late_p99_ms(best) <= 10.0);
  CHECK(mock.server.requests_served() >= kStreams);
}

// ---- (h) Stop with a queued request ----

TEST_CASE("mock event server: Stop with a request waiting for admission returns promptly") {
  MockOptions options = Options(50, 20);
  options.max_batch = 1;
  auto server = std::make_unique<MockServer>(options);
  REQUIRE(server->Start("127.0.0.1", 0).ok());

  RawSocket active, queued;
  active.Connect(server->port());
  active.Send(PostBytes("/v1/chat/completions", ChatBody(100)));  // 50 + 99 * 20 ms: ~2 s
  REQUIRE(WaitFor([&] { return server->active_requests() == 1; }));
  queued.Connect(server->port());
  queued.Send(PostBytes("/v1/chat/completions", ChatBody(5)));
  REQUIRE(WaitFor([&] { return server->queued_requests() == 1; }));
  CHECK(server->active_requests() == 1);

  const MonoNanos before = SteadyClock().Now();
  server->Stop();
  const int64_t stop_ns = SteadyClock().Now() - before;
  MESSAGE("Stop took ", Ms(stop_ns), " ms");
  CHECK(stop_ns < 500 * kMs * kTimingSlack);
  CHECK(server->queued_requests() == 0);
  CHECK(server->open_connections() == 0);

  // Both clients see their connection closed at once: the queued one without a token, the
  // active one without the end of its stream.
  CHECK(queued.WaitClosed(1000));
  CHECK(queued.buffer().find("data:") == std::string::npos);
  CHECK(queued.buffer().find("\r\n0\r\n\r\n") == std::string::npos);
  CHECK(active.WaitClosed(1000));
  CHECK(active.buffer().find("[DONE]") == std::string::npos);
  server.reset();
}

// A response to a "Connection: close" request that the socket does not take at once stays
// with its session until it is written out (or the drain timeout): Stop() closes it like any
// other connection, and nothing leaks (the sanitizer builds check that too).
TEST_CASE("mock event server: Stop closes a closing connection whose response is not flushed") {
  MockOptions options = Options(0, 0);
  auto server = std::make_unique<MockServer>(options);
  REQUIRE(server->Start("127.0.0.1", 0).ok());
  RawSocket s;
  s.Connect(server->port(), 4096);
  // 20000 chunks of ~400 bytes, all due at once: more than the socket buffers hold (~3 MB).
  s.Send(PostBytes("/v1/chat/completions", ChatBody(20000), "Connection: close\r\n"));
  REQUIRE(WaitFor([&] { return server->requests_served() == 1; }, 10000));
  server->Stop();
  CHECK_MESSAGE(s.WaitClosed(2000), "read ", s.buffer().size(), " bytes, then nothing");
  server.reset();
}

}  // namespace llmprobe

namespace llmprobe {

// Clients that reset their connections (SO_LINGER 0) in the middle of 1 ms token streams, 150
// at a time on one loop: a write can then fail inside the session's own step, which ends the
// session there (the sanitizer builds caught a read of the freed play after it). The server
// ends up with nothing open, active or queued, and serves a new client.
TEST_CASE("mock event server: clients resetting mid-stream leave nothing behind") {
  MockOptions options = Options(1, 1);
  options.threads = 1;
  options.max_connections = 1000;
  RunningMock mock(options);
  const std::string request = PostBytes("/v1/chat/completions", ChatBody(3000));
  for (int round = 0; round < 3; ++round) {
    std::vector<std::unique_ptr<RawSocket>> clients;
    for (int i = 0; i < 150; ++i) {
      clients.push_back(std::make_unique<RawSocket>());
      clients.back()->Connect(mock.port());
      clients.back()->Send(request);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    for (size_t i = 0; i < clients.size(); ++i) {
      clients[i]->Reset();
      if (i % 8 == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    CHECK(WaitFor([&] { return mock.server.open_connections() == 0; }));
    CHECK(mock.server.active_requests() == 0);
  }
  Result<rawhttp::Response> health = rawhttp::Request(mock.port(), "GET", "/health");
  REQUIRE(health.ok());
  CHECK(health.value().status == 200);
}

}  // namespace llmprobe

namespace llmprobe {

// Out of descriptors, connections stay queued in the kernel; the acceptor retries on a timer,
// so once descriptors are free again they are served without waiting for a new connection to
// arrive (an edge-triggered listening socket raises no edge for the ones already queued).
// The real binary with its open-file limit set to 40 (a shell's `ulimit -n`). Not in the
// sanitizer builds: UBSan's vptr check probes memory through a pipe, which fails when no
// descriptor is free, and reports that as an invalid object.
TEST_CASE("mock event server: connections queued while out of descriptors are served later" *
          doctest::skip(testing::kSanitizedBuild)) {
  testing::TempDir dir;
  const int port = rawhttp::FreePort();
  testing::ChildProcess proc({"/bin/sh", "-c",
                              "ulimit -n 40 && exec '" + testing::LlmprobeBinary() +
                                  "' mock --threads 1 --listen 127.0.0.1:" + std::to_string(port)},
                             dir.path() + "/mock.log");
  REQUIRE(testing::WaitForHttp(port, "/health", 10000));
  constexpr int kClients = 60;
  std::vector<std::unique_ptr<RawSocket>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawSocket>());
    clients.back()->Connect(port);
    clients.back()->Send(GetBytes("/health"));
  }
  // The first ones are answered; the rest wait in the backlog (no descriptor to accept them).
  int answered = 0;
  std::vector<bool> done(kClients, false);
  for (int i = 0; i < kClients; ++i) {
    Result<Reply> reply = clients[i]->ReadReply(i == 0 ? 5000 : 50);
    if (reply.ok() && reply.value().status == 200) {
      done[i] = true;
      ++answered;
    }
  }
  CAPTURE(answered);
  CHECK(answered > 0);
  CHECK(answered < kClients);
  for (int i = 0; i < kClients; ++i) {
    if (done[i]) clients[i]->Close();  // frees their descriptors in the mock
  }
  for (int i = 0; i < kClients; ++i) {
    if (done[i]) continue;
    Result<Reply> reply = clients[i]->ReadReply(5000);
    REQUIRE_MESSAGE(reply.ok(), "client ", i, " never answered");
    CHECK(reply.value().status == 200);
    clients[i]->Close();
  }
  proc.Signal(SIGTERM);
  CHECK(proc.Wait(10000) == 0);
}

}  // namespace llmprobe
