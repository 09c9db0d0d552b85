#include "load/ProbeRequest.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace llmprobe {

namespace {

// Bounds on what one server can make a request hold (see HandleEvent).
constexpr int64_t kMaxTokensPerChunk = 65536;
constexpr size_t kMaxItlGaps = 65536;  // 1 MiB of ItlGap per request at most

Outcome OutcomeForTransportError(TransportError e) {
  switch (e) {
    case TransportError::kDns:
      return Outcome::kDnsError;
    case TransportError::kConnectRefused:
      return Outcome::kConnectRefused;
    case TransportError::kConnect:
      return Outcome::kConnectError;
    case TransportError::kConnectTimeout:
      return Outcome::kConnectTimeout;
    case TransportError::kTls:
      return Outcome::kTlsError;
    case TransportError::kWrite:
      return Outcome::kWriteError;
    case TransportError::kRead:
      return Outcome::kReadError;
    case TransportError::kCanceled:
      return Outcome::kCanceled;
    case TransportError::kDeadline:
    case TransportError::kAborted:
      break;  // decided by the caller, which knows which deadline or abort it was
  }
  return Outcome::kReadError;
}

// Printable, single-line excerpt for log lines.
std::string Excerpt(std::string_view s, size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) {
    out.push_back(std::isprint(static_cast<unsigned char>(c)) ? c : ' ');
  }
  if (s.size() > max) out += "...";
  return out;
}

bool IsSuccessStatus(int status) { return status >= 200 && status < 300; }

}  // namespace

ProbeRequest::ProbeRequest(const Dialect& dialect, const TimeoutsConfig& timeouts, LevelId level,
                           MonoNanos warmup_end, MonoNanos t_intended,
                           int64_t estimated_input_tokens, MonoNanos t_submit, DoneCallback on_done)
    : timeouts_(timeouts),
      warmup_end_(warmup_end),
      estimated_input_tokens_(estimated_input_tokens),
      on_done_(std::move(on_done)),
      decoder_(dialect.NewDecoder()),
      deadline_(t_submit + std::min(timeouts.first_token_ns, timeouts.total_ns)) {
  result_.level = level;
  result_.timing.t_intended = t_intended;
  events_.reserve(8);
}

void ProbeRequest::OnStart(MonoNanos t_start) {
  result_.timing.t_start = t_start;
  if (result_.timing.t_intended < 0) result_.timing.t_intended = t_start;  // closed loop
  result_.warmup = result_.timing.t_intended < warmup_end_;
  deadline_.store(t_start + std::min(timeouts_.first_token_ns, timeouts_.total_ns),
                  std::memory_order_release);
}

void ProbeRequest::OnHeaders(int status,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             MonoNanos t) {
  result_.timing.t_headers = t;
  result_.http_status = status;
  for (const auto& [name, value] : headers) {
    if (name != "retry-after") continue;
    int64_t seconds = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc() && p == value.data() + value.size() && seconds >= 0) {
      result_.retry_after_ns = seconds * kNanosPerSecond;
    }
  }
}

bool ProbeRequest::OnBody(std::string_view bytes, MonoNanos t) {
  if (!IsSuccessStatus(result_.http_status)) {
    const size_t room = kMaxErrorBody - std::min(kMaxErrorBody, error_body_.size());
    error_body_.append(bytes.substr(0, room));
    return true;  // read the (bounded) rest so the connection can be reused
  }
  events_.clear();
  DecodeError err;
  const bool ok = decoder_->Feed(bytes, &events_, &err);
  for (const StreamEvent& ev : events_) {
    HandleEvent(ev, t);
    if (ev.error) {
      abort_outcome_ = Outcome::kServerErrorEvent;
      abort_detail_ = "error event: " + Excerpt(ev.error_message, 200);
      return false;
    }
  }
  if (!ok) {
    abort_outcome_ = Outcome::kProtocolError;
    abort_detail_ = "decode: " + Excerpt(err.detail, 200);
    return false;
  }
  return true;
}

