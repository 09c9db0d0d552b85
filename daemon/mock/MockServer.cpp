#include "mock/MockServer.h"

#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "common/HostPort.h"
#include "common/HttplibServer.h"
#include "mock/MockAdmin.h"
#include "mock/MockEncoder.h"
#include "mock/MockModel.h"
#include "mock/MockReplies.h"
#include "mock/MockStream.h"

namespace llmprobe {
namespace {

constexpr size_t kPayloadMaxBytes = 1 << 20;
constexpr size_t kKeepAliveMaxRequests = 100000;
constexpr time_t kKeepAliveTimeoutSeconds = 30;
constexpr time_t kReadTimeoutSeconds = 30;
constexpr int kMinListenBacklog = 128;

// {"error": {...}} in OpenAI's shape.
void SetError(httplib::Response& res, int status, const std::string& message, const char* type,
              const char* code = nullptr) {
  nlohmann::ordered_json error{{"message", message},
                               {"type", type},
                               {"param", nullptr},
                               {"code", code ? nlohmann::ordered_json(code) : nullptr}};
  res.status = status;
  res.set_content(nlohmann::ordered_json{{"error", error}}.dump(), "application/json");
}

// An error of a completion route, in its dialect's shape.
void SetDialectError(httplib::Response& res, MockEndpoint endpoint, int status,
                     const std::string& message) {
  res.status = status;
  res.set_content(MockErrorBody(endpoint, status, message), "application/json");
}

int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

MockServer::MockServer(MockOptions options)
    : options_(std::move(options)), batch_(options_.max_batch) {}

MockServer::~MockServer() { Stop(); }

Status MockServer::Start(const std::string& host, int port) {
  if (runner_) {
    return Status::Error("mock server already started on " + HostPort{host, port_}.ToString());
  }
  stopping_ = false;
  batch_.Reopen();
  runner_ = std::make_unique<HttpServerRunner>(options().max_connections);
  httplib::Server* svr = &runner_->server();
  svr->set_keep_alive_max_count(kKeepAliveMaxRequests);
  svr->set_keep_alive_timeout(kKeepAliveTimeoutSeconds);
  svr->set_read_timeout(kReadTimeoutSeconds);
  svr->set_payload_max_length(kPayloadMaxBytes);

  svr->Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    HandleCompletion(MockEndpoint::kChat, req, res);
  });
  svr->Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
    HandleCompletion(MockEndpoint::kCompletions, req, res);
  });
  svr->Post("/v1/responses", [this](const httplib::Request& req, httplib::Response& res) {
    HandleCompletion(MockEndpoint::kResponses, req, res);
  });
  svr->Post("/v1/messages", [this](const httplib::Request& req, httplib::Response& res) {
    HandleCompletion(MockEndpoint::kMessages, req, res);
  });
  svr->Post("/generate_stream", [this](const httplib::Request& req, httplib::Response& res) {
    HandleCompletion(MockEndpoint::kGenerateStream, req, res);
  });
  svr->Post("/api/chat", [this](const httplib::Request& req, httplib::Response& res) {
    HandleCompletion(MockEndpoint::kOllamaChat, req, res);
  });
  svr->Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    nlohmann::ordered_json model{{"id", options().model},
                                 {"object", "model"},
                                 {"created", UnixSeconds()},
                                 {"owned_by", "llmprobe-mock"}};
    nlohmann::ordered_json list{{"object", "list"}, {"data", {model}}};
    res.set_content(list.dump(), "application/json");
  });
  svr->Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  svr->Get("/mock/config", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(MockConfigJson(options()), "application/json");
  });
  svr->Post("/mock/config", [this](const httplib::Request& req, httplib::Response& res) {
    HandleSetConfig(req, res);
  });
  // Routing misses (404), oversized bodies (413) and the like reach here with an empty body.
  svr->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) {
      SetError(res, 404, "Unknown request URL: " + req.method + " " + req.path,
               "invalid_request_error", "unknown_url");
    } else if (res.status == 413) {
      SetError(res, 413, "Request body too large", "invalid_request_error");
    } else {
      SetError(res, res.status, "HTTP error " + std::to_string(res.status),
               res.status >= 500 ? "server_error" : "invalid_request_error");
    }
  });
  svr->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        SetError(res, 500, "internal error in the mock server", "server_error");
      });
  // The logger runs after a response has been written completely.
  svr->set_logger(
      [this](const httplib::Request&, const httplib::Response&) { requests_served_.fetch_add(1); });

  if (Status st =
          runner_->Start(host, port, std::max(kMinListenBacklog, options().max_connections));
      !st.ok()) {
    runner_.reset();
    return st;
  }
  port_ = runner_->port();
  return Status::Ok();
}

