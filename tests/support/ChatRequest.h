// A streaming openai-chat request for the transport tests, built by the chat dialect exactly as
// the daemon builds one (model "mock-model", prompt "one two three four").
#pragma once

#include "protocol/Dialect.h"
#include "transport/Transport.h"

namespace llmprobe::testing {

HttpRequestSpec ChatRequest(const Endpoint& endpoint, int max_tokens);

}  // namespace llmprobe::testing
