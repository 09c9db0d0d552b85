// Small file helpers shared by the config loader and the secret reader.
#pragma once

#include <cstddef>
#include <string>

namespace llmprobe {

// Reads the whole file at `path` into `*out`. Returns 0 on success, else an errno value
// (EFBIG if the file holds more than `max_bytes`). Thread-safe.
int ReadFileText(const std::string& path, size_t max_bytes, std::string* out);

// strerror() without its shared buffer: thread-safe.
std::string ErrnoMessage(int err);

}  // namespace llmprobe
