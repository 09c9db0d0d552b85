#include "config/Secret.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "config/FileText.h"

namespace llmprobe {
namespace {

// A token is one line; anything bigger is a wrong path (a key file, a log), not a secret.
constexpr size_t kMaxSecretBytes = 64 * 1024;

bool IsTrailingSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

Result<std::string> ReadSecret(const SecretRef& ref) {
  if (!ref.file.empty() && !ref.env.empty()) {
    return Status::Error("secret has both a file (\"" + ref.file + "\") and an environment " +
                         "variable (\"" + ref.env + "\"); set only one");
  }
  if (!ref.file.empty()) {
    const std::string name = "secret file \"" + ref.file + "\"";
    std::string content;
    if (int err = ReadFileText(ref.file, kMaxSecretBytes, &content); err != 0) {
      return Status::Error("cannot read " + name + ": " + ErrnoMessage(err));
    }
    while (!content.empty() && IsTrailingSpace(content.back())) content.pop_back();
    if (content.empty()) return Status::Error(name + " is empty");
    if (HasControlChar(content)) {
      return Status::Error(name + " contains control characters (more than one line?)");
    }
    return content;
  }
  if (!ref.env.empty()) {
    const std::string name = "environment variable \"" + ref.env + "\"";
    // getenv is safe against concurrent getenv; nothing in llmprobe calls setenv after start.
    const char* value = std::getenv(ref.env.c_str());
    if (value == nullptr) return Status::Error(name + " is not set");
    std::string content = value;
    while (!content.empty() && IsTrailingSpace(content.back())) content.pop_back();
    if (content.empty()) return Status::Error(name + " is empty");
    if (HasControlChar(content)) return Status::Error(name + " contains control characters");
    return content;
  }
  return std::string();
}

std::string RedactSecret(std::string text, std::string_view secret) {
  constexpr size_t kMinPrefix = 8;
  if (secret.empty()) return text;
  const size_t min_run = std::min(kMinPrefix, secret.size());
  const std::string_view head = secret.substr(0, min_run);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, head.size(), head) == 0) {
      size_t n = head.size();  // extend the run as far as it follows the secret
      while (n < secret.size() && i + n < text.size() && text[i + n] == secret[n]) ++n;
      if (n == secret.size() || n >= kMinPrefix) {
        out += "<secret>";
        i += n;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace llmprobe