void ProbeRequest::HandleEvent(const StreamEvent& ev, MonoNanos t) {
  TimingRecord& tr = result_.timing;
  if (ev.carries_token()) {
    int32_t k = 1;
    if (tr.t_first_token < 0) chunk_usage_ = ev.usage.completion_tokens >= 0;
    if (ev.usage.completion_tokens >= 0 && chunk_usage_) {  // per-chunk (cumulative) usage
      const int64_t before = std::max<int64_t>(last_chunk_usage_tokens_, 0);
      // At most kMaxTokensPerChunk: an absurd count must not weigh on ITL (the ladder still
      // sees the count and reports the mismatch with the chunks).
      k = static_cast<int32_t>(
          std::clamp<int64_t>(ev.usage.completion_tokens - before, 1, kMaxTokensPerChunk));
      last_chunk_usage_tokens_ = ev.usage.completion_tokens;
    } else if (ev.usage.completion_tokens >= 0) {
      final_usage_tokens_ = ev.usage.completion_tokens;  // final usage on the last content chunk
    }
    if (tr.t_first_token < 0) {
      tr.t_first_token = t;
    } else if (result_.itl.size() < kMaxItlGaps) {
      result_.itl.push_back(ItlGap{t - tr.t_last_token, k});
    } else {
      // A stream far longer than any max_tokens (a server ignoring it): later gaps are merged
      // into the last one, so memory stays bounded and the token times still add up.
      result_.itl.back().gap_ns += t - tr.t_last_token;
      result_.itl.back().tokens = static_cast<int32_t>(std::min<int64_t>(
          int64_t{result_.itl.back().tokens} + k, std::numeric_limits<int32_t>::max()));
    }
    if (ev.content && tr.t_first_content < 0) tr.t_first_content = t;
    tr.t_last_token = t;
    ++result_.token_chunks;
    deadline_.store(std::min(t + timeouts_.between_tokens_ns, tr.t_start + timeouts_.total_ns),
                    std::memory_order_release);
  } else if (ev.usage.completion_tokens >= 0) {
    final_usage_tokens_ = ev.usage.completion_tokens;
  }
  if (ev.usage.prompt_tokens >= 0) {
    result_.input_tokens = ev.usage.prompt_tokens;
    result_.input_tokens_from_server = true;
  }
  if (ev.usage.cached_tokens >= 0) result_.cached_tokens = ev.usage.cached_tokens;
  if (ev.finish != FinishReason::kNone) result_.finish = ev.finish;
  if (ev.done && !saw_done_) {
    saw_done_ = true;
    tr.t_end = t;
  }
}

void ProbeRequest::OnComplete(MonoNanos t) {
  if (finished_) return;
  if (!IsSuccessStatus(result_.http_status)) {
    Finish(OutcomeForHttpStatus(result_.http_status), t,
           "HTTP " + std::to_string(result_.http_status) + ": " + Excerpt(error_body_, 200));
    return;
  }
  events_.clear();
  DecodeError err;
  const bool ok = decoder_->Finish(&events_, &err);
  for (const StreamEvent& ev : events_) {
    HandleEvent(ev, t);
    if (ev.error) {
      Finish(Outcome::kServerErrorEvent, t, "error event: " + Excerpt(ev.error_message, 200));
      return;
    }
  }
  if (!ok) {
    Finish(Outcome::kProtocolError, t, "decode: " + Excerpt(err.detail, 200));
  } else if (!saw_done_ && result_.finish == FinishReason::kNone) {
    Finish(Outcome::kStreamIncomplete, t, "stream ended without end marker or finish reason");
  } else if (result_.token_chunks == 0) {
    Finish(Outcome::kEmptyResponse, t, "stream carried no token");
  } else {
    Finish(Outcome::kSuccess, t, "");
  }
}

void ProbeRequest::OnFailure(TransportError error, std::string_view detail, MonoNanos t) {
  if (finished_) return;
  switch (error) {
    case TransportError::kDeadline:
      Finish(DeadlineOutcome(), t, std::string(detail));
      return;
    case TransportError::kAborted:
      if (!IsSuccessStatus(result_.http_status)) {
        Finish(OutcomeForHttpStatus(result_.http_status), t,
               "HTTP " + std::to_string(result_.http_status));
      } else {
        Finish(abort_outcome_, t, abort_detail_);
      }
      return;
    default:
      Finish(OutcomeForTransportError(error), t, std::string(detail));
      return;
  }
}

Outcome ProbeRequest::DeadlineOutcome() const {
  const TimingRecord& tr = result_.timing;
  if (tr.t_start < 0) return Outcome::kTimeoutFirstToken;
  const MonoNanos total = tr.t_start + timeouts_.total_ns;
  if (tr.t_first_token < 0) {
    return tr.t_start + timeouts_.first_token_ns < total ? Outcome::kTimeoutFirstToken
                                                         : Outcome::kTimeoutTotal;
  }
  return tr.t_last_token + timeouts_.between_tokens_ns < total ? Outcome::kTimeoutBetweenTokens
                                                               : Outcome::kTimeoutTotal;
}

void ProbeRequest::Finish(Outcome outcome, MonoNanos t_end, std::string detail) {
  finished_ = true;
  result_.outcome = outcome;
  if (result_.timing.t_end < 0) result_.timing.t_end = t_end;
  result_.error_detail = std::move(detail);
  // Token accounting ladder: per-chunk usage, else final usage, else chunk count.
  if (last_chunk_usage_tokens_ >= 0) {
    result_.output_source = TokenSource::kChunkUsage;
    result_.output_tokens = std::max(last_chunk_usage_tokens_, final_usage_tokens_);
  } else if (final_usage_tokens_ >= 0) {
    result_.output_source = TokenSource::kFinalUsage;
    result_.output_tokens = final_usage_tokens_;
  } else {
    result_.output_source = TokenSource::kChunkCount;
    result_.output_tokens = result_.token_chunks;
  }
  // A mismatch between rungs: the server's count against the chunks, or its per-chunk usage
  // against its own final usage.
  result_.token_count_mismatch = (result_.output_source != TokenSource::kChunkCount &&
                                  result_.output_tokens != result_.token_chunks) ||
                                 (last_chunk_usage_tokens_ >= 0 && final_usage_tokens_ >= 0 &&
                                  last_chunk_usage_tokens_ != final_usage_tokens_);
  if (!result_.input_tokens_from_server) result_.input_tokens = estimated_input_tokens_;
  on_done_(std::move(result_));
}

}  // namespace llmprobe
