#include "net/HttpResponseParser.h"

#include <algorithm>
#include <cctype>

namespace llmprobe::net {
namespace {

constexpr size_t kMaxChunkSizeHexDigits = 15;  // < 2^60 bytes: no overflow

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// Calls fn(token) for each comma-separated, trimmed, non-empty token of a list header.
template <typename Fn>
void ForEachToken(std::string_view list, Fn fn) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view token = Trim(list.substr(0, comma));
    if (!token.empty()) fn(token);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void HttpResponseParser::Reset(bool head_request) {
  state_ = State::kHead;
  error_.clear();
  head_request_ = head_request;
  buf_.clear();
  scan_from_ = 0;
  status_ = 0;
  keep_alive_ = false;
  framing_ = Framing::kNone;
  chunk_step_ = ChunkStep::kSize;
  remaining_ = 0;
  trailer_bytes_ = 0;
}

size_t HttpResponseParser::Fail(std::string message, size_t consumed) {
  state_ = State::kError;
  error_ = std::move(message);
  return consumed;
}

size_t HttpResponseParser::Feed(std::string_view data, Listener& listener) {
  size_t pos = 0;
  while (pos < data.size()) {
    if (state_ == State::kHead) {
      pos += FeedHead(data.substr(pos), listener);
    } else if (state_ == State::kBody) {
      pos += FeedBody(data.substr(pos), listener);
    } else {
      break;
    }
  }
  return pos;
}

size_t HttpResponseParser::FeedHead(std::string_view data, Listener& listener) {
  size_t skipped = 0;
  if (buf_.empty()) {  // tolerate blank lines before the status line (RFC 9112 2.2)
    while (skipped < data.size() && (data[skipped] == '\r' || data[skipped] == '\n')) ++skipped;
    data.remove_prefix(skipped);
    if (data.empty()) return skipped;
  }
  const size_t old_size = buf_.size();
  // A head that does not end within the limit is an error anyway: copy no more than that.
  const size_t room = limits_.max_head_bytes + 1 - std::min(limits_.max_head_bytes, old_size);
  const size_t take = std::min(room, data.size());
  buf_.append(data.data(), take);
  // The head ends with an empty line: "\n\n" or "\n\r\n".
  size_t end = std::string::npos;
  size_t i = scan_from_;
  while ((i = buf_.find('\n', i)) != std::string::npos) {
    if (i + 1 >= buf_.size()) break;  // need the next byte
    if (buf_[i + 1] == '\n') {
      end = i + 2;
      break;
    }
    if (buf_[i + 1] == '\r') {
      if (i + 2 >= buf_.size()) break;
      if (buf_[i + 2] == '\n') {
        end = i + 3;
        break;
      }
    }
    ++i;
  }
  if (end == std::string::npos) {
    if (buf_.size() > limits_.max_head_bytes) {
      return Fail("response head exceeds " + std::to_string(limits_.max_head_bytes) + " bytes",
                  skipped + take);
    }
    scan_from_ = i == std::string::npos ? buf_.size() : i;
    return skipped + take;
  }
  if (end > limits_.max_head_bytes) {
    return Fail("response head exceeds " + std::to_string(limits_.max_head_bytes) + " bytes",
                skipped + take);
  }
  const size_t consumed = skipped + (end - old_size);
  buf_.resize(end);
  std::string head;
  head.swap(buf_);
  scan_from_ = 0;
  ParseHead(head, listener);  // sets the state (kHead again after a 1xx response)
  return consumed;
}

bool HttpResponseParser::ParseHead(std::string_view head, Listener& listener) {
  // Status line: HTTP/1.x SP 3DIGIT [SP reason]
  size_t eol = head.find('\n');
  std::string_view line = Trim(head.substr(0, eol));
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[7] < '0' || line[7] > '9' ||
      line[8] != ' ' || line[9] < '1' || line[9] > '9' ||  // 100..999 (RFC 9110 15)
      !std::isdigit(static_cast<unsigned char>(line[10])) ||
      !std::isdigit(static_cast<unsigned char>(line[11])) ||
      (line.size() > 12 && line[12] != ' ')) {
    Fail("malformed status line: \"" + std::string(line.substr(0, 64)) + "\"", 0);
    return false;
  }
  const bool http10 = line[7] == '0';
  status_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  HttpHeaders headers;
  bool chunked = false, has_te = false, conn_close = false, conn_keep_alive = false;
  bool has_length = false;
  uint64_t length = 0;
  for (size_t pos = eol + 1; pos < head.size();) {
    eol = head.find('\n', pos);
    if (eol == std::string_view::npos) eol = head.size();
    std::string_view raw = head.substr(pos, eol - pos);
    pos = eol + 1;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (raw.empty()) break;                           // the blank line ending the head
    if (raw.front() == ' ' || raw.front() == '\t') {  // obsolete line folding
      if (headers.empty()) {
        Fail("header continuation without a header", 0);
        return false;
      }
      headers.back().second += ' ';
      headers.back().second += Trim(raw);
      continue;
    }
    const size_t colon = raw.find(':');
    std::string_view name = colon == std::string_view::npos ? "" : Trim(raw.substr(0, colon));
    if (name.empty()) {
      Fail("malformed header line: \"" + std::string(raw.substr(0, 64)) + "\"", 0);
      return false;
    }
    std::string lower(name);
    for (char& c : lower) c = Lower(c);
    headers.emplace_back(std::move(lower), std::string(Trim(raw.substr(colon + 1))));
  }
  for (const auto& [name, value] : headers) {
    if (name == "transfer-encoding") {
      has_te = true;
      chunked = false;  // chunked counts only as the final coding
      ForEachToken(value, [&](std::string_view t) { chunked = EqualsIgnoreCase(t, "chunked"); });
    } else if (name == "content-length") {
      bool bad = false;
      ForEachToken(value, [&](std::string_view t) {
        uint64_t v = 0;
        if (t.size() > 18 ||
            !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
          bad = true;
          return;
        }
        for (char c : t) v = v * 10 + static_cast<uint64_t>(c - '0');
        if (has_length && v != length) bad = true;
        has_length = true;
        length = v;
      });
      if (bad || !has_length) {
        Fail("invalid content-length: \"" + value.substr(0, 64) + "\"", 0);
        return false;
      }
    } else if (name == "connection") {
      ForEachToken(value, [&](std::string_view t) {
        if (EqualsIgnoreCase(t, "close")) conn_close = true;
        if (EqualsIgnoreCase(t, "keep-alive")) conn_keep_alive = true;
      });
    }
  }
  if (status_ >= 100 && status_ < 200 && status_ != 101) {
    return true;  // interim response: the real one follows; state stays kHead
  }
  keep_alive_ = http10 ? conn_keep_alive && !conn_close : !conn_close;
  if (head_request_ || status_ == 204 || status_ == 304 || status_ == 101) {
    framing_ = Framing::kNone;
    if (status_ == 101) keep_alive_ = false;
  } else if (has_te) {
    framing_ = chunked ? Framing::kChunked : Framing::kUntilClose;
  } else if (has_length) {
    framing_ = Framing::kLength;
    remaining_ = length;
  } else {
    framing_ = Framing::kUntilClose;
  }
  if (framing_ == Framing::kUntilClose) keep_alive_ = false;
  chunk_step_ = ChunkStep::kSize;
  listener.OnResponseHead(status_, headers);
  const bool empty = framing_ == Framing::kNone || (framing_ == Framing::kLength && length == 0);
  state_ = empty ? State::kComplete : State::kBody;
  return true;
}

size_t HttpResponseParser::FeedBody(std::string_view data, Listener& listener) {
  switch (framing_) {
    case Framing::kLength: {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size()));
      remaining_ -= n;
      if (remaining_ == 0) state_ = State::kComplete;
      if (!listener.OnResponseBody(data.substr(0, n))) state_ = State::kStopped;
      return n;
    }
    case Framing::kUntilClose:
      if (!listener.OnResponseBody(data)) state_ = State::kStopped;
      return data.size();
    case Framing::kChunked:
      return FeedChunked(data, listener);
    case Framing::kNone:
      break;
  }
  state_ = State::kComplete;
  return 0;
}

