#include "mock/MockSession.h"

#include <cstdio>

#include "mock/MockServer.h"

namespace llmprobe {
namespace {

constexpr int64_t kIdleTimeoutNs = 30 * kNanosPerSecond;  // keep-alive and read timeout
constexpr int64_t kDrainTimeoutNs = 5 * kNanosPerSecond;  // after refusing a request

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 413:
      return "Payload Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Status";
  }
}

// One chunk of a chunked body.
void AppendChunk(std::string_view data, std::string* out) {
  if (data.empty()) return;  // a zero-size chunk would end the body
  char size[24];
  const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  out->append(size, static_cast<size_t>(n));
  out->append(data);
  out->append("\r\n");
}

}  // namespace

MockSession::MockSession(MockServer& server, net::EventLoop& loop, size_t loop_index)
    : server_(server),
      loop_(loop),
      loop_index_(loop_index),
      due_timer_(loop,
                 [this] {
                   const std::shared_ptr<MockSession> self = shared_from_this();
                   Step();
                 }),
      idle_timer_(loop, [this] {
        const std::shared_ptr<MockSession> self = shared_from_this();
        if (!play_) End();  // a response in progress is never cut by the idle timeout
      }) {}

MockSession::~MockSession() {
  if (connection_) connection_->Close();
}

void MockSession::Begin(std::shared_ptr<net::Connection> connection) {
  connection_ = std::move(connection);
  ArmIdle();
}

void MockSession::End() {
  if (ended_) return;
  ended_ = true;
  const std::shared_ptr<MockSession> self = shared_from_this();
  due_timer_.Cancel();
  idle_timer_.Cancel();
  if (play_) {
    if (play_->admission == Play::Admission::kWaiting) {
      // false: admitted meanwhile; the posted admission finds no play and gives the slot back.
      server_.batch_.Cancel(play_->ticket);
    }
    ReleaseSlot(net::EventLoop::NowNanos());
    play_.reset();
  }
  if (connection_) {
    connection_->Close();
    connection_.reset();
  }
  server_.RemoveSession(loop_index_, this);
}

void MockSession::OnData(net::Connection&, std::string_view bytes, MonoNanos t) {
  if (ended_ || draining_) return;  // draining: the rest of a refused request is dropped
  const std::shared_ptr<MockSession> self = shared_from_this();
  parser_.Feed(bytes);
  Serve(t);
}

void MockSession::OnClosed(net::Connection&, MonoNanos) {
  const std::shared_ptr<MockSession> self = shared_from_this();
  End();
}

void MockSession::OnError(net::Connection&, net::NetError, const std::string&, MonoNanos) {
  const std::shared_ptr<MockSession> self = shared_from_this();
  End();
}

void MockSession::Serve(MonoNanos t0) {
  in_serve_ = true;
  ServeLoop(t0);
  in_serve_ = false;
}

void MockSession::ServeLoop(MonoNanos t0) {
  while (!ended_ && !play_ && !draining_) {
    switch (parser_.state()) {
      case net::HttpRequestParser::State::kIncomplete:
        if (parser_.TakeExpectContinue()) {
          out_ += "HTTP/1.1 100 Continue\r\n\r\n";
          Flush();
        }
        return;
      case net::HttpRequestParser::State::kError:
        // Answered, then the sending side is shut and whatever the client still sends (the
        // body of a 413) is read and dropped until it closes: closing at once could reset the
        // connection before the client has read the answer.
        keep_alive_ = false;
        draining_ = true;
        Respond(server_.ErrorReply(parser_.error_status(), parser_.error()));
        return;
      case net::HttpRequestParser::State::kComplete: {
        keep_alive_ = parser_.request().keep_alive;
        chunked_ = !parser_.request().http10;
        MockReply reply = server_.Route(parser_.request(), t0);
        parser_.Next();  // a pipelined request waits in the buffer until this one is answered
        Respond(std::move(reply));
        t0 = net::EventLoop::NowNanos();  // the next one is taken up from now
        break;
      }
    }
  }
}

void MockSession::Respond(MockReply reply) {
  idle_timer_.Cancel();
  if (!reply.stream) {
    SendHead(reply.status, reply.content_type, reply.headers, &reply.body);
    FinishResponse();
    return;
  }
  play_ = std::make_unique<Play>();
  play_->reply = std::move(reply);
  ++play_id_;
  if (play_->reply.streamed) {
    // HTTP/1.0 has no chunked encoding: the stream's end is the connection's.
    if (!chunked_) keep_alive_ = false;
    SendHead(play_->reply.status, play_->reply.content_type, play_->reply.headers, nullptr);
  }
  Step();
}

