// Reads a secret from where a SecretRef points. The value is returned to the caller only and
// must never be logged, put in a label or shown on a page (pages print "<secret>").
#pragma once

#include <string>

#include "common/Status.h"
#include "config/Config.h"

namespace llmprobe {

// Reads the file (trailing whitespace stripped) or the environment variable. Errors name the
// file or variable, never the content. An empty SecretRef yields an empty string.
Result<std::string> ReadSecret(const SecretRef& ref);

}  // namespace llmprobe