bool HttpResponseParser::ParseChunkSize(std::string_view line) {
  size_t i = 0;
  uint64_t size = 0;
  while (i < line.size() && HexValue(line[i]) >= 0) {
    if (i == kMaxChunkSizeHexDigits) return false;
    size = size * 16 + static_cast<uint64_t>(HexValue(line[i]));
    ++i;
  }
  if (i == 0) return false;
  std::string_view rest = Trim(line.substr(i));
  if (!rest.empty() && rest.front() != ';') return false;  // only extensions may follow
  remaining_ = size;
  return true;
}

size_t HttpResponseParser::FeedChunked(std::string_view data, Listener& listener) {
  size_t pos = 0;
  while (pos < data.size() && state_ == State::kBody) {
    switch (chunk_step_) {
      case ChunkStep::kSize:
      case ChunkStep::kTrailers: {
        const size_t nl = data.find('\n', pos);
        const size_t end = nl == std::string_view::npos ? data.size() : nl;
        if (chunk_step_ == ChunkStep::kSize) {
          if (buf_.size() + (end - pos) > limits_.max_chunk_line_bytes) {
            return Fail("chunk size line exceeds " + std::to_string(limits_.max_chunk_line_bytes) +
                            " bytes",
                        pos);
          }
        } else {
          trailer_bytes_ += end - pos + (nl == std::string_view::npos ? 0 : 1);
          if (trailer_bytes_ > limits_.max_head_bytes) {
            return Fail("trailers exceed " + std::to_string(limits_.max_head_bytes) + " bytes",
                        pos);
          }
        }
        buf_.append(data.data() + pos, end - pos);
        if (nl == std::string_view::npos) return data.size();
        pos = nl + 1;
        std::string_view line = buf_;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (chunk_step_ == ChunkStep::kTrailers) {
          if (line.empty()) state_ = State::kComplete;  // trailers are read and dropped
          buf_.clear();
          break;
        }
        if (!ParseChunkSize(line)) {
          return Fail("malformed chunk size line: \"" + std::string(line.substr(0, 64)) + "\"",
                      pos);
        }
        buf_.clear();
        chunk_step_ = remaining_ == 0 ? ChunkStep::kTrailers : ChunkStep::kData;
        break;
      }
      case ChunkStep::kData: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size() - pos));
        remaining_ -= n;
        const std::string_view piece = data.substr(pos, n);
        pos += n;
        if (remaining_ == 0) chunk_step_ = ChunkStep::kDataEnd;
        if (!listener.OnResponseBody(piece)) {
          state_ = State::kStopped;
          return pos;
        }
        break;
      }
      case ChunkStep::kDataEnd: {
        // CRLF (or a bare LF) after the chunk data; buf_ remembers a CR seen in a past Feed.
        const char c = data[pos];
        if (c == '\r' && buf_.empty()) {
          buf_.push_back('\r');
          ++pos;
        } else if (c == '\n') {
          buf_.clear();
          chunk_step_ = ChunkStep::kSize;
          ++pos;
        } else {
          return Fail("missing CRLF after chunk data", pos);
        }
        break;
      }
    }
  }
  return pos;
}

bool HttpResponseParser::FinishEof() {
  if (state_ == State::kBody && framing_ == Framing::kUntilClose) state_ = State::kComplete;
  if (state_ == State::kComplete) return true;
  if (state_ == State::kHead) {
    Fail(buf_.empty() ? "connection closed before the response"
                      : "connection closed inside the response head",
         0);
  } else if (state_ == State::kBody) {
    Fail(framing_ == Framing::kLength
             ? "connection closed with " + std::to_string(remaining_) + " body bytes missing"
             : "connection closed inside a chunked body",
         0);
  }
  return false;
}

}  // namespace llmprobe::net
