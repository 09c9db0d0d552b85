// ProbeRequest: transport callbacks with known arrival times in, RequestResult out.
#include <doctest/doctest.h>

#include <optional>

#include "load/ProbeRequest.h"
#include "protocol/OpenAiEncoding.h"

using namespace llmprobe;

namespace {

constexpr int64_t kMs = kNanosPerMilli;

struct Harness {
  TimeoutsConfig timeouts;
  std::optional<RequestResult> result;
  std::unique_ptr<ProbeRequest> req;
  OpenAiChunkEncoder enc{ApiKind::kOpenAiChat, "chatcmpl-1", "m", 1700000000};

  explicit Harness(MonoNanos warmup_end = 0, ApiKind api = ApiKind::kOpenAiChat) {
    req = std::make_unique<ProbeRequest>(DialectFor(api), timeouts, LevelId::Concurrency(4),
                                         warmup_end, -1, 77, 0,
                                         [this](RequestResult&& r) { result = std::move(r); });
    req->OnStart(0);
  }
  void Headers(int status, MonoNanos t) { req->OnHeaders(status, {}, t); }
  bool Body(const std::string& s, MonoNanos t) { return req->OnBody(s, t); }
  std::string Content(const char* text) {
    std::string s;
    enc.AppendContent(text, &s);
    return s;
  }
};

}  // namespace

TEST_CASE("probe request: role-only first chunk does not start TTFT") {
  Harness h;
  h.Headers(200, 3 * kMs);
  std::string role;
  h.enc.AppendRole(&role);
  REQUIRE(h.Body(role, 5 * kMs));
  const int n = 32;
  for (int k = 0; k < n; ++k) REQUIRE(h.Body(h.Content("tok "), (200 + 20 * k) * kMs));
  std::string tail;
  h.enc.AppendFinish(FinishReason::kLength, &tail);
  h.enc.AppendUsage(TokenUsage{40, n, 8}, &tail);
  OpenAiChunkEncoder::AppendDone(&tail);
  REQUIRE(h.Body(tail, 830 * kMs));
  h.req->OnComplete(831 * kMs);
  REQUIRE(h.result);
  const RequestResult& r = *h.result;
  CHECK(r.outcome == Outcome::kSuccess);
  CHECK(*r.timing.TimeToFirstByteNs() == 3 * kMs);
  CHECK(*r.timing.TimeToFirstTokenNs() == 200 * kMs);
  CHECK(*r.timing.TimeToFirstContentNs() == 200 * kMs);
  CHECK(*r.timing.TimePerOutputTokenNs(r.output_tokens) == doctest::Approx(20.0 * kMs));
  CHECK(*r.timing.RequestDurationNs() == (200 + 31 * 20) * kMs);
  CHECK(r.timing.t_end == 830 * kMs);
  CHECK(r.output_tokens == n);
  CHECK(r.output_source == TokenSource::kFinalUsage);
  CHECK(r.token_chunks == n);
  CHECK_FALSE(r.token_count_mismatch);
  CHECK(r.input_tokens == 40);
  CHECK(r.input_tokens_from_server);
  CHECK(r.cached_tokens == 8);
  CHECK(r.finish == FinishReason::kLength);
  REQUIRE(r.itl.size() == n - 1);
  for (const ItlGap& g : r.itl) {
    CHECK(g.gap_ns == 20 * kMs);
    CHECK(g.tokens == 1);
  }
  CHECK(r.level == LevelId::Concurrency(4));
  CHECK_FALSE(r.warmup);
}

TEST_CASE("probe request: reasoning deltas move TTFT but not time to first content") {
  Harness h;
  h.Headers(200, 1 * kMs);
  for (int k = 0; k < 3; ++k) {
    std::string s;
    h.enc.AppendReasoning("think ", &s);
    REQUIRE(h.Body(s, (100 + 10 * k) * kMs));
  }
  REQUIRE(h.Body(h.Content("answer "), 130 * kMs));
  std::string done;
  OpenAiChunkEncoder::AppendDone(&done);
  REQUIRE(h.Body(done, 140 * kMs));
  h.req->OnComplete(140 * kMs);
  REQUIRE(h.result);
  CHECK(h.result->outcome == Outcome::kSuccess);
  CHECK(*h.result->timing.TimeToFirstTokenNs() == 100 * kMs);
  CHECK(*h.result->timing.TimeToFirstContentNs() == 130 * kMs);
  CHECK(h.result->output_tokens == 4);
  CHECK(h.result->output_source == TokenSource::kChunkCount);
  CHECK(h.result->input_tokens == 77);  // the estimate: no usage was sent
  CHECK_FALSE(h.result->input_tokens_from_server);
}

