// One in-flight probe request: turns transport callbacks (bytes with arrival times) into a
// TimingRecord through the dialect's stream decoder, enforces the target's timeouts through
// DeadlineNanos(), and hands a RequestResult to `on_done` exactly once.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/Config.h"
#include "protocol/Dialect.h"
#include "stats/RequestResult.h"
#include "transport/Transport.h"

namespace llmprobe {

class ProbeRequest final : public StreamHandler {
 public:
  using DoneCallback = std::function<void(RequestResult&&)>;

  // `timeouts` is copied. `t_intended` is the open-loop intended start (-1 in closed loop: it
  // is then t_start); a request is warm-up when it was meant to start before `warmup_end`.
  // `estimated_input_tokens` is used when the server reports no usage. `on_done` runs on the
  // transport thread of the final callback.
  ProbeRequest(const Dialect& dialect, const TimeoutsConfig& timeouts, LevelId level,
               MonoNanos warmup_end, MonoNanos t_intended, int64_t estimated_input_tokens,
               MonoNanos t_submit, DoneCallback on_done);

  void OnStart(MonoNanos t_start) override;
  void OnHeaders(int status, const std::vector<std::pair<std::string, std::string>>& headers,
                 MonoNanos t) override;
  bool OnBody(std::string_view bytes, MonoNanos t) override;
  void OnComplete(MonoNanos t) override;
  void OnFailure(TransportError error, std::string_view detail, MonoNanos t) override;
  MonoNanos DeadlineNanos() const override { return deadline_.load(std::memory_order_acquire); }

  // Error bodies of non-2xx responses are kept up to this size for the log line.
  static constexpr size_t kMaxErrorBody = 4096;

 private:
  void HandleEvent(const StreamEvent& ev, MonoNanos t);
  void Finish(Outcome outcome, MonoNanos t_end, std::string detail);
  Outcome DeadlineOutcome() const;

  const TimeoutsConfig timeouts_;
  const MonoNanos warmup_end_;
  const int64_t estimated_input_tokens_;
  DoneCallback on_done_;
  std::unique_ptr<StreamDecoder> decoder_;
  std::vector<StreamEvent> events_;  // reused per read
  std::atomic<MonoNanos> deadline_;

  RequestResult result_;
  std::string error_body_;
  bool saw_done_ = false;
  bool finished_ = false;
  Outcome abort_outcome_ = Outcome::kProtocolError;  // why we returned false from OnBody
  std::string abort_detail_;
  int64_t last_chunk_usage_tokens_ = -1;  // cumulative completion_tokens from per-chunk usage
  // Per-chunk usage mode: the first token chunk carried usage (vLLM's continuous usage stats
  // put it on every chunk). Usage on a later token chunk without it is the final count that a
  // server attached to its last content chunk, not a per-chunk count.
  bool chunk_usage_ = false;
  int64_t final_usage_tokens_ = -1;  // completion_tokens from a usage-only chunk
};

}  // namespace llmprobe
