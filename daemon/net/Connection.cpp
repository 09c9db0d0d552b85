#include "net/Connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace llmprobe::net {
namespace {

constexpr uint32_t kEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

NetError ClassifyConnectErrno(int err) {
  if (err == ECONNREFUSED) return NetError::kConnectRefused;
  if (err == ETIMEDOUT) return NetError::kConnectTimeout;
  return NetError::kConnect;
}

std::string ErrnoText(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

}  // namespace

std::shared_ptr<Connection> Connection::Connect(EventLoop& loop, const Clock& clock,
                                                const SocketAddress& address,
                                                std::shared_ptr<TlsContext> tls,
                                                const std::string& host, Listener* listener,
                                                NetError* error, std::string* detail) {
  const int fd = socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = NetError::kConnect;
    *detail = ErrnoText("socket", errno);
    return nullptr;
  }
  const int one = 1;
  // Without TCP_NODELAY a small request write can wait ~40 ms for the peer's delayed ACK.
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // The kernel's receive time of the bytes (see ReadPlain), when reads are stamped with the
  // real monotonic clock: a fake clock in a test must see its own times.
  const bool kernel_stamps =
      &clock == &SteadyClock() && setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) == 0;
  if (connect(fd, address.get(), address.length) != 0 && errno != EINPROGRESS) {
    const int err = errno;
    close(fd);
    *error = ClassifyConnectErrno(err);
    *detail = ErrnoText(("connect " + address.ToString()).c_str(), err);
    return nullptr;
  }
  std::shared_ptr<Connection> c(new Connection(loop, clock, fd, address, std::move(tls), listener));
  c->kernel_stamps_ = kernel_stamps;
  if (c->tls_context_ != nullptr) {
    c->ssl_ = c->tls_context_->NewSsl(host);
    if (c->ssl_ != nullptr) SSL_set_connect_state(c->ssl_);
  }
  if (!c->AttachAndRegister(c->tls_context_ != nullptr, error, detail)) return nullptr;
  return c;
}

std::shared_ptr<Connection> Connection::Adopt(EventLoop& loop, const Clock& clock, int fd,
                                              const SocketAddress& peer, SSL* ssl,
                                              Listener* listener, std::string* detail) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::shared_ptr<Connection> c(new Connection(loop, clock, fd, peer, nullptr, listener));
  c->state_ = ssl != nullptr ? State::kHandshaking : State::kOpen;
  c->ssl_ = ssl;
  if (ssl != nullptr) SSL_set_accept_state(ssl);
  // Registered edge-triggered: bytes that arrived before this are reported by the first wait.
  NetError error;
  if (!c->AttachAndRegister(ssl != nullptr, &error, detail)) return nullptr;
  return c;
}

bool Connection::AttachAndRegister(bool tls, NetError* error, std::string* detail) {
  // With kernel stamps, OpenSSL reads through StampBio (recvmsg keeping the stamp); else through
  // its own socket BIO.
  const auto attach = [this] {
    if (!kernel_stamps_) return SSL_set_fd(ssl_, fd_) == 1;
    BIO* bio = BIO_new(StampBioMethod());
    if (bio == nullptr) return false;
    BIO_set_data(bio, this);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl_, bio, bio);  // one reference, owned by ssl_ for both directions
    return true;
  };
  if (tls && (ssl_ == nullptr || !attach())) {
    Close();
    *error = NetError::kTls;
    *detail = "cannot create TLS session: " + TakeOpenSslErrors();
    return false;
  }
  if (const int err = loop_.Register(fd_, kEvents, this); err != 0) {
    Close();
    *error = NetError::kConnect;
    *detail = ErrnoText("epoll_ctl", err);
    return false;
  }
  return true;
}

Connection::Connection(EventLoop& loop, const Clock& clock, int fd, const SocketAddress& address,
                       std::shared_ptr<TlsContext> tls, Listener* listener)
    : loop_(loop),
      clock_(clock),
      fd_(fd),
      address_(address),
      tls_context_(std::move(tls)),
      listener_(listener) {}

Connection::~Connection() { Close(); }

void Connection::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (fd_ >= 0) {
    loop_.Unregister(fd_, this);
    if (ssl_ != nullptr) {
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
    close(fd_);
    fd_ = -1;
  }
  std::string().swap(out_);
}

void Connection::ShutdownWriteWhenFlushed() {
  shutdown_write_when_flushed_ = true;
  if (state_ == State::kOpen && out_offset_ >= out_.size()) Flush();
}

bool Connection::tls_resumed() const { return ssl_ != nullptr && SSL_session_reused(ssl_) == 1; }

bool Connection::LooksReusable() const {
  if (state_ != State::kOpen || !out_.empty()) return false;
  char byte;
  const ssize_t n = recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void Connection::OnIoEvent(uint32_t events) {
  const std::shared_ptr<Connection> self = shared_from_this();  // callbacks may drop the owner
  switch (state_) {
    case State::kConnecting:
      if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) FinishConnect();
      return;
    case State::kHandshaking:
      Handshake();
      return;
    case State::kOpen:
      if (!out_.empty() && ((events & EPOLLOUT) || write_wants_read_)) Flush();
      if (state_ != State::kOpen) return;
      if (ssl_ != nullptr) {
        if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) || read_wants_write_) {
          ReadTls();
        }
      } else if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        ReadPlain(events);
      }
      return;
    case State::kClosed:
      return;
  }
}

