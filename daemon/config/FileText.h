// Small file helpers shared by the config loader, the secret reader and the web config.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace llmprobe {

// Reads the whole file at `path` into `*out`. Returns 0 on success, else an errno value
// (EFBIG if the file holds more than `max_bytes`). Thread-safe.
int ReadFileText(const std::string& path, size_t max_bytes, std::string* out);

// `file` as written in a config file in `base_dir`: absolute paths (and any path when base_dir
// is empty) as they are, relative ones joined to base_dir and normalised, without a trailing
// '/' ("." names base_dir itself).
std::string ResolveConfigPath(const std::string& base_dir, const std::string& file);

// True if `s` holds an ASCII control character (below 0x20, or DEL), a tab excepted when
// `allow_tab`. Such bytes would corrupt or split an HTTP header or a log line.
bool HasControlChar(std::string_view s, bool allow_tab = false);

// strerror() without its shared buffer: thread-safe.
std::string ErrnoMessage(int err);

}  // namespace llmprobe
