#include "config/FileText.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

namespace llmprobe {
namespace {

// strerror_r is the GNU variant (returns char*) under glibc with _GNU_SOURCE, the XSI one
// (returns int, fills buf) elsewhere; overloads pick the right reading of either.
[[maybe_unused]] const char* StrerrorResult(const char* result, const char* /*buf*/) {
  return result;
}
[[maybe_unused]] const char* StrerrorResult(int result, const char* buf) {
  return result == 0 ? buf : "unknown error";
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

std::string ResolveConfigPath(const std::string& base_dir, const std::string& file) {
  if (base_dir.empty() || std::filesystem::path(file).is_absolute()) return file;
  std::string joined = (std::filesystem::path(base_dir) / file).lexically_normal().string();
  if (joined.size() > 1 && joined.back() == '/') joined.pop_back();
  return joined;
}

bool HasControlChar(std::string_view s, bool allow_tab) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && !(allow_tab && c == '\t')) || u == 0x7f) return true;
  }
  return false;
}

std::string ErrnoMessage(int err) {
  char buf[256] = {};
  return StrerrorResult(strerror_r(err, buf, sizeof(buf)), buf);
}

int ReadFileText(const std::string& path, size_t max_bytes, std::string* out) {
  out->clear();
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return errno != 0 ? errno : EIO;
  char buf[8192];
  for (;;) {
    const size_t n = std::fread(buf, 1, sizeof(buf), file.get());
    out->append(buf, n);
    if (out->size() > max_bytes) {
      out->clear();
      return EFBIG;
    }
    if (n < sizeof(buf)) break;
  }
  // fopen() succeeds on a directory; the read then fails with EISDIR.
  if (std::ferror(file.get())) {
    out->clear();
    return errno != 0 ? errno : EIO;
  }
  return 0;
}

}  // namespace llmprobe
