// One API dialect = a request builder, a stream decoder and (for the mock) a stream encoder, in
// its own files, registered by ApiKind in Dialects.cpp. Dialects know no sockets and no clocks:
// bytes in, events out (and events in, bytes out for the encoder).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/Status.h"
#include "config/Config.h"
#include "protocol/StreamEncoder.h"
#include "protocol/StreamEvent.h"

namespace llmprobe {

// An HTTP request to send, independent of any HTTP library.
struct HttpRequestSpec {
  std::string method = "POST";
  std::string path;  // path and query, e.g. "/v1/chat/completions"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Everything a dialect needs to build one request.
struct RequestInputs {
  const TargetConfig* target = nullptr;  // not owned; outlives the call
  std::string prompt;                    // full prompt text (nonce prefix already included)
  // The target's secret, sent as the dialect expects or as auth.header says (Authorization:
  // Bearer, x-api-key, api-key); empty = no auth header.
  std::string bearer_token;
  // A workload.prompts_file conversation (nonce already in the first content). Non-empty: the
  // chat dialects send these messages instead of one user message holding `prompt` (which then
  // holds their contents joined by blank lines, for the dialects without messages).
  std::vector<ChatMessage> messages = {};
};

// Why decoding failed. The request then ends with outcome `protocol_error`.
struct DecodeError {
  enum class Kind { kLineTooLong, kMalformedJson, kUnexpectedShape };
  Kind kind;
  std::string detail;  // short, no payload beyond 128 bytes
};

// Incremental decoder for one response stream. Not thread-safe; one per request.
class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  // Feeds the next bytes exactly as received (any split). Appends one StreamEvent per complete
  // unit (SSE event, NDJSON line) to *out; blank keep-alive units give none. Exception: a unit
  // that carries a token and the final usage count (TGI's last token, Ollama's done line) gives
  // two events, the token and then the rest, because usage on a token-bearing event means
  // cumulative per-chunk usage. Returns false and fills *error on a framing or payload error;
  // the decoder is then unusable.
  virtual bool Feed(std::string_view bytes, std::vector<StreamEvent>* out, DecodeError* error) = 0;
  // The body ended: flushes a trailing unit that lacked its terminator (if complete).
  virtual bool Finish(std::vector<StreamEvent>* out, DecodeError* error) = 0;
};

// A dialect is stateless and safe for concurrent use.
class Dialect {
 public:
  virtual ~Dialect() = default;
  virtual HttpRequestSpec BuildRequest(const RequestInputs& in) const = 0;
  virtual std::unique_ptr<StreamDecoder> NewDecoder() const = 0;
  // An encoder for one response in this dialect (used by the mock server).
  virtual std::unique_ptr<StreamEncoder> NewEncoder(const EncoderInit& init) const = 0;
};

// The dialect for an ApiKind. Never null; the object lives for the whole process.
const Dialect& DialectFor(ApiKind kind);

}  // namespace llmprobe