void MockServer::Stop() {
  if (!runner_) return;
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  batch_.Shutdown();  // wakes requests waiting for admission
  runner_.reset();    // stops accepting, ends open connections, joins
}

MockOptions MockServer::options() const {
  std::lock_guard<std::mutex> lock(config_mu_);
  return options_;
}

int MockServer::active_requests() const { return batch_.active(); }

int MockServer::queued_requests() const { return batch_.queued(); }

void MockServer::HandleSetConfig(const httplib::Request& req, httplib::Response& res) {
  std::lock_guard<std::mutex> lock(config_mu_);
  if (Status st = ApplyMockConfigJson(req.body, &options_); !st.ok()) {
    SetError(res, 400, st.message(), "invalid_request_error");
    return;
  }
  batch_.SetMaxBatch(options_.max_batch, SteadyClock().Now());
  res.set_content(MockConfigJson(options_), "application/json");
}

bool MockServer::WaitUntil(MonoNanos when) {
  const auto wait = [this](MonoNanos t) {
    const std::chrono::steady_clock::time_point deadline{std::chrono::nanoseconds(t)};
    std::unique_lock<std::mutex> lock(stop_mu_);
    return !stop_cv_.wait_until(lock, deadline, [this] { return stopping_.load(); });
  };
  // On some VMs a timer wait overshoots in proportion to its length (seen: +0.8%, 1.6 ms late
  // on a 200 ms wait, while a 2 ms wait is 0.1 ms late). So a long wait stops 2% + 1 ms short
  // and then waits out the rest: the send is as late as a short wait, whatever the TTFT.
  const int64_t remaining = when - SteadyClock().Now();
  const int64_t margin = remaining / 50 + kNanosPerMilli;
  if (remaining > 2 * margin && !wait(when - margin)) return false;
  return wait(when);
}

void MockServer::HandleCompletion(MockEndpoint endpoint, const httplib::Request& req,
                                  httplib::Response& res) {
  // t0: httplib calls the handler once the request (headers and body) has been read.
  const MonoNanos t0 = SteadyClock().Now();
  // This request's timing: later /mock/config changes do not affect it.
  const MockOptions options = this->options();
  Result<MockRequest> parsed = ParseMockRequest(endpoint, req.body, options.default_max_tokens);
  if (!parsed.ok()) {
    SetDialectError(res, endpoint, 400, parsed.status().message());
    return;
  }
  MockRequest request = std::move(parsed).value();
  if (request.model.empty()) request.model = options.model;  // tgi names no model
  std::string id = MockResponseId(endpoint, next_id_.fetch_add(1) + 1);
  const int64_t created = UnixSeconds();

  if (!request.stream) {
    // The same schedule, one token at a time and nothing written: answered at the last token.
    MockOptions schedule_options = options;
    schedule_options.role_chunk = false;
    schedule_options.tokens_per_chunk = 1;
    MockStream schedule(request, schedule_options,
                        NewMockEncoder(request, schedule_options, id, created));
    if (!Play(schedule, options, t0, [](const MockStreamEvent&) { return true; })) {
      SetDialectError(res, endpoint, 503, "the mock server is shutting down");
      return;
    }
    res.set_content(MockCompletionBody(request, options, id, created), "application/json");
    return;
  }

  std::unique_ptr<MockEncoder> encoder = NewMockEncoder(request, options, id, created);
  auto stream = std::make_shared<MockStream>(std::move(request), options, std::move(encoder));
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      stream->content_type(), [this, stream, options, t0](size_t, httplib::DataSink& sink) {
        const bool complete = Play(*stream, options, t0, [&sink](const MockStreamEvent& event) {
          return sink.write(event.text.data(), event.text.size());
        });
        if (complete) sink.done();
        return complete;
      });
}

bool MockServer::Play(MockStream& stream, const MockOptions& options, MonoNanos t0,
                      const EventWriter& write) {
  BatchSlot slot(&batch_);  // released after the last token, or on any early return
  std::optional<MockTokenSchedule> schedule;
  MonoNanos due = t0;  // start units: at arrival; trailers: with the last token
  MockStreamEvent event;
  while (stream.Next(&event)) {
    if (event.kind == MockStreamEvent::Kind::kTokens) {
      if (!schedule) {
        if (!slot.Admit(t0)) return false;  // stopping
        schedule.emplace(options, stream.request().prompt_tokens, slot.admitted_at());
      }
      // The steps up to this chunk's last token, with the active count of this moment.
      due = schedule->DueOf(event.end_token - 1, batch_.active());
    }
    // Absolute due times: a late write does not delay the ones after it.
    if (!WaitUntil(due)) return false;  // stopping
    if (!write(event)) return false;    // client gone
    if (event.last_tokens) slot.Release(SteadyClock().Now());
  }
  return true;
}

}  // namespace llmprobe
