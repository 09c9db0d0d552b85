#include "SoakFaultServer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/Clock.h"
#include "protocol/OpenAiEncoding.h"

namespace llmprobe::perf {
namespace {

constexpr std::array<FaultKind, 12> kRotation = {
    FaultKind::kOk, FaultKind::kReset,   FaultKind::kOk, FaultKind::kHttp500,
    FaultKind::kOk, FaultKind::kHttp429, FaultKind::kOk, FaultKind::kMalformedJson,
    FaultKind::kOk, FaultKind::kStall,   FaultKind::kOk, FaultKind::kNoDone};

size_t IndexOf(FaultKind kind) { return static_cast<size_t>(kind); }

// Content-Length of a request head (0 when absent or malformed).
size_t ContentLength(std::string_view head) {
  std::string lower(head);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const size_t at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) return 0;
  return static_cast<size_t>(std::strtoull(lower.c_str() + at + 17, nullptr, 10));
}

std::string Chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return std::string(size) + std::string(data) + "\r\n";
}

constexpr std::string_view kLastChunk = "0\r\n\r\n";
constexpr std::string_view kSseHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
    "Transfer-Encoding: chunked\r\n\r\n";

std::string ErrorResponse(int status, std::string_view reason, std::string_view extra_header,
                          std::string_view message) {
  std::string body;
  OpenAiChunkEncoder::AppendError(message, "server_error", &body);
  // AppendError writes an SSE event ("data: {...}\n\n"); a plain response carries the object.
  if (body.rfind("data: ", 0) == 0) body.erase(0, 6);
  while (!body.empty() && body.back() == '\n') body.pop_back();
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: application/json\r\n" + std::string(extra_header) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

std::string_view FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kOk:
      return "ok";
    case FaultKind::kReset:
      return "reset";
    case FaultKind::kHttp500:
      return "http_500";
    case FaultKind::kHttp429:
      return "http_429";
    case FaultKind::kMalformedJson:
      return "malformed_json";
    case FaultKind::kStall:
      return "stall";
    case FaultKind::kNoDone:
      return "no_done";
  }
  return "?";
}

Outcome ExpectedOutcome(FaultKind kind) {
  switch (kind) {
    case FaultKind::kOk:
      return Outcome::kSuccess;
    case FaultKind::kReset:
      return Outcome::kReadError;
    case FaultKind::kHttp500:
      return Outcome::kHttpServerError;
    case FaultKind::kHttp429:
      return Outcome::kHttpRateLimited;
    case FaultKind::kMalformedJson:
      return Outcome::kProtocolError;
    case FaultKind::kStall:
      return Outcome::kTimeoutFirstToken;
    case FaultKind::kNoDone:
      return Outcome::kStreamIncomplete;
  }
  return Outcome::kSuccess;
}

SoakFaultServer::SoakFaultServer(SoakFaultServerOptions options) : options_(options) {}

SoakFaultServer::~SoakFaultServer() { Stop(); }

Status SoakFaultServer::Start() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Status::Error(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(listen_fd_, 128) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string err = std::strerror(errno);
    close(listen_fd_);
    listen_fd_ = -1;
    return Status::Error("fault server: 127.0.0.1:0: " + err);
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return Status::Ok();
}

void SoakFaultServer::Stop() {
  if (stopping_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
  }
  cv_.notify_all();
  if (acceptor_.joinable()) acceptor_.join();
  std::map<uint64_t, std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (auto& [id, t] : threads) t.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
}

std::array<int64_t, kFaultKinds> SoakFaultServer::Served() const {
  std::array<int64_t, kFaultKinds> out{};
  for (size_t i = 0; i < kFaultKinds; ++i) out[i] = served_[i].load();
  return out;
}

void SoakFaultServer::AcceptLoop() {
  uint64_t next_id = 0;
  while (!stopping_) {
    ReapFinished();
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;  // also wakes up to see stopping_
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    connections_.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      close(fd);
      break;
    }
    open_fds_.insert(fd);
    const uint64_t id = next_id++;
    threads_.emplace(id, std::thread([this, fd, id] { Serve(fd, id); }));
  }
}

void SoakFaultServer::ReapFinished() {
  std::vector<std::thread> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (uint64_t id : finished_) {
      auto it = threads_.find(id);
      if (it == threads_.end()) continue;
      done.push_back(std::move(it->second));
      threads_.erase(it);
    }
    finished_.clear();
  }
  for (std::thread& t : done) t.join();
}

