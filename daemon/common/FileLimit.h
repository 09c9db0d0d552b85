// The process's open-file limit. Thread-safe (setrlimit is process-wide; call it early).
#pragma once

#include <cstdint>

namespace llmprobe {

// Raises the soft RLIMIT_NOFILE to the hard limit (children inherit it): thousands of streams
// need more descriptors than the usual soft limit of 1024. Returns the new soft limit, or -1
// if it cannot be read.
int64_t RaiseOpenFileLimit();

}  // namespace llmprobe
