#include "net/HttpRequestParser.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace llmprobe::net {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 32 && u < 127 && c != ':' && c != '(' && c != ')' && c != ',' && c != '/' &&
           c != ';' && c != '"' && c != '<' && c != '>' && c != '=' && c != '@' && c != '[' &&
           c != ']' && c != '?' && c != '\\' && c != '{' && c != '}';
  });
}

// Comma-separated tokens of a header value, e.g. Connection: keep-alive, Upgrade.
bool HasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    if (Lower(Trim(value.substr(0, comma))) == token) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

const std::string* HttpRequest::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

HttpRequestParser::State HttpRequestParser::Feed(std::string_view bytes) {
  if (state_ == State::kError) return state_;
  if (state_ == State::kComplete) {
    const size_t pending = buffer_.size() - (head_end_ + body_length_);
    if (overflow_ || pending + bytes.size() > limits_.max_head_bytes + limits_.max_body_bytes) {
      overflow_ = true;  // dropped; Next() fails
      return state_;
    }
    buffer_.append(bytes.data(), bytes.size());
    return state_;
  }
  buffer_.append(bytes.data(), bytes.size());
  return Parse();
}

bool HttpRequestParser::TakeExpectContinue() {
  if (!expect_continue_ || state_ != State::kIncomplete) return false;
  expect_continue_ = false;
  return true;
}

HttpRequestParser::State HttpRequestParser::Next() {
  if (state_ != State::kComplete) return state_;
  if (overflow_) return Fail(400, "too many pipelined bytes behind the request");
  buffer_.erase(0, head_end_ + body_length_);
  head_end_ = 0;
  body_length_ = 0;
  request_ = HttpRequest{};
  state_ = State::kIncomplete;
  return Parse();
}

HttpRequestParser::State HttpRequestParser::Fail(int status, std::string reason) {
  state_ = State::kError;
  error_status_ = status;
  error_ = std::move(reason);
  buffer_.clear();
  return state_;
}

HttpRequestParser::State HttpRequestParser::Parse() {
  if (head_end_ == 0) {
    // Empty lines before a request line are ignored (RFC 9112 2.2).
    const size_t start = buffer_.find_first_not_of("\r\n");
    if (start == std::string::npos) {
      buffer_.clear();
      return state_;
    }
    if (start > 0) buffer_.erase(0, start);
    const size_t end = buffer_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (buffer_.size() > limits_.max_head_bytes) {
        return Fail(431, "request head over " + std::to_string(limits_.max_head_bytes) + " bytes");
      }
      return state_;
    }
    if (end + 4 > limits_.max_head_bytes) {
      return Fail(431, "request head over " + std::to_string(limits_.max_head_bytes) + " bytes");
    }
    if (!ParseHead(std::string_view(buffer_).substr(0, end + 2))) return state_;
    head_end_ = end + 4;
  }
  if (buffer_.size() < head_end_ + body_length_) return state_;
  request_.body.assign(buffer_, head_end_, body_length_);
  expect_continue_ = false;
  state_ = State::kComplete;
  return state_;
}

bool HttpRequestParser::ParseHead(std::string_view head) {
  const size_t line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    Fail(400, "malformed request line");
    return false;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method) || target.empty() || target.front() != '/') {
    Fail(400, "malformed request line");
    return false;
  }
  const bool http10 = version == "HTTP/1.0";
  if (!http10 && version != "HTTP/1.1") {
    Fail(505, "HTTP version not supported");
    return false;
  }
  request_.method.assign(method);
  request_.target.assign(target);
  request_.path.assign(target.substr(0, target.find('?')));
  request_.http10 = http10;

  bool have_length = false;
  bool close = false, keep_alive = false;  // Connection tokens seen
  std::string_view rest = head.substr(line_end + 2);
  while (!rest.empty()) {
    const size_t eol = rest.find("\r\n");
    const std::string_view field = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos || !IsToken(field.substr(0, colon))) {
      Fail(400, "malformed header line");
      return false;
    }
    std::string name = Lower(field.substr(0, colon));
    const std::string_view value = Trim(field.substr(colon + 1));
    if (name == "content-length") {
      size_t n = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || ptr != value.data() + value.size() || value.empty() ||
          (have_length && n != body_length_)) {
        Fail(400, "bad Content-Length");
        return false;
      }
      if (n > limits_.max_body_bytes) {
        Fail(413,
             "Request body too large: over " + std::to_string(limits_.max_body_bytes) + " bytes");
        return false;
      }
      have_length = true;
      body_length_ = n;
    } else if (name == "transfer-encoding") {
      Fail(501, "chunked request bodies are not supported: send Content-Length");
      return false;
    } else if (name == "connection") {
      close = close || HasToken(value, "close");
      keep_alive = keep_alive || HasToken(value, "keep-alive");
    } else if (name == "expect") {
      if (Lower(value) == "100-continue") expect_continue_ = true;
    }
    request_.headers.emplace_back(std::move(name), std::string(value));
  }
  if (body_length_ == 0) expect_continue_ = false;
  request_.keep_alive = !close && (!http10 || keep_alive);
  return true;
}

}  // namespace llmprobe::net
