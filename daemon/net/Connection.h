// One TCP connection on an EventLoop: a client connection (Connect: a non-blocking connect with
// TCP_NODELAY, then for TLS a non-blocking OpenSSL handshake) or an accepted one (Adopt: plain,
// or the server side of a TLS handshake); then buffered writes and reads. Every read is stamped
// with the injected Clock right after read()/SSL_read() returned, before anything looks at the
// bytes; on a client socket read with the real clock (SteadyClock), plain or TLS, with the kernel's
// receive time of the newest bytes instead (SO_TIMESTAMPNS): the time they reached this host,
// however long the loop took to get to them (e.g. behind a thousand streams that received in
// the same instant). Events go to the current Listener (the request using the connection, or the
// pool that keeps it idle).
//
// The socket is registered edge-triggered for input and output once, so the loop never changes
// interest sets; a read loop stops at a short read unless the peer hung up.
//
// Loop thread only, including destruction (hold it in a shared_ptr; callbacks may drop the
// last outside reference: the connection keeps itself alive until its callback returns).
#pragma once

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/Clock.h"
#include "net/EventLoop.h"
#include "net/NetError.h"
#include "net/Resolver.h"
#include "net/TlsContext.h"

namespace llmprobe::net {

class Connection final : public EventLoop::IoHandler,
                         public std::enable_shared_from_this<Connection> {
 public:
  class Listener {
   public:
    // TCP connected and, for TLS, the handshake done: Send() may be called.
    virtual void OnConnected(Connection& c) = 0;
    // Bytes received; `t` was taken right after the read that returned them.
    virtual void OnData(Connection& c, std::string_view bytes, MonoNanos t) = 0;
    // The peer closed its side (EOF, with or without TLS close_notify). The connection is
    // closed when this runs.
    virtual void OnClosed(Connection& c, MonoNanos t) = 0;
    // Connect, handshake, read or write failed. The connection is closed when this runs.
    virtual void OnError(Connection& c, NetError error, const std::string& detail, MonoNanos t) = 0;

   protected:
    ~Listener() = default;
  };

  // Starts connecting to `address`; for TLS (tls != nullptr) the handshake follows, with SNI
  // and verification for `host`. Returns nullptr and sets *error/*detail when the connect fails
  // at once (no callback then). `loop`, `clock` and `listener` must outlive the connection or
  // be replaced (SetListener) first.
  static std::shared_ptr<Connection> Connect(EventLoop& loop, const Clock& clock,
                                             const SocketAddress& address,
                                             std::shared_ptr<TlsContext> tls,
                                             const std::string& host, Listener* listener,
                                             NetError* error, std::string* detail);
  // Takes an accepted, non-blocking socket `fd` from `peer` (TCP_NODELAY is set here). Plain
  // (ssl == nullptr): open at once, OnConnected is not called. TLS: takes ownership of `ssl` (a
  // server SSL object, e.g. SSL_new on a server context); the server side of the handshake
  // runs first and OnConnected follows it. Returns nullptr and closes `fd` (and frees `ssl`)
  // when the socket cannot be registered, with *detail saying why.
  static std::shared_ptr<Connection> Adopt(EventLoop& loop, const Clock& clock, int fd,
                                           const SocketAddress& peer, SSL* ssl, Listener* listener,
                                           std::string* detail);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void SetListener(Listener* listener) { listener_ = listener; }
  // Writes `bytes` (a copy of what the socket does not take at once is kept and written as it
  // drains). Only when open(). A failure is reported through OnError(kWrite).
  void Send(std::string_view bytes);
  // Closes at once: no further callbacks. Idempotent.
  void Close();
  // Once every byte handed to Send() is written, ends the sending side (TLS close_notify, then
  // a TCP FIN) while reading goes on: a server that refuses a request before reading its body
  // lets the client finish sending and read the answer instead of meeting a reset.
  void ShutdownWriteWhenFlushed();

  bool open() const { return state_ == State::kOpen; }
  bool closed() const { return state_ == State::kClosed; }
  // For an idle connection before reuse: true if the peer neither closed it nor sent anything
  // (a non-blocking MSG_PEEK).
  bool LooksReusable() const;
  bool tls() const { return ssl_ != nullptr; }
  bool tls_resumed() const;
  const SocketAddress& address() const { return address_; }
  // Requests this connection has carried (counted by its user with CountUse()).
  int64_t uses() const { return uses_; }
  void CountUse() { ++uses_; }

  void OnIoEvent(uint32_t events) override;

 private:
  enum class State { kConnecting, kHandshaking, kOpen, kClosed };

  Connection(EventLoop& loop, const Clock& clock, int fd, const SocketAddress& address,
             std::shared_ptr<TlsContext> tls, Listener* listener);
  // Attaches ssl_ (when `tls`) to the socket and registers it with the loop; on failure closes
  // and says why.
  bool AttachAndRegister(bool tls, NetError* error, std::string* detail);
  void FinishConnect();
  void Handshake();
  void BecomeOpen();
  void Flush();
  void ReadPlain(uint32_t events);
  // The kernel's receive time (SO_TIMESTAMPNS) of the newest bytes a recvmsg returned, on the
  // monotonic clock; `now` (the time after the read) when the message carries none.
  static MonoNanos KernelReceiveTime(const msghdr& msg, MonoNanos now);
  // A BIO over this connection's socket for OpenSSL (client TLS with kernel stamps): reads with
  // recvmsg and keeps the stamp in bio_stamp_. Its data pointer is the Connection.
  static const BIO_METHOD* StampBioMethod();
  static int StampBioRead(BIO* bio, char* buf, int len);
  static int StampBioWrite(BIO* bio, const char* buf, int len);
  static long StampBioCtrl(BIO* bio, int cmd, long num, void* ptr);  // NOLINT(google-runtime-int)
  void ReadTls();
  void Fail(NetError error, const std::string& detail);
  void PeerClosed(MonoNanos t);

  EventLoop& loop_;
  const Clock& clock_;
  int fd_;
  const SocketAddress address_;
  std::shared_ptr<TlsContext> tls_context_;  // keeps the SSL_CTX callbacks' target alive
  SSL* ssl_ = nullptr;
  Listener* listener_;
  State state_ = State::kConnecting;
  std::string out_;                // bytes not yet written
  size_t out_offset_ = 0;          // of out_, already written
  bool read_wants_write_ = false;  // TLS: SSL_read needs the socket writable
  bool write_wants_read_ = false;  // TLS: SSL_write needs the socket readable
  bool kernel_stamps_ = false;     // client sockets on the real clock: SO_TIMESTAMPNS
  MonoNanos bio_stamp_ = -1;       // StampBio: the stamp of its last read with data
  bool bio_eof_ = false;           // StampBio: a read returned 0
  bool shutdown_write_when_flushed_ = false;
  int64_t uses_ = 0;
};

}  // namespace llmprobe::net
