// Token accounting on /metrics: which ladder rung counted each request, mismatches between the
// rungs, answers that ended short of max_tokens, cached prompt tokens and the prompt target.
// ProbeMetrics is driven with hand-built results and read back from the exposition.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include <prometheus/registry.h>

#include "config/Config.h"
#include "metrics/Exposition.h"
#include "metrics/ProbeMetrics.h"
#include "support/TestSupport.h"

using namespace llmprobe;
using llmprobe::testing::ScrapeValue;

namespace {

struct Fixture {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  ProbeMetrics metrics{*registry, "USD"};
  TargetConfig target;
  std::string name = "t";
  std::string model = "m";

  explicit Fixture(bool ignore_eos = false) {
    target.name = name;
    target.model = model;
    target.workload.max_tokens = 16;
    target.workload.ignore_eos = ignore_eos;
    target.workload.prompt_tokens = 300;
    target.load.concurrency = {4};
    metrics.AddTarget(target);
  }
  void Record(const RequestResult& r) { metrics.Record(SeriesKey{&name, &model}, r); }
  double Value(const std::string& series) const {
    return ScrapeValue(RenderExposition({registry.get()}), series);
  }
  double Source(const char* source) const {
    return Value(std::string("llmprobe_output_token_source_total{concurrency=\"4\",model=\"m\","
                             "source=\"") +
                 source + "\",target=\"t\"}");
  }
  double Counter(const std::string& name_total) const {
    return Value(name_total + "{concurrency=\"4\",model=\"m\",target=\"t\"}");
  }
};

RequestResult Success(TokenSource source, int64_t output_tokens, int64_t chunks,
                      FinishReason finish) {
  RequestResult r;
  r.level = LevelId::Concurrency(4);
  r.outcome = Outcome::kSuccess;
  r.output_source = source;
  r.output_tokens = output_tokens;
  r.token_chunks = chunks;
  r.token_count_mismatch = source != TokenSource::kChunkCount && output_tokens != chunks;
  r.finish = finish;
  r.timing.t_start = 0;
  r.timing.t_first_token = 100;
  r.timing.t_last_token = 200;
  r.timing.t_end = 200;
  return r;
}

}  // namespace

TEST_CASE("token accounting metrics: series exist at zero for every rung") {
  Fixture f;
  for (const char* source : {"chunk_usage", "final_usage", "chunk_count"}) {
    CHECK(f.Source(source) == 0);
  }
  CHECK(f.Counter("llmprobe_output_truncated_total") == 0);
  CHECK(f.Counter("llmprobe_cached_prompt_tokens_total") == 0);
  CHECK(f.Counter("llmprobe_token_count_mismatches_total") == 0);
  CHECK(f.Value("llmprobe_prompt_tokens_target{model=\"m\",target=\"t\"}") == 300);
}

TEST_CASE("token accounting metrics: rung, mismatch, truncated and cached counts") {
  Fixture f;
  // Final usage agreeing with the chunks, a full answer.
  f.Record(Success(TokenSource::kFinalUsage, 16, 16, FinishReason::kLength));
  // Final usage: 16 tokens in 8 chunks (coalesced): a mismatch, not short.
  f.Record(Success(TokenSource::kFinalUsage, 16, 8, FinishReason::kLength));
  // Per-chunk usage, stopped early at 10 of 16: short.
  RequestResult stopped = Success(TokenSource::kChunkUsage, 10, 10, FinishReason::kStop);
  stopped.cached_tokens = 256;
  f.Record(stopped);
  // Chunk count: 12 chunks and finish length (a coalescing server without usage): not short.
  f.Record(Success(TokenSource::kChunkCount, 12, 12, FinishReason::kLength));
  // Chunk count, 12 chunks, stop: short.
  f.Record(Success(TokenSource::kChunkCount, 12, 12, FinishReason::kStop));
  // A failure counts no rung; its cached tokens (it had usage) still count.
  RequestResult failed = Success(TokenSource::kFinalUsage, 3, 3, FinishReason::kNone);
  failed.outcome = Outcome::kReadError;
  failed.cached_tokens = 44;
  f.Record(failed);
  // cached_tokens 0 and -1 (not reported) add nothing.
  RequestResult zero = Success(TokenSource::kFinalUsage, 16, 16, FinishReason::kLength);
  zero.cached_tokens = 0;
  f.Record(zero);
  // Warm-up requests are counted too, like the other counters.
  RequestResult warm = Success(TokenSource::kFinalUsage, 16, 15, FinishReason::kLength);
  warm.warmup = true;
  f.Record(warm);

  CHECK(f.Source("final_usage") == 4);
  CHECK(f.Source("chunk_usage") == 1);
  CHECK(f.Source("chunk_count") == 2);
  CHECK(f.Counter("llmprobe_token_count_mismatches_total") == 2);
  CHECK(f.Counter("llmprobe_output_truncated_total") == 2);
  CHECK(f.Counter("llmprobe_cached_prompt_tokens_total") == 300);
}