void Connection::FinishConnect() {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) {
    Fail(ClassifyConnectErrno(err), ErrnoText(("connect " + address_.ToString()).c_str(), err));
    return;
  }
  if (ssl_ == nullptr) {
    BecomeOpen();
    return;
  }
  state_ = State::kHandshaking;
  Handshake();
}

void Connection::Handshake() {
  ERR_clear_error();
  errno = 0;                              // SSL_ERROR_SYSCALL with an empty queue reads it
  const int rc = SSL_do_handshake(ssl_);  // client or server side, as set up by Connect/Adopt
  if (rc == 1) {
    BecomeOpen();
    // A TLS 1.3 client sends its first request right behind its Finished message: those bytes
    // may already wait in the socket, and their edge was spent on the handshake.
    if (state_ == State::kOpen && SSL_is_server(ssl_) == 1) ReadTls();
    return;
  }
  const int err = SSL_get_error(ssl_, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;  // edge events resume
  std::string detail = "TLS handshake with " + address_.ToString() + " failed";
  const long verify = SSL_get_verify_result(ssl_);  // NOLINT(google-runtime-int): OpenSSL's type
  if (verify != X509_V_OK) {
    detail += ": certificate verification: ";
    detail += X509_verify_cert_error_string(verify);
  } else if (std::string errors = TakeOpenSslErrors(); !errors.empty()) {
    detail += ": " + errors;
  } else if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN) {
    detail += errno != 0 ? ": " + std::string(std::strerror(errno)) : ": connection closed";
  }
  ERR_clear_error();
  Fail(NetError::kTls, detail);
}

void Connection::BecomeOpen() {
  state_ = State::kOpen;
  if (listener_ != nullptr) listener_->OnConnected(*this);
}

void Connection::Send(std::string_view bytes) {
  if (state_ != State::kOpen) return;
  const std::shared_ptr<Connection> self = shared_from_this();  // a write error may drop the owner
  if (out_.empty()) {
    out_.assign(bytes.data(), bytes.size());
    out_offset_ = 0;
  } else {
    out_.append(bytes.data(), bytes.size());
  }
  Flush();
}

void Connection::Flush() {
  write_wants_read_ = false;
  while (out_offset_ < out_.size()) {
    const char* data = out_.data() + out_offset_;
    const size_t size = out_.size() - out_offset_;
    if (ssl_ == nullptr) {
      const ssize_t n = send(fd_, data, size, MSG_NOSIGNAL);
      if (n >= 0) {
        out_offset_ += static_cast<size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // EPOLLOUT edge resumes
      Fail(NetError::kWrite, ErrnoText("send", errno));
      return;
    }
    ERR_clear_error();
    const int n = SSL_write(ssl_, data, static_cast<int>(std::min<size_t>(size, 1 << 30)));
    if (n > 0) {
      out_offset_ += static_cast<size_t>(n);
      continue;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_WRITE) return;
    if (err == SSL_ERROR_WANT_READ) {
      write_wants_read_ = true;
      return;
    }
    const std::string errors = TakeOpenSslErrors();
    Fail(NetError::kWrite, "TLS write: " + (errors.empty() ? std::strerror(errno) : errors));
    return;
  }
  out_.clear();
  out_offset_ = 0;
  if (shutdown_write_when_flushed_) {
    shutdown_write_when_flushed_ = false;
    if (ssl_ != nullptr) SSL_shutdown(ssl_);  // close_notify; the reply to it is not awaited
    shutdown(fd_, SHUT_WR);
  }
}

void Connection::ReadPlain(uint32_t events) {
  char* buf = loop_.read_buffer();
  const size_t size = loop_.read_buffer_size();
  // Edge-triggered: a short read drained the socket, and data arriving later raises a new
  // edge. Only a hang-up seen in this event must be read to the end (its edge is spent).
  const bool hung_up = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
  iovec iov{buf, size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  for (;;) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = kernel_stamps_ ? recvmsg(fd_, &msg, 0) : recv(fd_, buf, size, 0);
    MonoNanos t = clock_.Now();  // before anything looks at the bytes
    if (kernel_stamps_ && n > 0) t = KernelReceiveTime(msg, t);
    if (n > 0) {
      if (listener_ != nullptr) listener_->OnData(*this, std::string_view(buf, n), t);
      if (state_ != State::kOpen) return;
      if (static_cast<size_t>(n) < size && !hung_up) return;
      continue;
    }
    if (n == 0) {
      PeerClosed(t);
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    Fail(NetError::kRead, ErrnoText("recv", errno));
    return;
  }
}

namespace {

int64_t ClockNanos(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// CLOCK_REALTIME - CLOCK_MONOTONIC now, from a realtime reading between two monotonic ones
// taken close together (retried when the thread was interrupted in between).
int64_t RealtimeOffsetNanos() {
  int64_t offset = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int64_t m1 = ClockNanos(CLOCK_MONOTONIC);
    const int64_t r = ClockNanos(CLOCK_REALTIME);
    const int64_t m2 = ClockNanos(CLOCK_MONOTONIC);
    offset = r - (m1 + (m2 - m1) / 2);
    if (m2 - m1 < 20'000) break;
  }
  return offset;
}

}  // namespace

MonoNanos Connection::KernelReceiveTime(const msghdr& msg, MonoNanos now) {
  for (const cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), const_cast<cmsghdr*>(c))) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
    timespec rx;
    std::memcpy(&rx, CMSG_DATA(c), sizeof rx);
    // The stamp is CLOCK_REALTIME: moved to the monotonic clock by their offset now. That is
    // only right if the offset has not changed since the bytes arrived: NTP slewing moves both
    // clocks alike, but a step (settimeofday, chrony makestep) does not. So each loop thread
    // remembers the offset it last saw and when it last saw it change (by over 50 us); a stamp
    // from before that moment is not trusted, nor one later than `now` or over 1 s old.
    thread_local int64_t last_offset = 0;
    thread_local MonoNanos offset_changed_at = 0;
    const int64_t offset = RealtimeOffsetNanos();
    if (last_offset == 0 || std::llabs(offset - last_offset) > 50'000) offset_changed_at = now;
    last_offset = offset;
    const int64_t stamp = static_cast<int64_t>(rx.tv_sec) * 1'000'000'000 + rx.tv_nsec - offset;
    if (stamp <= now && stamp > offset_changed_at && now - stamp <= 1'000'000'000) return stamp;
    return now;
  }
  return now;
}

const BIO_METHOD* Connection::StampBioMethod() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "llmprobe-stamp");
    BIO_meth_set_read(m, &Connection::StampBioRead);
    BIO_meth_set_write(m, &Connection::StampBioWrite);
    BIO_meth_set_ctrl(m, &Connection::StampBioCtrl);
    return m;
  }();
  return method;
}

