#include "config/Secret.h"

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

}  // namespace llmprobe