TEST_CASE("probe request: an event split across reads takes the completing read's time") {
  Harness h;
  h.Headers(200, 1 * kMs);
  const std::string chunk = h.Content("hello ");
  REQUIRE(h.Body(chunk.substr(0, 10), 50 * kMs));
  REQUIRE(h.Body(chunk.substr(10), 60 * kMs));
  h.req->OnFailure(TransportError::kRead, "reset", 70 * kMs);
  REQUIRE(h.result);
  CHECK(h.result->outcome == Outcome::kReadError);
  CHECK(h.result->timing.t_first_token == 60 * kMs);
}

TEST_CASE("probe request: multi-token chunks spread ITL over their tokens") {
  Harness h;
  h.Headers(200, 1 * kMs);
  // vLLM continuous_usage_stats: cumulative completion_tokens on every chunk.
  auto chunk = [](const char* text, int cumulative) {
    return std::string(
               "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
               "\"delta\":{\"content\":\"") +
           text + "\"}}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":" +
           std::to_string(cumulative) + "}}\n\n";
  };
  REQUIRE(h.Body(chunk("a", 1), 100 * kMs));
  REQUIRE(h.Body(chunk("b c d", 4), 160 * kMs));  // 3 tokens in 60 ms
  REQUIRE(h.Body(chunk("e f", 6), 200 * kMs));    // 2 tokens in 40 ms
  REQUIRE(h.Body("data: [DONE]\n\n", 201 * kMs));
  h.req->OnComplete(202 * kMs);
  REQUIRE(h.result);
  const RequestResult& r = *h.result;
  CHECK(r.outcome == Outcome::kSuccess);
  CHECK(r.output_source == TokenSource::kChunkUsage);
  CHECK(r.output_tokens == 6);
  CHECK(r.token_chunks == 3);
  CHECK(r.token_count_mismatch);
  REQUIRE(r.itl.size() == 2);
  CHECK(r.itl[0].gap_ns == 60 * kMs);
  CHECK(r.itl[0].tokens == 3);
  CHECK(r.itl[1].gap_ns == 40 * kMs);
  CHECK(r.itl[1].tokens == 2);
  CHECK(*r.timing.TimePerOutputTokenNs(r.output_tokens) == doctest::Approx(20.0 * kMs));
}

// Review finding: a server (or proxy) that attaches the final usage to its last content chunk
// made that chunk count as all N tokens at once (N near-zero ITL samples, ITL p50 near 0, and
// the chunk_usage rung). Usage on a token chunk is per-chunk only if the first one had it too.
TEST_CASE("probe request: final usage on the last content chunk is the final count") {
  Harness h;
  h.Headers(200, 1 * kMs);
  REQUIRE(h.Body(h.Content("a"), 100 * kMs));
  REQUIRE(h.Body(h.Content("b"), 120 * kMs));
  REQUIRE(
      h.Body("data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
             "\"delta\":{\"content\":\"c\"},\"finish_reason\":\"stop\"}],\"usage\":{"
             "\"prompt_tokens\":5,\"completion_tokens\":3}}\n\n",
             140 * kMs));
  REQUIRE(h.Body("data: [DONE]\n\n", 141 * kMs));
  h.req->OnComplete(142 * kMs);
  REQUIRE(h.result);
  const RequestResult& r = *h.result;
  CHECK(r.outcome == Outcome::kSuccess);
  CHECK(r.output_source == TokenSource::kFinalUsage);
  CHECK(r.output_tokens == 3);
  CHECK_FALSE(r.token_count_mismatch);
  REQUIRE(r.itl.size() == 2);
  CHECK(r.itl[1].gap_ns == 20 * kMs);
  CHECK(r.itl[1].tokens == 1);
}