void MockSession::Step() {
  if (ended_ || !play_) return;
  Play& p = *play_;
  for (;;) {
    if (!p.have_event) {
      if (!p.reply.stream->Next(&p.event)) {
        if (p.reply.streamed) {
          if (chunked_) out_ += "0\r\n\r\n";
        } else {
          SendHead(p.reply.status, p.reply.content_type, p.reply.headers, &p.reply.body);
        }
        ReleaseSlot(net::EventLoop::NowNanos());  // a stream without tokens held none
        play_.reset();
        FinishResponse();
        // The next request: taken up here when this play ended in a timer or an admission,
        // by the Serve loop below us when it ended inside it (no recursion per request).
        if (!ended_ && !in_serve_) Serve(net::EventLoop::NowNanos());
        return;
      }
      p.have_event = true;
      p.due_known = false;
    }
    const MockStreamEvent& event = p.event;
    if (!p.due_known) {
      switch (event.kind) {
        case MockStreamEvent::Kind::kStart:
          p.due = p.reply.t0;  // before admission
          break;
        case MockStreamEvent::Kind::kTokens:
          if (!p.schedule) {
            if (p.admission == Play::Admission::kNone) RequestAdmission();
            if (ended_) return;
            if (p.admission != Play::Admission::kAdmitted) {
              Flush();  // OnAdmitted resumes
              return;
            }
            p.schedule.emplace(p.reply.options, p.reply.stream->request().prompt_tokens,
                               p.admitted_at);
          }
          // The steps up to this chunk's last token, with the active count of this moment.
          p.due = p.schedule->DueOf(event.end_token - 1, server_.batch_.active());
          break;
        case MockStreamEvent::Kind::kTrailer:
          break;  // with the last token: `due` is still its due time
      }
      p.due_known = true;
    }
    const MonoNanos now = net::EventLoop::NowNanos();
    if (now < p.due) {
      const MonoNanos due = p.due;
      Flush();  // a failing write ends the session (and frees `p`)
      if (ended_) return;
      due_timer_.ArmAt(due);  // absolute: a late write does not delay the ones after it
      return;
    }
    if (event.kind == MockStreamEvent::Kind::kTokens) {
      if (p.reply.streamed) server_.send_stats_.Record(!p.first_token_written, now - p.due);
      p.first_token_written = true;
    }
    if (p.reply.streamed) {
      if (chunked_) {
        AppendChunk(event.text, &out_);
      } else {
        out_ += event.text;
      }
    }
    if (event.last_tokens) {
      Flush();  // the last token leaves before the slot is given back
      if (ended_) return;
      ReleaseSlot(net::EventLoop::NowNanos());
    }
    p.have_event = false;
  }
}

void MockSession::RequestAdmission() {
  Play& p = *play_;
  const std::weak_ptr<MockSession> weak = weak_from_this();
  net::EventLoop* loop = &loop_;
  BatchScheduler* batch = &server_.batch_;
  const uint64_t id = play_id_;
  const BatchScheduler::Admission a = batch->Admit(p.reply.t0, [=](MonoNanos at) {
    loop->Post([weak, batch, id, at] {
      const std::shared_ptr<MockSession> session = weak.lock();
      if (!session || !session->OnAdmitted(id, at)) batch->Release(net::EventLoop::NowNanos());
    });
  });
  switch (a.kind) {
    case BatchScheduler::Admission::Kind::kNow:
      p.admission = Play::Admission::kAdmitted;
      p.admitted_at = a.at;
      return;
    case BatchScheduler::Admission::Kind::kQueued:
      p.admission = Play::Admission::kWaiting;
      p.ticket = a.ticket;
      return;
    case BatchScheduler::Admission::Kind::kRefused:  // the server is stopping
      End();
      return;
  }
}

bool MockSession::OnAdmitted(uint64_t play_id, MonoNanos at) {
  if (ended_ || !play_ || play_id != play_id_ || play_->admission != Play::Admission::kWaiting) {
    return false;
  }
  play_->admission = Play::Admission::kAdmitted;
  play_->admitted_at = at;
  Step();
  return true;
}

void MockSession::ReleaseSlot(MonoNanos now) {
  if (!play_ || play_->admission != Play::Admission::kAdmitted) return;
  play_->admission = Play::Admission::kReleased;
  server_.batch_.Release(now);
}

void MockSession::FinishResponse() {
  server_.requests_served_.fetch_add(1);
  Flush();
  if (ended_) return;
  if (draining_ || !keep_alive_) {
    // The last response on this connection: once it is written the sending side is shut (the
    // client sees the end) while whatever the client still sends is read and dropped, until it
    // closes or the drain timeout. Closing at once could reset the connection (unread request
    // bytes make the kernel send RST) before the client has read the response.
    draining_ = true;
    connection_->ShutdownWriteWhenFlushed();
    idle_timer_.ArmAfter(kDrainTimeoutNs);
    return;
  }
  ArmIdle();
}

void MockSession::SendHead(int status, const std::string& content_type,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           const std::string* body) {
  out_ += "HTTP/1.1 " + std::to_string(status) + " " + ReasonPhrase(status) + "\r\n";
  out_ += "Content-Type: " + content_type + "\r\n";
  for (const auto& [name, value] : headers) out_ += name + ": " + value + "\r\n";
  if (body != nullptr) {
    out_ += "Content-Length: " + std::to_string(body->size()) + "\r\n";
  } else if (chunked_) {
    out_ += "Transfer-Encoding: chunked\r\n";
  }
  if (!keep_alive_) {
    out_ += "Connection: close\r\n";
  } else if (!chunked_) {
    out_ += "Connection: keep-alive\r\n";  // HTTP/1.0 closes unless told otherwise
  }
  out_ += "\r\n";
  if (body != nullptr) out_ += *body;
}

void MockSession::Flush() {
  if (out_.empty() || !connection_) return;
  std::string bytes;
  bytes.swap(out_);
  connection_->Send(bytes);  // a failure ends the session through OnError
}

void MockSession::ArmIdle() { idle_timer_.ArmAfter(kIdleTimeoutNs); }

}  // namespace llmprobe
