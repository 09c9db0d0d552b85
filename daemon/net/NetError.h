// Why a client connection failed, below HTTP. Bounded; the transport maps each to its own
// error class.
#pragma once

namespace llmprobe::net {

enum class NetError {
  kConnectRefused,  // RST in answer to the SYN
  kConnect,         // any other connect failure (unreachable, no route, ...)
  kConnectTimeout,  // the connect did not finish in time (reported by the connection's owner)
  kTls,             // handshake or certificate verification failed
  kWrite,           // sending failed (reset, broken pipe)
  kRead,            // receiving failed (reset, TLS record error)
};

}  // namespace llmprobe::net
