// Encodes Ollama /api/chat stream lines (newline-delimited JSON): the inverse of
// OllamaStreamDecoder, for the mock. Each line is one JSON object ending in "\n" with the fields
// of Ollama's documented chat stream: model, created_at, message {role, content, thinking?,
// tool_calls?}, done, and on the last line done_reason, the durations and the counts.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/StreamEncoder.h"

namespace llmprobe {

// Immutable after construction; const methods are safe for concurrent use. Each Append*
// appends complete lines to *out and never clears it. Text must be valid UTF-8.
class OllamaEncoder {
 public:
  // created_at is written as RFC 3339 UTC, the same on every line.
  OllamaEncoder(std::string_view model, int64_t created_unix_seconds);

  // {"message":{"role":"assistant","content":content[,"thinking":thinking]},"done":false}
  // ("thinking" only when non-empty).
  void AppendMessage(std::string_view thinking, std::string_view content, std::string* out) const;
  // A message with content "" and tool_calls [{"function":{"name","arguments"}}];
  // `arguments_json` must be a JSON object text, e.g. {"city":"Paris"}.
  void AppendToolCall(std::string_view name, std::string_view arguments_json,
                      std::string* out) const;
  // The last line: empty content, done true, done_reason ("stop", "length", ...), durations,
  // prompt_eval_count and eval_count (each left out when < 0).
  void AppendDone(std::string_view done_reason, int64_t prompt_eval_count, int64_t eval_count,
                  std::string* out) const;
  // {"error": message}, as Ollama reports a failure mid-stream.
  static void AppendError(std::string_view message, std::string* out);

 private:
  void AppendHead(std::string* out) const;  // {"model":..,"created_at":..,

  std::string head_;
};

// The StreamEncoder of ollama ("application/x-ndjson"). Start: nothing. Tokens: one
// AppendMessage. End: AppendDone with done_reason "length" for kLength, "unload" for kOther,
// else "stop" (Ollama reports tool calls as "stop"), and the usage counts. Error: AppendError.
std::unique_ptr<StreamEncoder> NewOllamaStreamEncoder(const EncoderInit& init);

}  // namespace llmprobe
