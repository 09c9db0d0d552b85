// Timing assertions in sanitizer builds.
//
// ASan and TSan builds run several times slower (TSan 5-15x) and their scheduling is not the
// product's: there the test suite checks behaviour (outcomes, counts, token accounting, memory
// and thread errors), not timing precision. Precision is checked by the plain gcc and clang
// builds. TIMING_CHECK is a CHECK in plain builds and does not evaluate its condition in
// sanitizer builds; kTimingSlack widens bounds that still mean something there (a request must
// end at all, a deadline must not fire early).
#pragma once

#include <doctest/doctest.h>

namespace llmprobe::testing {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitizedBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif
#else
inline constexpr bool kSanitizedBuild = false;
#endif

// Factor for timing bounds: 1 in plain builds, 10 in sanitizer builds.
inline constexpr double kTimingSlack = kSanitizedBuild ? 10.0 : 1.0;

}  // namespace llmprobe::testing

#define TIMING_CHECK(...)                                  \
  do {                                                     \
    if constexpr (!::llmprobe::testing::kSanitizedBuild) { \
      CHECK(__VA_ARGS__);                                  \
    }                                                      \
  } while (false)
