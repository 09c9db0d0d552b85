// Encodes TGI /generate_stream events as SSE: the inverse of TgiStreamDecoder, for the mock.
// Each event is "data:{...}\n\n" (TGI writes no space after the colon) with the fields of TGI's
// StreamResponse: index, token {id, text, logprob, special}, generated_text, details.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/StreamEncoder.h"

namespace llmprobe {

// One response. Not thread-safe (token index, the generated text so far). Each Append*
// appends complete events to *out and never clears it. Text must be valid UTF-8.
class TgiEncoder {
 public:
  // One token event with generated_text and details null.
  void AppendToken(std::string_view text, bool special, std::string* out);
  // The last token event: generated_text (the non-special text so far, this token included)
  // and details {finish_reason, generated_tokens, seed: null, input_length}.
  // `finish_reason` is TGI's: "length", "eos_token" or "stop_sequence".
  void AppendLastToken(std::string_view text, bool special, std::string_view finish_reason,
                       int64_t generated_tokens, int64_t input_length, std::string* out);
  // {"error": message, "error_type": error_type}, as TGI sends a failure mid-stream.
  static void AppendError(std::string_view message, std::string_view error_type, std::string* out);

  int64_t tokens() const { return index_; }  // token events so far

 private:
  void AppendTokenFields(std::string_view text, bool special, std::string* out);

  int64_t index_ = 0;
  std::string generated_text_;
};

// The StreamEncoder of tgi. Start: nothing. Tokens: one token event whose text is reasoning
// followed by content (TGI has no reasoning channel: the raw model output, reasoning included,
// is the content). End without a final token: an EOS token "</s>" (special) carrying the
// details. AppendLastTokens: for kLength the details ride on the last token (finish "length");
// otherwise the token event is followed by the special EOS event (finish "eos_token"), as TGI
// does. generated_tokens = usage.completion_tokens (or the token events sent), input_length =
// usage.prompt_tokens (or 0). Error: AppendError(message, "generation").
std::unique_ptr<StreamEncoder> NewTgiStreamEncoder(const EncoderInit& init);

}  // namespace llmprobe
