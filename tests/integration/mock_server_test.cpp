// The mock server, in-process on 127.0.0.1, driven by a raw socket client that timestamps every
// recv(): the send schedule, the response shapes and the error paths.
#include "mock/MockServer.h"

#include <doctest/doctest.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "mock/MockCommand.h"
#include "mock/MockStream.h"
#include "support/RawHttp.h"
#include "support/Timing.h"

namespace llmprobe {
namespace {

using nlohmann::json;

constexpr int64_t kMs = kNanosPerMilli;
constexpr int64_t kToleranceNs = 3 * kMs;            // the schedule check
constexpr int64_t kBusyMedianToleranceNs = 5 * kMs;  // fallback on a saturated machine

using StreamErrors = std::vector<std::vector<int64_t>>;  // schedule errors, per stream

MockOptions Options(int64_t ttft_ms, int64_t tpot_ms) {
  MockOptions options;
  options.ttft_ns = ttft_ms * kMs;
  options.tpot_ns = tpot_ms * kMs;
  options.max_connections = 64;
  return options;
}

struct RunningMock {
  explicit RunningMock(MockOptions options) : server(std::move(options)) {
    Status started = server.Start("127.0.0.1", 0);
    REQUIRE_MESSAGE(started.ok(), started.message());
  }
  rawhttp::Response Post(const std::string& path, const json& body,
                         const std::vector<std::string>& headers = {}) const {
    Result<rawhttp::Response> r =
        rawhttp::Request(server.port(), "POST", path, body.dump(), headers);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    return r.value();
  }
  MockServer server;
};

json ChatRequest(int max_tokens, bool include_usage = false) {
  json body{{"model", "m"},
            {"messages", {{{"role", "user"}, {"content", "say something nice"}}}},
            {"max_tokens", max_tokens},
            {"stream", true}};
  if (include_usage) body["stream_options"] = {{"include_usage", true}};
  return body;
}

// The JSON payloads of a stream's events; `[DONE]` must be the last event and is left out.
std::vector<std::pair<MonoNanos, json>> Chunks(const rawhttp::Response& r) {
  std::vector<rawhttp::SseEvent> events = rawhttp::ParseSse(r);
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().data == "[DONE]");
  std::vector<std::pair<MonoNanos, json>> chunks;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    chunks.emplace_back(events[i].at, json::parse(events[i].data));
  }
  return chunks;
}

// Per-token schedule errors: arrival - t_sent - (ttft + i * tpot) for the i-th arrival.
std::vector<int64_t> ScheduleErrors(const rawhttp::Response& r,
                                    const std::vector<MonoNanos>& arrivals, int64_t ttft_ns,
                                    int64_t tpot_ns) {
  std::vector<int64_t> errors;
  for (size_t i = 0; i < arrivals.size(); ++i) {
    errors.push_back(arrivals[i] - r.t_sent - ttft_ns - static_cast<int64_t>(i) * tpot_ns);
  }
  return errors;
}

int64_t MaxAbs(const std::vector<int64_t>& v) {
  int64_t worst = 0;
  for (int64_t e : v) worst = std::max<int64_t>(worst, std::llabs(e));
  return worst;
}

