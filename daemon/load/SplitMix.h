// splitmix64's finalizer: a cheap, well-mixed 64-bit hash. Prompt nonces, word choices and
// length draws are Mix(seed, n) of a request's sequence number n, so they need no shared random
// state (no lock) and repeat exactly for a given seed.
#pragma once

#include <cstdint>

namespace llmprobe {

inline uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Draw `n` of stream `stream` under `seed`.
inline uint64_t Mix(uint64_t seed, uint64_t stream, uint64_t n) {
  return Mix(seed ^ Mix(stream ^ Mix(n)));
}

// A double in [0, 1) from 53 of the bits.
inline double UnitInterval(uint64_t bits) {
  return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace llmprobe
