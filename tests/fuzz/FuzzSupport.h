// Helpers shared by the libFuzzer targets in this directory: a check that aborts with a message
// (so that libFuzzer reports it as a crash and saves the input), and deterministic ways to split
// an input into pieces, so that each target can check that feeding the bytes whole, in pieces
// and one byte at a time gives the same result.
//
// The split points are derived from a hash of the input rather than read from it: the inputs
// stay plain response bodies / documents, so the test fixtures work unchanged as seeds and a
// crashing input is readable as-is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

// Aborts (a crash to libFuzzer, which then saves the input) when `cond` is false.
#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace llmprobe::fuzz {

// Inputs up to this size are also fed one byte at a time (cost grows with the size).
constexpr size_t kMaxBytewiseInput = 16 * 1024;

// FNV-1a over the input: the seed of the split points and of the small limits.
inline uint64_t Hash(std::string_view data) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// splitmix64: a small, good enough generator for split lengths.
inline uint64_t Next(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// `data` cut into pieces of 1..max_piece bytes, lengths drawn from `seed`.
inline std::vector<std::string_view> RandomSplit(std::string_view data, uint64_t seed,
                                                 size_t max_piece) {
  std::vector<std::string_view> pieces;
  uint64_t state = seed;
  while (!data.empty()) {
    const size_t n = 1 + static_cast<size_t>(Next(&state) % max_piece);
    pieces.push_back(data.substr(0, n));
    data.remove_prefix(pieces.back().size());
  }
  return pieces;
}

// `data` one byte per piece.
inline std::vector<std::string_view> Bytewise(std::string_view data) {
  std::vector<std::string_view> pieces;
  pieces.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) pieces.push_back(data.substr(i, 1));
  return pieces;
}

// The splits every target compares with feeding `data` whole: random pieces of up to 7 and up
// to 300 bytes, and one byte at a time for inputs up to kMaxBytewiseInput.
inline std::vector<std::vector<std::string_view>> Splits(std::string_view data) {
  const uint64_t h = Hash(data);
  std::vector<std::vector<std::string_view>> splits;
  splits.push_back(RandomSplit(data, h, 7));
  splits.push_back(RandomSplit(data, h ^ 0x5555, 300));
  if (data.size() <= kMaxBytewiseInput) splits.push_back(Bytewise(data));
  return splits;
}

inline std::string_view AsView(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace llmprobe::fuzz
