// Reads a secret from where a SecretRef points. The value is returned to the caller only and
// must never be logged, put in a label or shown on a page (pages print "<secret>").
#pragma once

#include <string>
#include <string_view>

#include "common/Status.h"
#include "config/Config.h"

namespace llmprobe {

// Reads the file (trailing whitespace stripped) or the environment variable. Errors name the
// file or variable, never the content. An empty SecretRef yields an empty string.
Result<std::string> ReadSecret(const SecretRef& ref);

// `text` (a server's error body, an error message) with every occurrence of `secret` replaced
// by "<secret>", and also every run of 8 or more leading characters of it (a server echoing
// the key in a body that was then cut short leaves a prefix; the tail of the key stays unknown
// to a reader either way). Secrets shorter than 8 characters are matched whole only.
std::string RedactSecret(std::string text, std::string_view secret);

}  // namespace llmprobe