// An absurd per-chunk count weighs at most 65536 tokens on ITL; the ladder keeps the count.
TEST_CASE("probe request: an absurd per-chunk usage is clamped for ITL") {
  Harness h;
  h.Headers(200, 1 * kMs);
  auto chunk = [](const char* text, int64_t cumulative) {
    return std::string(
               "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
               "\"delta\":{\"content\":\"") +
           text + "\"}}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":" +
           std::to_string(cumulative) + "}}\n\n";
  };
  REQUIRE(h.Body(chunk("a", 1), 100 * kMs));
  REQUIRE(h.Body(chunk("b", 2000000000), 120 * kMs));
  REQUIRE(h.Body("data: [DONE]\n\n", 121 * kMs));
  h.req->OnComplete(122 * kMs);
  REQUIRE(h.result);
  REQUIRE(h.result->itl.size() == 1);
  CHECK(h.result->itl[0].tokens == 65536);
  CHECK(h.result->output_tokens == 2000000000);
  CHECK(h.result->token_count_mismatch);
}

TEST_CASE("probe request: the token ladder's rungs, and mismatches between them") {
  auto chunk = [](const char* text, int cumulative) {
    return std::string(
               "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
               "\"delta\":{\"content\":\"") +
           text + "\"}}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":" +
           std::to_string(cumulative) + "}}\n\n";
  };
  auto run = [](Harness& h, const std::string& body) {
    h.Headers(200, 1 * kMs);
    REQUIRE(h.Body(body, 10 * kMs));
    std::string tail;
    OpenAiChunkEncoder::AppendDone(&tail);
    REQUIRE(h.Body(tail, 11 * kMs));
    h.req->OnComplete(12 * kMs);
    REQUIRE(h.result);
    return *h.result;
  };
  SUBCASE("per-chunk usage agreeing with the final usage and the chunks") {
    Harness h;
    std::string final_usage;
    h.enc.AppendUsage(TokenUsage{5, 2, -1}, &final_usage);
    const RequestResult r = run(h, chunk("a", 1) + chunk("b", 2) + final_usage);
    CHECK(r.output_source == TokenSource::kChunkUsage);
    CHECK(r.output_tokens == 2);
    CHECK_FALSE(r.token_count_mismatch);
  }
  SUBCASE("per-chunk usage and final usage disagree: the larger count, a mismatch") {
    Harness h;
    std::string final_usage;
    h.enc.AppendUsage(TokenUsage{5, 3, -1}, &final_usage);
    const RequestResult r = run(h, chunk("a", 1) + chunk("b", 2) + final_usage);
    CHECK(r.output_source == TokenSource::kChunkUsage);
    CHECK(r.output_tokens == 3);
    CHECK(r.token_count_mismatch);
  }
  SUBCASE("no usage at all: the chunk count, never a mismatch") {
    Harness h;
    const RequestResult r = run(h, h.Content("a") + h.Content("b") + h.Content("c"));
    CHECK(r.output_source == TokenSource::kChunkCount);
    CHECK(r.output_tokens == 3);
    CHECK_FALSE(r.token_count_mismatch);
    CHECK_FALSE(r.input_tokens_from_server);
    CHECK(r.input_tokens == 77);  // the prompt generator's estimate
  }
}