int64_t Median(std::vector<int64_t> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

// Runs `attempt` (one scenario; returns the schedule errors of each stream it ran) until every
// token of every stream is within kToleranceNs, at most 3 times. A busy machine (parallel
// builds, ctest -j) delays single wake-ups by a few ms; if no attempt is clean, the best one
// must still be on time in the median (within half of the smallest tpot used here, so a
// schedule one token off still fails), within 25 ms everywhere, and without drift beyond that
// half tpot between its first and last five tokens (an absolute schedule recovers after a late
// write; a relative one carries every delay on).
void ExpectOnSchedule(const char* what, const std::function<StreamErrors()>& attempt) {
  StreamErrors best;
  int64_t best_max = INT64_MAX;
  int attempts = 0;
  while (attempts < 3 && best_max > kToleranceNs) {
    ++attempts;
    StreamErrors streams = attempt();
    int64_t worst = 0;
    for (const auto& errors : streams) worst = std::max(worst, MaxAbs(errors));
    if (streams.empty() || worst < best_max) {
      best = std::move(streams);
      best_max = worst;
    }
  }
  MESSAGE(std::string(what), ": max schedule error ", Ms(best_max), " ms (attempts: ", attempts,
          ")");
  REQUIRE_FALSE(best.empty());
  if (best_max <= kToleranceNs || testing::kSanitizedBuild) return;  // support/Timing.h
  MESSAGE("strict +-3 ms not met in 3 attempts (busy machine?): checking median and drift");
  for (const std::vector<int64_t>& errors : best) {
    REQUIRE_FALSE(errors.empty());
    CHECK(std::llabs(Median(errors)) <= kBusyMedianToleranceNs);
    CHECK(MaxAbs(errors) <= 25 * kMs);
    if (errors.size() >= 10) {
      const std::vector<int64_t> head(errors.begin(), errors.begin() + 5);
      const std::vector<int64_t> tail(errors.end() - 5, errors.end());
      CHECK(std::llabs(Median(tail) - Median(head)) <= kBusyMedianToleranceNs);
    }
  }
}

std::vector<MonoNanos> ContentArrivals(const std::vector<std::pair<MonoNanos, json>>& chunks) {
  std::vector<MonoNanos> at;
  for (const auto& [t, chunk] : chunks) {
    if (!chunk["choices"].empty() && chunk["choices"][0]["delta"].contains("content") &&
        !chunk["choices"][0]["delta"]["content"].get<std::string>().empty()) {
      at.push_back(t);
    }
  }
  return at;
}

TEST_CASE("mock: chat stream follows the absolute schedule, then usage and [DONE]") {
  RunningMock mock(Options(100, 10));
  ExpectOnSchedule("20 tokens, ttft 100 ms, tpot 10 ms", [&] {
    rawhttp::Response r = mock.Post("/v1/chat/completions", ChatRequest(20, true));
    CHECK(r.status == 200);
    CHECK(r.Header("Content-Type").find("text/event-stream") == 0);
    auto chunks = Chunks(r);
    REQUIRE(chunks.size() == 21);  // 20 token chunks + usage
    for (int k = 0; k < 20; ++k) {
      const json& chunk = chunks[k].second;
      CHECK(chunk["object"] == "chat.completion.chunk");
      CHECK(chunk["choices"][0]["delta"]["content"] == MockTokenText(k));
      CHECK(chunk["choices"][0]["finish_reason"] == (k == 19 ? json("length") : json(nullptr)));
    }
    const json& usage = chunks[20].second;
    CHECK(usage["choices"].empty());
    CHECK(usage["usage"] ==
          json{{"prompt_tokens", 3}, {"completion_tokens", 20}, {"total_tokens", 23}});
    // The usage chunk and [DONE] follow the last token at once: due with token 19.
    const MonoNanos done_at = rawhttp::ParseSse(r).back().at;
    return StreamErrors{ScheduleErrors(r, ContentArrivals(chunks), 100 * kMs, 10 * kMs),
                        ScheduleErrors(r, {chunks[20].first, done_at}, 290 * kMs, 0)};
  });
}

TEST_CASE("mock: a role-only chunk arrives at once and is not the first token") {
  MockOptions options = Options(100, 10);
  options.role_chunk = true;
  RunningMock mock(options);
  ExpectOnSchedule("role chunk, then 5 tokens", [&] {
    rawhttp::Response r = mock.Post("/v1/chat/completions", ChatRequest(5));
    auto chunks = Chunks(r);
    REQUIRE(chunks.size() == 6);
    CHECK(chunks[0].second["choices"][0]["delta"] == json{{"role", "assistant"}, {"content", ""}});
    const std::vector<MonoNanos> content = ContentArrivals(chunks);
    REQUIRE(content.size() == 5);
    // The role chunk is due at t0 (at once, long before the first token): its own series.
    return StreamErrors{ScheduleErrors(r, {chunks[0].first}, 0, 0),
                        ScheduleErrors(r, content, 100 * kMs, 10 * kMs)};
  });
}

TEST_CASE("mock: reasoning tokens come first on their own channel") {
  MockOptions options = Options(20, 5);
  options.reasoning_tokens = 3;
  RunningMock mock(options);
  auto chunks = Chunks(mock.Post("/v1/chat/completions", ChatRequest(6)));
  REQUIRE(chunks.size() == 6);
  for (int k = 0; k < 6; ++k) {
    const json& delta = chunks[k].second["choices"][0]["delta"];
    if (k < 3) {
      CHECK(delta == json{{"reasoning_content", MockTokenText(k)}});
    } else {
      CHECK(delta == json{{"content", MockTokenText(k)}});
    }
  }
}

TEST_CASE("mock: completions endpoint streams text_completion chunks") {
  RunningMock mock(Options(30, 5));
  json body{{"model", "m"},
            {"prompt", "one two"},
            {"max_tokens", 4},
            {"stream", true},
            {"stream_options", {{"include_usage", true}}}};
  ExpectOnSchedule("completions, 4 tokens", [&] {
    rawhttp::Response r = mock.Post("/v1/completions", body);
    auto chunks = Chunks(r);
    REQUIRE(chunks.size() == 5);
    std::vector<MonoNanos> arrivals;
    for (int k = 0; k < 4; ++k) {
      CHECK(chunks[k].second["object"] == "text_completion");
      CHECK(chunks[k].second["choices"][0]["text"] == MockTokenText(k));
      arrivals.push_back(chunks[k].first);
    }
    CHECK(chunks[3].second["choices"][0]["finish_reason"] == "length");
    CHECK(chunks[4].second["usage"]["prompt_tokens"] == 2);
    return StreamErrors{ScheduleErrors(r, arrivals, 30 * kMs, 5 * kMs)};
  });
}

TEST_CASE("mock: coalesced chunks are sent at their last token with per-chunk usage") {
  MockOptions options = Options(30, 10);
  options.tokens_per_chunk = 3;
  RunningMock mock(options);
  json body = ChatRequest(7);
  body["stream_options"] = {{"continuous_usage_stats", true}};
  ExpectOnSchedule("3 tokens per chunk", [&] {
    rawhttp::Response r = mock.Post("/v1/chat/completions", body);
    auto chunks = Chunks(r);
    REQUIRE(chunks.size() == 3);
    const int64_t last_token[] = {2, 5, 6};
    const int64_t cumulative[] = {3, 6, 7};
    CHECK(chunks[0].second["choices"][0]["delta"]["content"] == "tok0 tok1 tok2 ");
    CHECK(chunks[2].second["choices"][0]["finish_reason"] == "length");
    std::vector<int64_t> errors;
    for (int i = 0; i < 3; ++i) {
      errors.push_back(chunks[i].first - r.t_sent - (30 * kMs + last_token[i] * 10 * kMs));
      CHECK(chunks[i].second["usage"]["completion_tokens"] == cumulative[i]);
    }
    return StreamErrors{errors};
  });
}

TEST_CASE("mock: non-streamed responses arrive after ttft + (n-1) tpot with text and usage") {
  RunningMock mock(Options(50, 10));
  json chat = ChatRequest(4);
  chat["stream"] = false;
  rawhttp::Response r;
  ExpectOnSchedule("non-streamed, 4 tokens", [&] {
    r = mock.Post("/v1/chat/completions", chat);
    return StreamErrors{ScheduleErrors(r, {r.t_headers}, 80 * kMs, 0)};
  });
  CHECK(r.status == 200);
  json body = json::parse(r.body);
  CHECK(body["object"] == "chat.completion");
  CHECK(body["choices"][0]["message"]["content"] == "tok0 tok1 tok2 tok3 ");
  CHECK(body["choices"][0]["finish_reason"] == "length");
  CHECK(body["usage"] == json{{"prompt_tokens", 3}, {"completion_tokens", 4}, {"total_tokens", 7}});

  json completion{{"model", "m"}, {"prompt", "a b c d e"}, {"max_completion_tokens", 2}};
  body = json::parse(mock.Post("/v1/completions", completion).body);
  CHECK(body["object"] == "text_completion");
  CHECK(body["choices"][0]["text"] == "tok0 tok1 ");
  CHECK(body["usage"]["prompt_tokens"] == 5);
  CHECK(body["usage"]["completion_tokens"] == 2);
}

TEST_CASE("mock: /v1/models, /health and OpenAI-style errors") {
  MockOptions options = Options(1, 1);
  options.model = "my-model";
  RunningMock mock(options);
  const int port = mock.server.port();

  Result<rawhttp::Response> models = rawhttp::Request(port, "GET", "/v1/models");
  REQUIRE(models.ok());
  CHECK(models.value().status == 200);
  json list = json::parse(models.value().body);
  CHECK(list["object"] == "list");
  CHECK(list["data"][0]["id"] == "my-model");
  CHECK(rawhttp::Request(port, "GET", "/health").value().status == 200);

  auto expect_error = [&](const std::string& method, const std::string& path,
                          const std::string& body, int status, const std::string& needle) {
    CAPTURE(body);
    Result<rawhttp::Response> r = rawhttp::Request(port, method, path, body);
    REQUIRE(r.ok());
    CHECK(r.value().status == status);
    json error = json::parse(r.value().body);
    CHECK(error["error"]["type"].is_string());
    CHECK(error["error"]["message"].get<std::string>().find(needle) != std::string::npos);
  };
  expect_error("POST", "/v1/chat/completions", "{not json", 400, "JSON");
  expect_error("POST", "/v1/chat/completions", "[1]", 400, "object");
  expect_error("POST", "/v1/chat/completions", R"({"messages":[{"content":"x"}]})", 400, "model");
  expect_error("POST", "/v1/chat/completions", R"({"model":"m"})", 400, "messages");
  expect_error("POST", "/v1/completions", R"({"model":"m"})", 400, "prompt");
  expect_error("POST", "/v1/completions", R"({"model":"m","prompt":"x","max_tokens":0})", 400,
               "max_tokens");
  expect_error("POST", "/v1/completions", R"({"model":"m","prompt":"x","stream":"yes"})", 400,
               "stream");
  expect_error("POST", "/v1/completions", std::string((1 << 20) + 1, ' '), 413, "too large");
  expect_error("GET", "/v1/nope", "", 404, "/v1/nope");
  expect_error("POST", "/v2/chat/completions", "{}", 404, "Unknown request URL");
}

TEST_CASE("mock: 16 concurrent streams all stay on schedule") {
  RunningMock mock(Options(100, 10));
  ExpectOnSchedule("16 concurrent streams of 20 tokens", [&] {
    constexpr int kStreams = 16;
    StreamErrors errors(kStreams);
    std::vector<std::thread> threads;
    for (int i = 0; i < kStreams; ++i) {
      threads.emplace_back([&, i] {
        Result<rawhttp::Response> r = rawhttp::Request(
            mock.server.port(), "POST", "/v1/chat/completions", ChatRequest(20).dump());
        if (!r.ok()) return;
        std::vector<MonoNanos> arrivals;
        for (const rawhttp::SseEvent& e : rawhttp::ParseSse(r.value())) {
          if (e.data != "[DONE]") arrivals.push_back(e.at);
        }
        errors[i] = ScheduleErrors(r.value(), arrivals, 100 * kMs, 10 * kMs);
      });
    }
    for (std::thread& t : threads) t.join();
    for (int i = 0; i < kStreams; ++i) {
      CAPTURE(i);
      CHECK(errors[i].size() == 20);
    }
    return errors;
  });
}

TEST_CASE("mock: a burst of 150 new connections is accepted without handshake retries") {
  // httplib's listen backlog of 5 would drop most of a burst's handshakes; the client kernel
  // retries them about a second later.
  MockOptions options = Options(1, 1);
  options.max_connections = 256;
  RunningMock mock(options);
  constexpr int kConnections = 150;
  std::vector<int64_t> latency(kConnections, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kConnections; ++i) {
    threads.emplace_back([&, i] {
      const MonoNanos start = SteadyClock().Now();
      Result<rawhttp::Response> r = rawhttp::Request(mock.server.port(), "GET", "/health");
      if (r.ok() && r.value().status == 200) latency[i] = SteadyClock().Now() - start;
    });
  }
  for (std::thread& t : threads) t.join();
  const int64_t worst = *std::max_element(latency.begin(), latency.end());
  MESSAGE("slowest of ", kConnections, " simultaneous connections: ", Ms(worst), " ms");
  CHECK(std::count(latency.begin(), latency.end(), -1) == 0);
  CHECK(worst < 500 * kMs);
}

TEST_CASE("mock: prompt tokens are whitespace-separated words of the prompt") {
  CHECK(MockCountPromptTokens("") == 0);
  CHECK(MockCountPromptTokens("   ") == 0);
  CHECK(MockCountPromptTokens("one") == 1);
  CHECK(MockCountPromptTokens("  one\ttwo\n\nthree  ") == 3);

  RunningMock mock(Options(1, 1));
  json chat{{"model", "m"},
            {"max_tokens", 1},
            {"messages",
             {{{"role", "system"}, {"content", "be brief"}},
              {{"role", "user"},
               {"content",
                {{{"type", "text"}, {"text", "three more words"}},
                 {{"type", "image_url"}, {"image_url", {{"url", "http://x/y z"}}}}}}}}}};
  json body = json::parse(mock.Post("/v1/chat/completions", chat).body);
  CHECK(body["usage"]["prompt_tokens"] == 5);
  json completion{{"model", "m"}, {"max_tokens", 1}, {"prompt", {"a b", "c"}}};
  body = json::parse(mock.Post("/v1/completions", completion).body);
  CHECK(body["usage"]["prompt_tokens"] == 3);
}

TEST_CASE("mock: max_tokens falls back to max_completion_tokens, then the default, capped") {
  auto parse = [](const std::string& body) {
    Result<MockRequest> r = ParseMockRequest(MockEndpoint::kCompletions, body, 16);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    return r.value();
  };
  CHECK(parse(R"({"model":"m","prompt":"x","max_tokens":5})").max_tokens == 5);
  CHECK(parse(R"({"model":"m","prompt":"x","max_completion_tokens":7})").max_tokens == 7);
  CHECK(parse(R"({"model":"m","prompt":"x","max_tokens":null})").max_tokens == 16);
  CHECK(parse(R"({"model":"m","prompt":"x","max_tokens":1000000})").max_tokens == 65536);
  CHECK_FALSE(parse(R"({"model":"m","prompt":"x"})").stream);
}

TEST_CASE("mock: a client asking for gzip still gets an uncompressed stream on time") {
  RunningMock mock(Options(50, 10));
  ExpectOnSchedule("gzip-accepting client, 5 tokens", [&] {
    rawhttp::Response r =
        mock.Post("/v1/chat/completions", ChatRequest(5), {"Accept-Encoding: gzip, deflate, br"});
    CHECK(r.Header("Content-Encoding").empty());
    const std::vector<MonoNanos> content = ContentArrivals(Chunks(r));
    REQUIRE(content.size() == 5);
    return StreamErrors{ScheduleErrors(r, content, 50 * kMs, 10 * kMs)};
  });
}

TEST_CASE("mock: Stop ends long streams and idle keep-alive connections promptly") {
  auto server = std::make_unique<MockServer>(Options(10'000, 10));
  REQUIRE(server->Start("127.0.0.1", 0).ok());
  rawhttp::Client idle;
  REQUIRE(idle.Connect(server->port()).ok());
  REQUIRE(idle.Send("GET", "/health").ok());  // then left open, idle

  Result<rawhttp::Response> streamed = Status::Error("not run");
  std::thread client([&] {
    streamed =
        rawhttp::Request(server->port(), "POST", "/v1/chat/completions", ChatRequest(5).dump());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const MonoNanos before = SteadyClock().Now();
  server->Stop();
  const MonoNanos stop_ns = SteadyClock().Now() - before;
  client.join();
  MESSAGE("Stop took ", static_cast<double>(stop_ns) / 1e6, " ms");
  CHECK(stop_ns < 1000 * kMs);
  CHECK_FALSE(streamed.ok());                     // cut off, no [DONE]
  CHECK_FALSE(idle.Send("GET", "/health").ok());  // the idle connection was closed
  server.reset();
}

TEST_CASE("mock: a port in use is an error naming host:port") {
  RunningMock first(Options(1, 1));
  MockServer second(Options(1, 1));
  Status status = second.Start("127.0.0.1", first.server.port());
  REQUIRE_FALSE(status.ok());
  CHECK(status.message().find("127.0.0.1:" + std::to_string(first.server.port())) !=
        std::string::npos);
  CHECK(status.message().find("in use") != std::string::npos);
  second.Stop();  // harmless when never started

  MockServer bad_host(Options(1, 1));
  status = bad_host.Start("256.0.0.1", 0);
  REQUIRE_FALSE(status.ok());
  CHECK(status.message().find("256.0.0.1:0: cannot resolve host") != std::string::npos);
}

TEST_CASE("mock: requests_served counts answered requests") {
  RunningMock mock(Options(1, 1));
  rawhttp::Client client;
  REQUIRE(client.Connect(mock.server.port()).ok());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(client.Send("POST", "/v1/chat/completions", ChatRequest(2).dump()).ok());
  }
  REQUIRE(client.Send("GET", "/nowhere").ok());
  // The count is taken just after the last byte is written; allow the server thread a moment.
  for (int i = 0; i < 100 && mock.server.requests_served() < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(mock.server.requests_served() == 4);
}

TEST_CASE("mock: RunMockCommand serves until SIGTERM and rejects a malformed address") {
  CHECK(RunMockCommand(Options(1, 1), "no-port-here") == 2);

  const int port = rawhttp::FreePort();
  REQUIRE(port > 0);
  std::atomic<int> rc{-1};
  std::thread command(
      [&] { rc = RunMockCommand(Options(5, 1), "127.0.0.1:" + std::to_string(port)); });
  bool up = false;
  for (int i = 0; i < 500 && !up; ++i) {
    Result<rawhttp::Response> r = rawhttp::Request(port, "GET", "/health");
    up = r.ok() && r.value().status == 200;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(up);
  // The command thread blocks SIGTERM and collects it with sigwait: direct it at that thread.
  pthread_kill(command.native_handle(), SIGTERM);
  command.join();
  CHECK(rc == 0);
  CHECK_FALSE(rawhttp::Request(port, "GET", "/health").ok());
}

}  // namespace
}  // namespace llmprobe
