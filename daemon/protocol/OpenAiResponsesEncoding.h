// Encodes `openai-responses` streaming events as SSE: the inverse of OpenAiResponsesDecoder,
// for the mock. Each event is "event: <type>\ndata: {"type":"<type>",...,
// "sequence_number":N}\n\n" with the fields of OpenAI's documented Responses streaming events;
// response objects carry id, object, created_at, status, model, an empty output list and usage.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/StreamEncoder.h"
#include "protocol/StreamEvent.h"

namespace llmprobe {

// One response. Not thread-safe (sequence numbers, the open output item). Each Append* appends
// complete events to *out and never clears it.
class OpenAiResponsesEncoder {
 public:
  OpenAiResponsesEncoder(std::string_view response_id, std::string_view model,
                         int64_t created_at_unix_seconds);

  // response.created and response.in_progress (status "in_progress", usage null).
  void AppendCreated(std::string* out);
  // response.output_text.delta; first opens a message item (response.output_item.added,
  // response.content_part.added), closing another open item.
  void AppendOutputTextDelta(std::string_view text, std::string* out);
  // response.reasoning_text.delta (or response.reasoning_summary_text.delta when `summary`);
  // first opens a reasoning item.
  void AppendReasoningDelta(std::string_view text, bool summary, std::string* out);
  // response.output_item.added of a function_call item {call_id, name, arguments:""}.
  void AppendFunctionCall(std::string_view call_id, std::string_view name, std::string* out);
  // response.function_call_arguments.delta of the open function call.
  void AppendFunctionCallArgumentsDelta(std::string_view arguments, std::string* out);
  // Closes the open item (response.output_item.done), then response.completed with usage.
  // Counts of -1 are left out; total_tokens is sent when both counts are known.
  void AppendCompleted(const TokenUsage& usage, std::string* out);
  // Closes the open item, then response.incomplete with incomplete_details.reason (e.g.
  // "max_output_tokens") and usage.
  void AppendIncomplete(std::string_view reason, const TokenUsage& usage, std::string* out);
  // response.failed with response.error {code, message}.
  void AppendFailed(std::string_view code, std::string_view message, std::string* out);
  // The top-level `error` event {code, message, param:null}.
  void AppendError(std::string_view code, std::string_view message, std::string* out);

 private:
  enum class Item { kNone, kMessage, kReasoning, kFunctionCall };
  void Begin(std::string_view type, std::string* out) const;
  void End(std::string* out);
  void AppendItemRef(std::string* out) const;  // ,"item_id":..,"output_index":..
  void OpenItem(Item item, std::string* out);
  void CloseItem(std::string* out);
  void AppendResponse(std::string_view status, const TokenUsage* usage, std::string_view extra,
                      std::string* out) const;

  std::string id_;
  std::string model_;
  int64_t created_at_;
  int64_t sequence_ = 0;
  Item item_ = Item::kNone;
  int output_index_ = -1;  // of the open (or last) item
  std::string item_id_;
};

// The StreamEncoder of openai-responses. Start: AppendCreated. Tokens: reasoning as
// response.reasoning_text.delta, content as response.output_text.delta. End: kLength ->
// incomplete "max_output_tokens", kContentFilter -> incomplete "content_filter", kOther ->
// incomplete "other", else completed. Error: AppendError("server_error", message).
std::unique_ptr<StreamEncoder> NewOpenAiResponsesStreamEncoder(const EncoderInit& init);

}  // namespace llmprobe
