// Request pieces shared by the dialects' builders: headers (defaults, the target's own, the
// auth secret as the dialect or `auth.header` wants it) and the body's workload extras.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/Config.h"
#include "protocol/Dialect.h"

namespace llmprobe {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Sets header `name` to `value`, replacing an existing one of the same name
// (case-insensitively, keeping its position and spelling).
void SetHeader(HeaderList* headers, std::string_view name, std::string_view value);

// The header that carries the secret: `header`, or `dialect_default` for kDefault.
// Returns {name, value} for a non-empty secret, e.g. {"Authorization", "Bearer s3cr3t"}.
std::pair<std::string, std::string> AuthHeaderFor(AuthHeader header, AuthHeader dialect_default,
                                                  std::string_view secret);

// A POST to target->url_parts.path ("/" if empty) with headers, in order:
// Content-Type: application/json, Accept: `accept`, the dialect's fixed headers, the target's
// headers (each replaces a same-named earlier one), then the secret (if non-empty) as
// AuthHeaderFor(target auth.header, dialect_default), replacing a configured header of that
// name. The body is left empty.
HttpRequestSpec StartRequest(
    const RequestInputs& in, std::string_view accept, AuthHeader dialect_default,
    std::initializer_list<std::pair<std::string_view, std::string_view>> dialect_headers = {});

// The conversation as a JSON messages array ([{"role", "content"}, ...]): in.messages, or one
// user message holding in.prompt. With `system_out` set, system messages are left out and
// their contents joined (blank lines between) into *system_out (Anthropic's top-level
// "system"); else they stay in the array.
nlohmann::ordered_json MessagesJson(const RequestInputs& in, std::string* system_out = nullptr);

// Applies workload.extra_body to `body` as an RFC 7386 merge patch (skipped when it is empty or
// not a JSON object) and serializes it compactly. Invalid UTF-8 in strings is replaced with
// U+FFFD rather than failing.
std::string SerializeBody(nlohmann::ordered_json body, const WorkloadConfig& workload);

}  // namespace llmprobe