TEST_CASE("probe request: error outcomes") {
  SUBCASE("HTTP 500 keeps an excerpt of the body") {
    Harness h;
    h.Headers(500, 2 * kMs);
    REQUIRE(h.Body("{\"error\":\"boom\"}", 3 * kMs));
    h.req->OnComplete(3 * kMs);
    REQUIRE(h.result);
    CHECK(h.result->outcome == Outcome::kHttpServerError);
    CHECK(h.result->error_detail.find("HTTP 500") == 0);
    CHECK(h.result->error_detail.find("boom") != std::string::npos);
  }
  SUBCASE("HTTP 429 with Retry-After") {
    Harness h;
    h.req->OnHeaders(429, {{"retry-after", "7"}}, 2 * kMs);
    h.req->OnComplete(3 * kMs);
    REQUIRE(h.result);
    CHECK(h.result->outcome == Outcome::kHttpRateLimited);
    CHECK(h.result->retry_after_ns == 7 * kNanosPerSecond);
  }
  SUBCASE("HTTP 401 / 404") {
    for (auto [status, outcome] :
         {std::pair{401, Outcome::kHttpAuthError}, std::pair{404, Outcome::kHttpNotFound},
          std::pair{400, Outcome::kHttpClientError}}) {
      Harness h;
      h.Headers(status, 1);
      h.req->OnComplete(2);
      REQUIRE(h.result);
      CHECK(h.result->outcome == outcome);
    }
  }
  SUBCASE("an error event in the stream aborts") {
    Harness h;
    h.Headers(200, 1 * kMs);
    REQUIRE(h.Body(h.Content("x"), 10 * kMs));
    std::string err;
    OpenAiChunkEncoder::AppendError("overloaded", "server_error", &err);
    CHECK_FALSE(h.Body(err, 20 * kMs));
    h.req->OnFailure(TransportError::kAborted, "aborted by handler", 20 * kMs);
    REQUIRE(h.result);
    CHECK(h.result->outcome == Outcome::kServerErrorEvent);
    CHECK(h.result->error_detail.find("overloaded") != std::string::npos);
  }
  SUBCASE("malformed JSON aborts with protocol_error") {
    Harness h;
    h.Headers(200, 1 * kMs);
    CHECK_FALSE(h.Body("data: {not json\n\n", 10 * kMs));
    h.req->OnFailure(TransportError::kAborted, "aborted by handler", 10 * kMs);
    REQUIRE(h.result);
    CHECK(h.result->outcome == Outcome::kProtocolError);
  }
  SUBCASE("a stream that ends without end marker or finish reason is incomplete") {
    Harness h;
    h.Headers(200, 1 * kMs);
    REQUIRE(h.Body(h.Content("x"), 10 * kMs));
    h.req->OnComplete(11 * kMs);
    REQUIRE(h.result);
    CHECK(h.result->outcome == Outcome::kStreamIncomplete);
  }
  SUBCASE("a finished stream without tokens is empty") {
    Harness h;
    h.Headers(200, 1 * kMs);
    REQUIRE(h.Body("data: [DONE]\n\n", 10 * kMs));
    h.req->OnComplete(11 * kMs);
    REQUIRE(h.result);
    CHECK(h.result->outcome == Outcome::kEmptyResponse);
  }
}

TEST_CASE("probe request: deadlines follow the timeouts and name the one that passed") {
  SUBCASE("first token") {
    Harness h;
    CHECK(h.req->DeadlineNanos() == h.timeouts.first_token_ns);
    h.req->OnFailure(TransportError::kDeadline, "deadline exceeded", h.timeouts.first_token_ns);
    REQUIRE(h.result);
    CHECK(h.result->outcome == Outcome::kTimeoutFirstToken);
  }
  SUBCASE("between tokens") {
    Harness h;
    h.Headers(200, 1 * kMs);
    REQUIRE(h.Body(h.Content("x"), 100 * kMs));
    CHECK(h.req->DeadlineNanos() == 100 * kMs + h.timeouts.between_tokens_ns);
    h.req->OnFailure(TransportError::kDeadline, "deadline exceeded", h.req->DeadlineNanos());
    REQUIRE(h.result);
    CHECK(h.result->outcome == Outcome::kTimeoutBetweenTokens);
  }
  SUBCASE("total") {
    Harness h;
    h.Headers(200, 1 * kMs);
    const MonoNanos late = h.timeouts.total_ns - kMs;
    REQUIRE(h.Body(h.Content("x"), late));
    CHECK(h.req->DeadlineNanos() == h.timeouts.total_ns);
    h.req->OnFailure(TransportError::kDeadline, "deadline exceeded", h.timeouts.total_ns);
    REQUIRE(h.result);
    CHECK(h.result->outcome == Outcome::kTimeoutTotal);
  }
}

TEST_CASE("probe request: requests started before the warm-up end are flagged") {
  Harness warm(10 * kMs);  // started at 0 < 10 ms
  warm.req->OnFailure(TransportError::kConnectRefused, "refused", 1);
  REQUIRE(warm.result);
  CHECK(warm.result->warmup);
  CHECK(warm.result->outcome == Outcome::kConnectRefused);
}