void SoakFaultServer::Serve(int fd, uint64_t id) {
  std::string buf;
  char tmp[8192];
  bool open = true;
  while (open && !stopping_) {
    const size_t head_end = buf.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const size_t total = head_end + 4 + ContentLength(std::string_view(buf).substr(0, head_end));
      if (buf.size() >= total) {
        buf.erase(0, total);
        const FaultKind kind = kRotation[next_request_.fetch_add(1) % kRotation.size()];
        served_[IndexOf(kind)].fetch_add(1);
        open = Play(fd, kind);
        continue;
      }
    }
    const ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the client closed the connection, or Stop shut it down
    buf.append(tmp, static_cast<size_t>(n));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.erase(fd);
    finished_.push_back(id);
  }
  close(fd);
}

bool SoakFaultServer::Play(int fd, FaultKind kind) {
  const OpenAiChunkEncoder enc(ApiKind::kOpenAiChat, "chatcmpl-soak", "fault-model", 0);
  auto event = [&](auto append) {
    std::string e;
    append(&e);
    return SendAll(fd, Chunk(e));
  };
  auto tokens = [&](int n) {
    for (int i = 0; i < n; ++i) {
      if (!Pause(options_.token_gap_ns)) return false;
      if (!event([&](std::string* e) { enc.AppendContent("tok ", e); })) return false;
    }
    return true;
  };
  switch (kind) {
    case FaultKind::kOk: {
      TokenUsage usage;
      usage.prompt_tokens = 16;
      usage.completion_tokens = options_.tokens;
      return SendAll(fd, kSseHead) && event([&](std::string* e) { enc.AppendRole(e); }) &&
             tokens(options_.tokens) &&
             event([&](std::string* e) { enc.AppendFinish(FinishReason::kStop, e); }) &&
             event([&](std::string* e) { enc.AppendUsage(usage, e); }) &&
             event([&](std::string* e) { OpenAiChunkEncoder::AppendDone(e); }) &&
             SendAll(fd, kLastChunk);
    }
    case FaultKind::kReset: {
      if (SendAll(fd, kSseHead) && event([&](std::string* e) { enc.AppendRole(e); })) tokens(2);
      const linger abort_on_close{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
      return false;  // Serve closes the socket: with linger 0 that sends the RST
    }
    case FaultKind::kHttp500:
      return SendAll(fd, ErrorResponse(500, "Internal Server Error", "", "soak: injected 500"));
    case FaultKind::kHttp429:
      return SendAll(
          fd, ErrorResponse(429, "Too Many Requests", "Retry-After: 1\r\n", "soak: injected 429"));
    case FaultKind::kMalformedJson:
      // The client gives up at the bad event; the rest is for a client that would not.
      return SendAll(fd, kSseHead) && event([&](std::string* e) { enc.AppendRole(e); }) &&
             tokens(1) &&
             SendAll(fd, Chunk("data: {\"id\":\"chatcmpl-soak\",\"choices\":[{\"delta\":"
                               "{\"content\":\"cut\n\n")) &&
             event([&](std::string* e) { OpenAiChunkEncoder::AppendDone(e); }) &&
             SendAll(fd, kLastChunk);
    case FaultKind::kStall: {
      if (!SendAll(fd, kSseHead) || !event([&](std::string* e) { enc.AppendRole(e); })) {
        return false;
      }
      // Nothing more until the client closes (its first-token timeout) or the cap passes.
      const MonoNanos end = SteadyClock().Now() + options_.stall_cap_ns;
      char tmp[512];
      while (!stopping_ && SteadyClock().Now() < end) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 100) > 0 && recv(fd, tmp, sizeof tmp, MSG_DONTWAIT) <= 0) break;
      }
      return false;
    }
    case FaultKind::kNoDone:
      return SendAll(fd, kSseHead) && event([&](std::string* e) { enc.AppendRole(e); }) &&
             tokens(2) && SendAll(fd, kLastChunk);
  }
  return false;
}

bool SoakFaultServer::SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool SoakFaultServer::Pause(int64_t nanos) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, std::chrono::nanoseconds(nanos), [this] { return stopping_.load(); });
}

}  // namespace llmprobe::perf
