#include <doctest/doctest.h>

#include <stdlib.h>  // setenv, unsetenv

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "config/Secret.h"

namespace llmprobe {
namespace {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("llmprobe-secret-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string Write(const std::string& name, const std::string& content) const {
    const std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

SecretRef FromFile(const std::string& file) { return SecretRef{file, ""}; }
SecretRef FromEnv(const std::string& env) { return SecretRef{"", env}; }

}  // namespace

TEST_CASE("secret: an empty ref reads as an empty string") {
  Result<std::string> r = ReadSecret(SecretRef{});
  REQUIRE(r.ok());
  CHECK(r.value().empty());
}

TEST_CASE("secret: from a file, trailing whitespace stripped") {
  TempDir dir;
  Result<std::string> r = ReadSecret(FromFile(dir.Write("token", "sk-abc123\n")));
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r.value() == "sk-abc123");
  r = ReadSecret(FromFile(dir.Write("crlf", "  sk-abc123 \r\n\n")));
  REQUIRE(r.ok());
  CHECK(r.value() == "  sk-abc123");
  // Re-read on every call: a rotated token is picked up.
  const std::string rotated = dir.Write("rot", "old");
  CHECK(ReadSecret(FromFile(rotated)).value() == "old");
  dir.Write("rot", "new\n");
  CHECK(ReadSecret(FromFile(rotated)).value() == "new");
}

TEST_CASE("secret: file errors name the file, never the content") {
  TempDir dir;
  const std::string missing = dir.path() + "/missing";
  Result<std::string> r = ReadSecret(FromFile(missing));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() ==
        "cannot read secret file \"" + missing + "\": No such file or directory");

  r = ReadSecret(FromFile(dir.path()));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "cannot read secret file \"" + dir.path() + "\": Is a directory");

  const std::string empty = dir.Write("empty", " \n");
  r = ReadSecret(FromFile(empty));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "secret file \"" + empty + "\" is empty");

  const std::string two_lines = dir.Write("two", "sk-first-line\nsk-second-line\n");
  r = ReadSecret(FromFile(two_lines));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() ==
        "secret file \"" + two_lines + "\" contains control characters (more than one line?)");
  CHECK(r.status().message().find("sk-") == std::string::npos);

  const std::string big = dir.Write("big", std::string(100 * 1024, 'k'));
  r = ReadSecret(FromFile(big));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "cannot read secret file \"" + big + "\": File too large");
}

TEST_CASE("secret: from an environment variable") {
  ::setenv("LLMPROBE_TEST_SECRET", "sk-env-value", 1);
  Result<std::string> r = ReadSecret(FromEnv("LLMPROBE_TEST_SECRET"));
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r.value() == "sk-env-value");

  ::setenv("LLMPROBE_TEST_SECRET", "sk-env-value\n", 1);
  CHECK(ReadSecret(FromEnv("LLMPROBE_TEST_SECRET")).value() == "sk-env-value");

  ::setenv("LLMPROBE_TEST_SECRET", "", 1);
  r = ReadSecret(FromEnv("LLMPROBE_TEST_SECRET"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "environment variable \"LLMPROBE_TEST_SECRET\" is empty");

  ::setenv("LLMPROBE_TEST_SECRET", "sk-a\nsk-b", 1);
  r = ReadSecret(FromEnv("LLMPROBE_TEST_SECRET"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() ==
        "environment variable \"LLMPROBE_TEST_SECRET\" contains control characters");

  ::unsetenv("LLMPROBE_TEST_SECRET");
  r = ReadSecret(FromEnv("LLMPROBE_TEST_SECRET"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "environment variable \"LLMPROBE_TEST_SECRET\" is not set");
}

TEST_CASE("secret: both sources at once is an error") {
  Result<std::string> r = ReadSecret(SecretRef{"/f", "E"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() ==
        "secret has both a file (\"/f\") and an environment variable (\"E\"); set only one");
}

TEST_CASE("secret: redaction of whole secrets and of prefixes cut short") {
  const std::string key = "sk-proj-AbCdEfGhIjKlMnOp";
  CHECK(RedactSecret("invalid api key " + key + " (401)", key) == "invalid api key <secret> (401)");
  // An error body cut at 200 bytes in the middle of the echoed key.
  CHECK(RedactSecret("invalid api key sk-proj-AbCdE", key) == "invalid api key <secret>");
  CHECK(RedactSecret(key + key, key) == "<secret><secret>");
  // Fewer than 8 leading characters are not the secret ("sk-proj-" alone is every key's start).
  CHECK(RedactSecret("use an sk-proj key", key) == "use an sk-proj key");
  // Short secrets only whole.
  CHECK(RedactSecret("token abc and ab", "abc") == "token <secret> and ab");
  CHECK(RedactSecret("nothing", "") == "nothing");
}

}  // namespace llmprobe