int Connection::StampBioRead(BIO* bio, char* buf, int len) {
  auto* c = static_cast<Connection*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  iovec iov{buf, static_cast<size_t>(std::max(len, 0))};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = recvmsg(c->fd_, &msg, 0);
  if (n > 0) {
    c->bio_stamp_ = KernelReceiveTime(msg, c->clock_.Now());
    return static_cast<int>(n);
  }
  if (n == 0) {
    c->bio_eof_ = true;
    return 0;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_read(bio);
  return -1;
}

int Connection::StampBioWrite(BIO* bio, const char* buf, int len) {
  auto* c = static_cast<Connection*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  const ssize_t n = send(c->fd_, buf, static_cast<size_t>(std::max(len, 0)), MSG_NOSIGNAL);
  if (n >= 0) return static_cast<int>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(bio);
  return -1;
}

long Connection::StampBioCtrl(BIO* bio, int cmd, long, void*) {  // NOLINT(google-runtime-int)
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_EOF:  // as OpenSSL's socket BIO: after a read returned 0
      return static_cast<Connection*>(BIO_get_data(bio))->bio_eof_ ? 1 : 0;
    default:
      return 0;
  }
}

void Connection::ReadTls() {
  read_wants_write_ = false;
  char* buf = loop_.read_buffer();
  const int size = static_cast<int>(std::min<size_t>(loop_.read_buffer_size(), 1 << 30));
  for (;;) {
    ERR_clear_error();
    errno = 0;
    bio_stamp_ = -1;
    const int n = SSL_read(ssl_, buf, size);
    MonoNanos t = clock_.Now();  // before anything looks at the bytes
    // The kernel's receive time of the newest bytes this SSL_read took from the socket; none
    // when it decrypted bytes read before (then the time now).
    if (bio_stamp_ >= 0 && bio_stamp_ <= t) t = bio_stamp_;
    if (n > 0) {
      if (listener_ != nullptr) listener_->OnData(*this, std::string_view(buf, n), t);
      if (state_ != State::kOpen) return;
      continue;  // until WANT_READ: OpenSSL may hold further records
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ) return;
    if (err == SSL_ERROR_WANT_WRITE) {
      read_wants_write_ = true;
      return;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {  // close_notify, or EOF (SSL_OP_IGNORE_UNEXPECTED_EOF)
      PeerClosed(t);
      return;
    }
    const int saved_errno = errno;
    const std::string errors = TakeOpenSslErrors();
    if (err == SSL_ERROR_SYSCALL && errors.empty() && saved_errno == 0) {
      PeerClosed(t);  // EOF without close_notify
      return;
    }
    Fail(NetError::kRead,
         "TLS read: " + (errors.empty() ? std::string(std::strerror(saved_errno)) : errors));
    return;
  }
}

void Connection::PeerClosed(MonoNanos t) {
  Listener* listener = listener_;
  Close();
  if (listener != nullptr) listener->OnClosed(*this, t);
}

void Connection::Fail(NetError error, const std::string& detail) {
  Listener* listener = listener_;
  Close();
  if (listener != nullptr) listener->OnError(*this, error, detail, clock_.Now());
}

}  // namespace llmprobe::net