TEST_CASE("token accounting metrics: with ignore_eos a stop is short even at max_tokens") {
  Fixture f(/*ignore_eos=*/true);
  f.Record(Success(TokenSource::kFinalUsage, 16, 16, FinishReason::kStop));
  f.Record(Success(TokenSource::kFinalUsage, 16, 16, FinishReason::kLength));
  f.Record(Success(TokenSource::kFinalUsage, 9, 9, FinishReason::kLength));  // context limit
  CHECK(f.Counter("llmprobe_output_truncated_total") == 2);
}

TEST_CASE("token accounting metrics: no prompt target with prompts_file, removal takes all") {
  auto registry = std::make_shared<prometheus::Registry>();
  ProbeMetrics metrics(*registry, "USD");
  TargetConfig t;
  t.name = "file";
  t.model = "m";
  t.workload.prompts_file = "p.jsonl";
  t.workload.prompts.entries =
      std::make_shared<const std::vector<PromptEntry>>(std::vector<PromptEntry>{{"hi", {}}});
  metrics.AddTarget(t);
  std::string text = RenderExposition({registry.get()});
  CHECK(text.find("llmprobe_prompt_tokens_target{") == std::string::npos);
  CHECK(text.find("llmprobe_output_token_source_total{") != std::string::npos);
  metrics.RemoveTarget("file");
  text = RenderExposition({registry.get()});
  for (const char* name :
       {"llmprobe_output_token_source_total{", "llmprobe_output_truncated_total{",
        "llmprobe_cached_prompt_tokens_total{", "llmprobe_prompt_tokens_target{"}) {
    CAPTURE(name);
    CHECK(text.find(name) == std::string::npos);
  }
  // A synthetic target's gauge goes with it too.
  TargetConfig s;
  s.name = "synthetic";
  s.model = "m";
  metrics.AddTarget(s);
  CHECK(ScrapeValue(RenderExposition({registry.get()}),
                    "llmprobe_prompt_tokens_target{model=\"m\",target=\"synthetic\"}") == 128);
  metrics.RemoveTarget("synthetic");
  CHECK(RenderExposition({registry.get()}).find("llmprobe_prompt_tokens_target{") ==
        std::string::npos);
}

// A chunk of k tokens is k ITL samples of gap / k: added in one step, the histogram is the
// same as k single observations (and an absurd k costs one step, not k).
TEST_CASE("token accounting metrics: a multi-token chunk's ITL samples, in one step") {
  Fixture f;
  RequestResult r = Success(TokenSource::kChunkUsage, 9, 3, FinishReason::kLength);
  r.timing.t_start = 0;
  r.timing.t_first_token = 100'000'000;
  r.timing.t_last_token = 220'000'000;
  r.timing.t_end = 220'000'000;
  r.itl = {ItlGap{20'000'000, 4}, ItlGap{100'000'000, 4}};  // 5 ms x 4, 25 ms x 4
  f.Record(r);
  const std::string l = "{concurrency=\"4\",model=\"m\",target=\"t\"}";
  const auto bucket = [&](const char* le) {
    return f.Value(std::string("llmprobe_inter_token_latency_seconds_bucket{concurrency=\"4\","
                               "model=\"m\",target=\"t\",le=\"") +
                   le + "\"}");
  };
  CHECK(f.Value("llmprobe_inter_token_latency_seconds_count" + l) == 8);
  CHECK(f.Value("llmprobe_inter_token_latency_seconds_sum" + l) == doctest::Approx(0.120));
  CHECK(bucket("0.01") == 4);   // the TPOT buckets: 0.01, 0.025, ...
  CHECK(bucket("0.025") == 8);  // le is inclusive: 25 ms lands in the 25 ms bucket
  CHECK(bucket("+Inf") == 8);
}

// A prompt no server accepted (refused, TLS error, 429) costs nothing: its estimate is not
// counted as input tokens.
TEST_CASE("token accounting metrics: input tokens only for prompts a server accepted") {
  Fixture f;
  RequestResult refused;
  refused.level = LevelId::Concurrency(4);
  refused.outcome = Outcome::kConnectRefused;
  refused.input_tokens = 300;  // the generator's estimate
  f.Record(refused);
  RequestResult limited = refused;
  limited.outcome = Outcome::kHttpRateLimited;
  limited.http_status = 429;
  f.Record(limited);
  CHECK(f.Counter("llmprobe_input_tokens_total") == 0);
  RequestResult cut = refused;  // accepted, then the stream broke: the estimate counts
  cut.outcome = Outcome::kReadError;
  cut.http_status = 200;
  f.Record(cut);
  CHECK(f.Counter("llmprobe_input_tokens_total") == 300);
}
