// A hardened cpp-httplib server (used by the mock and the daemon's web server) that runs each
// connection on its own loop, so that every open connection can be ended at once, optionally over
// TLS, with bounds on what one request may make it read.
//
// Why: in httplib 0.11 a worker waiting for the next request on an idle keep-alive connection
// only notices that the server stopped when its keep-alive timeout (30 s here) expires, so
// Server::stop() followed by a join can hang that long. This server keeps the accepted sockets
// in a registry (a socket is removed before it is closed, under the registry's lock, so its
// number is never reused while registered) and shuts them down on request.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/Status.h"

namespace httplib {
class Server;
}
struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace llmprobe {

// A new server; add routes and set options on it as on any httplib::Server. Connections are
// served with the server's read/write timeouts, keep-alive count and keep-alive timeout.
std::unique_ptr<httplib::Server> NewHttplibServer();

// httplib listens with a backlog of 5: a burst of new connections (a load generator starting
// 100 streams at once) overflows it, and the dropped handshakes are retried after about a
// second, which a client sees as a second of extra latency. Raises the backlog of the bound
// listening socket. Call it after bind_to_port/bind_to_any_port. Returns false if listen() fails.
bool SetListenBacklog(httplib::Server& server, int backlog);

// Shuts down every connection `server` has open (idle keep-alive connections and responses in
// progress alike) and closes connections accepted from now on at once. Call it after
// server.stop(). Thread-safe. `server` must come from NewHttplibServer().
void CloseHttplibConnections(httplib::Server& server);

// Where a TLS server gets the OpenSSL context for each accepted connection. A connection keeps
// the context it was accepted with, so a new one (rotated certificates, another client CA)
// applies to new connections. Returning null refuses the connection. Called on connection
// threads: must be thread-safe.
using TlsContextSource = std::function<std::shared_ptr<ssl_ctx_st>()>;

// Bounds on reading one request, on top of the body limit (set_payload_max_length). httplib 0.11
// refuses a header line over 8 KiB only after buffering it whole and counts no headers, and its
// read timeout restarts with every byte, so a client trickling headers would hold a connection
// thread and grow memory without end.
struct RequestLimits {
  // Request line and headers together (through the empty line) may take this many bytes, past
  // it the connection is closed; the body then gets the payload limit. 0 = both unbounded.
  size_t max_head_bytes = 0;
  // From the first byte of a request to the last byte of its body; past it the connection is
  // closed. 0 = only the per-read timeout.
  int read_timeout_ms = 0;
};

// Owns a hardened server and its listening thread: binds without SO_REUSEPORT (a port in use is
// an error, not silently shared), raises the listen backlog, serves each connection on a thread
// from a pool that grows on demand up to `max_threads`, and stops promptly (idle keep-alive
// connections and TLS handshakes included). With a TlsContextSource every connection is TLS
// (the handshake is bounded by the read timeout; a plain HTTP request gets a 400 saying so) and
// handlers see the connection in Request::ssl. Configure routes and options on server() before
// Start. Start and Stop from one thread.
class HttpServerRunner {
 public:
  explicit HttpServerRunner(int max_threads, TlsContextSource tls = nullptr);
  ~HttpServerRunner();  // Stop()
  HttpServerRunner(const HttpServerRunner&) = delete;
  HttpServerRunner& operator=(const HttpServerRunner&) = delete;

  httplib::Server& server() { return *server_; }
  bool tls() const { return tls_; }
  // Before Start.
  void SetRequestLimits(const RequestLimits& limits);
  // Binds host:port (0 = a free port) and serves in the background; returns once it accepts,
  // or an error naming host:port and the reason.
  Status Start(const std::string& host, int port, int backlog);
  int port() const { return port_; }
  // Stops accepting, shuts every open connection down and joins. Idempotent.
  void Stop();

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  bool tls_ = false;
  int port_ = 0;
  std::atomic<bool> listen_returned_{false};
};

}  // namespace llmprobe
