#include "transport/Transport.h"

namespace llmprobe {

const char* TransportErrorName(TransportError e) {
  switch (e) {
    case TransportError::kDns:
      return "dns";
    case TransportError::kConnectRefused:
      return "connect_refused";
    case TransportError::kConnect:
      return "connect";
    case TransportError::kConnectTimeout:
      return "connect_timeout";
    case TransportError::kTls:
      return "tls";
    case TransportError::kWrite:
      return "write";
    case TransportError::kRead:
      return "read";
    case TransportError::kDeadline:
      return "deadline";
    case TransportError::kAborted:
      return "aborted";
    case TransportError::kCanceled:
      return "canceled";
  }
  return "unknown";
}

}  // namespace llmprobe
