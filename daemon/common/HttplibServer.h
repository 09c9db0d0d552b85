// A hardened cpp-httplib server (used by the mock and the daemon's web server) that runs each connection on its own
// loop, so that every open connection can be ended at once.
//
// Why: in httplib 0.11 a worker waiting for the next request on an idle keep-alive connection
// only notices that the server stopped when its keep-alive timeout (30 s here) expires, so
// Server::stop() followed by a join can hang that long. This server keeps the accepted sockets
// in a registry (a socket is removed before it is closed, under the registry's lock, so its
// number is never reused while registered) and shuts them down on request.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "common/Status.h"

namespace httplib {
class Server;
}

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

// Owns a hardened server and its listening thread: binds without SO_REUSEPORT (a port in use is
// an error, not silently shared), raises the listen backlog, serves each connection on a thread
// from a pool that grows on demand up to `max_threads`, and stops promptly (idle keep-alive
// connections included). Configure routes and options on server() before Start. Start and Stop
// from one thread.
class HttpServerRunner {
 public:
  explicit HttpServerRunner(int max_threads);
  ~HttpServerRunner();  // Stop()
  HttpServerRunner(const HttpServerRunner&) = delete;
  HttpServerRunner& operator=(const HttpServerRunner&) = delete;

  httplib::Server& server() { return *server_; }
  // Binds host:port (0 = a free port) and serves in the background; returns once it accepts,
  // or an error naming host:port and the reason.
  Status Start(const std::string& host, int port, int backlog);
  int port() const { return port_; }
  // Stops accepting, shuts every open connection down and joins. Idempotent.
  void Stop();

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> listen_returned_{false};
};

}  // namespace llmprobe
