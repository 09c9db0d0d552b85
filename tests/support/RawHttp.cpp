#include "RawHttp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <system_error>

namespace llmprobe::rawhttp {
namespace {

std::string Errno(const std::string& what) {
  return what + ": " + std::generic_category().message(errno);
}

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Consumes complete chunks from `raw` starting at *pos into the response body, stamped `now`.
// Returns true once the terminating zero-size chunk (and its trailer CRLF) has been consumed.
Result<bool> DeChunk(const std::string& raw, size_t* pos, Response* out, MonoNanos now) {
  for (;;) {
    const size_t line_end = raw.find("\r\n", *pos);
    if (line_end == std::string::npos) return false;
    const std::string size_text = raw.substr(*pos, line_end - *pos);
    char* end = nullptr;
    const unsigned long size = std::strtoul(size_text.c_str(), &end, 16);
    if (end == size_text.c_str()) return Status::Error("bad chunk size line: " + size_text);
    if (size == 0) {
      // Last chunk: no trailers expected, just the final CRLF.
      if (raw.size() < line_end + 4) return false;
      *pos = line_end + 4;
      return true;
    }
    const size_t data = line_end + 2;
    if (raw.size() < data + size + 2) return false;
    out->body.append(raw, data, size);
    out->arrivals.emplace_back(out->body.size(), now);
    *pos = data + size + 2;
  }
}

}  // namespace

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string Response::Header(const std::string& name) const {
  const std::string want = Lower(name) + ":";
  size_t start = head.find("\r\n");
  while (start != std::string::npos && start + 2 < head.size()) {
    start += 2;
    const size_t end = std::min(head.find("\r\n", start), head.size());
    const std::string line = head.substr(start, end - start);
    if (Lower(line.substr(0, want.size())) == want) {
      std::string value = line.substr(want.size());
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
    start = end == head.size() ? std::string::npos : end;
  }
  return "";
}

MonoNanos Response::ArrivalOf(size_t offset) const {
  for (const auto& [end, at] : arrivals) {
    if (offset < end) return at;
  }
  return arrivals.empty() ? t_headers : arrivals.back().second;
}

std::vector<SseEvent> ParseSse(const Response& response) {
  std::vector<SseEvent> events;
  const std::string& body = response.body;
  size_t pos = 0;
  for (;;) {
    const size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) break;
    SseEvent event;
    event.at = response.ArrivalOf(end + 1);
    std::string_view block(body.data() + pos, end - pos);
    bool any = false;
    while (!block.empty()) {
      const size_t nl = std::min(block.find('\n'), block.size());
      std::string_view line = block.substr(0, nl);
      if (line.substr(0, 5) == "data:") {
        line.remove_prefix(line.size() > 5 && line[5] == ' ' ? 6 : 5);
        if (any) event.data += '\n';
        event.data += line;
        any = true;
      }
      block.remove_prefix(std::min(nl + 1, block.size()));
    }
    if (any) events.push_back(std::move(event));
    pos = end + 2;
  }
  return events;
}

Client::~Client() { Close(); }

void Client::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  pending_.clear();
}

Status Client::Connect(int port, int timeout_ms) {
  Close();
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return Status::Error(Errno("socket"));
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = (timeout_ms % 1000) * 1000;
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr = Loopback(port);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    Status error = Status::Error(Errno("connect to 127.0.0.1:" + std::to_string(port)));
    Close();
    return error;
  }
  return Status::Ok();
}

Result<Response> Client::Send(const std::string& method, const std::string& path,
                              const std::string& body,
                              const std::vector<std::string>& extra_headers) {
  if (fd_ < 0) return Status::Error("not connected");
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!body.empty()) request += "Content-Type: application/json\r\n";
  if (!body.empty() || method == "POST") {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  for (const std::string& header : extra_headers) request += header + "\r\n";
  request += "\r\n" + body;

  Response out;
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return Status::Error(Errno("send"));
    sent += static_cast<size_t>(n);
  }
  out.t_sent = SteadyClock().Now();

  std::string raw = std::move(pending_);
  pending_.clear();
  size_t pos = 0;  // first unconsumed byte of raw
  bool have_head = false, chunked = false, until_close = false;
  size_t content_length = 0;
  char buffer[16384];
  MonoNanos now = out.t_sent;  // arrival time of the bytes in raw not yet consumed
  for (;;) {
    if (!have_head) {
      const size_t head_end = raw.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        have_head = true;
        out.t_headers = now;
        out.head = raw.substr(0, head_end);
        pos = head_end + 4;
        if (out.head.size() < 12) return Status::Error("short status line");
        out.status = std::atoi(out.head.c_str() + 9);
        chunked = Lower(out.Header("Transfer-Encoding")).find("chunked") != std::string::npos;
        const std::string length = out.Header("Content-Length");
        until_close = !chunked && length.empty();
        content_length = length.empty() ? 0 : std::stoul(length);
      }
    }
    if (have_head && chunked) {
      Result<bool> done = DeChunk(raw, &pos, &out, now);
      if (!done.ok()) return done.status();
      if (done.value()) break;
    } else if (have_head && !until_close && raw.size() - pos >= content_length) {
      out.body = raw.substr(pos, content_length);
      out.arrivals.emplace_back(out.body.size(), now);
      pos += content_length;
      break;
    }
    const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    now = SteadyClock().Now();  // at the read, before any parsing
    if (n < 0) return Status::Error(Errno("recv"));
    if (n == 0) {
      Close();
      if (have_head && until_close) {
        out.body = raw.substr(pos);
        out.arrivals.emplace_back(out.body.size(), now);
        return out;
      }
      return Status::Error("connection closed before the response was complete");
    }
    raw.append(buffer, static_cast<size_t>(n));
  }
  pending_ = raw.substr(pos);
  return out;
}

Result<Response> Request(int port, const std::string& method, const std::string& path,
                         const std::string& body, const std::vector<std::string>& extra_headers) {
  Client client;
  Status connected = client.Connect(port);
  if (!connected.ok()) return connected;
  return client.Send(method, path, body, extra_headers);
}

}  // namespace llmprobe::rawhttp
