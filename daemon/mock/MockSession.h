// One connection of the mock server (MockServer.h): reads requests (net/HttpRequestParser.h),
// asks the server for each one's MockReply and plays it: a plain reply at once; a timed reply
// through the timing model of MockOptions.h (admission by the batching model, then every event
// of its MockStream at its due time, on a timer of the connection's loop), either as a chunked
// stream or, not streamed, as one body at the last token's time. One request at a time:
// pipelined requests wait in the parser's buffer. The connection's last response (after
// "Connection: close", HTTP/1.0 without keep-alive, or a refused request) is followed by a
// shutdown of the sending side and a drain of up to 5 s. The 30 s idle timeout counts from the
// last response (or the accept), not from the last byte received: a request that takes longer
// than that to arrive is cut. A client's half-close (shutdown of its sending side) ends the
// session like a close: a response in progress is not finished.
//
// Loop thread only (created, fed, timed and destroyed on the loop of its connection); the
// server owns it through its per-loop registry and the session removes itself when it ends.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/Clock.h"
#include "mock/BatchScheduler.h"
#include "mock/MockModel.h"
#include "mock/MockOptions.h"
#include "mock/MockStream.h"
#include "net/Connection.h"
#include "net/HttpRequestParser.h"
#include "net/Timer.h"

namespace llmprobe {

class MockServer;

// What the mock answers to one request.
struct MockReply {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
  // A plain reply, sent at once; or, with `stream` and !streamed, the body sent at the last
  // token's due time.
  std::string body;
  // A timed reply: `stream`'s events are played on the schedule of `options` from `t0`.
  std::unique_ptr<MockStream> stream;
  bool streamed = false;  // chunked, one chunk per event as it falls due
  MockOptions options;
  MonoNanos t0 = 0;
};

class MockSession final : public net::Connection::Listener,
                          public std::enable_shared_from_this<MockSession> {
 public:
  // `loop_index` names the server's loop this session lives on.
  MockSession(MockServer& server, net::EventLoop& loop, size_t loop_index);
  ~MockSession();
  MockSession(const MockSession&) = delete;
  MockSession& operator=(const MockSession&) = delete;

  // Takes the connection (adopted with this session as its listener) and starts the idle timer.
  void Begin(std::shared_ptr<net::Connection> connection);
  // Ends the session now: the connection is closed, a response in progress is cut short, the
  // batching slot given back. Called by the server when it stops, and by the session itself.
  void End();

  void OnConnected(net::Connection&) override {}
  void OnData(net::Connection& c, std::string_view bytes, MonoNanos t) override;
  void OnClosed(net::Connection& c, MonoNanos t) override;
  void OnError(net::Connection& c, net::NetError error, const std::string& detail,
               MonoNanos t) override;

 private:
  // The timed reply in progress.
  struct Play {
    MockReply reply;
    enum class Admission { kNone, kWaiting, kAdmitted, kReleased } admission = Admission::kNone;
    BatchScheduler::Ticket ticket = 0;
    std::optional<MockTokenSchedule> schedule;
    MockStreamEvent event;
    bool have_event = false;  // `event` is taken from the stream, not yet written
    bool due_known = false;   // `due` is `event`'s due time
    MonoNanos due = 0;
    MonoNanos admitted_at = 0;
    bool first_token_written = false;
  };

  // Handles the complete requests in the parser while no reply is in progress.
  // t0: when the first of them arrived.
  void Serve(MonoNanos t0);
  void ServeLoop(MonoNanos t0);
  void Respond(MockReply reply);
  // Plays the current Play up to the next wait (a timer or the admission) or its end.
  void Step();
  void RequestAdmission();
  // The batching model admitted the play numbered `play_id` at `at` (posted to this loop).
  // False if that play is gone: the caller gives the slot back.
  bool OnAdmitted(uint64_t play_id, MonoNanos at);
  void ReleaseSlot(MonoNanos now);
  // The reply's last bytes are queued: counts it, then closes or serves the next request.
  void FinishResponse();
  void SendHead(int status, const std::string& content_type,
                const std::vector<std::pair<std::string, std::string>>& headers,
                const std::string* body);
  void Flush();
  void ArmIdle();

  MockServer& server_;
  net::EventLoop& loop_;
  const size_t loop_index_;
  std::shared_ptr<net::Connection> connection_;
  net::HttpRequestParser parser_;
  bool keep_alive_ = true;  // of the request being answered
  bool chunked_ = true;     // its streamed response is chunked (not to an HTTP/1.0 client)
  std::unique_ptr<Play> play_;
  uint64_t play_id_ = 0;   // numbers the plays, for admissions that arrive late
  std::string out_;        // bytes of this step, written at its end
  net::Timer due_timer_;   // the play's next event
  net::Timer idle_timer_;  // keep-alive and read timeout
  // No more requests: after refusing one (reading and dropping until the client closes) or
  // while a closing response is written out.
  bool draining_ = false;
  bool in_serve_ = false;  // inside Serve(): it takes up the next request itself
  bool ended_ = false;
};

}  // namespace llmprobe
