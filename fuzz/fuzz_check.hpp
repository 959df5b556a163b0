// What every fuzzer shares: FUZZ_CHECK, an invariant that aborts with its text when it breaks, so
// that libFuzzer keeps the input that broke it as a crash.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(condition)                                                     \
  do {                                                                            \
    if (!(condition)) {                                                           \
      std::fprintf(stderr, "check failed: %s (line %d)\n", #condition, __LINE__); \
      std::abort();                                                               \
    }                                                                             \
  } while (false)

namespace aicc::fuzz {

// FNV-1a over `bytes`: a value derived from the whole input, to pick split positions and keys so
// that every choice stays reachable by mutation.
inline std::uint32_t hash_of(std::string_view bytes) {
  std::uint32_t hash = 2166136261u;
  for (const char c : bytes) hash = (hash ^ static_cast<std::uint8_t>(c)) * 16777619u;
  return hash;
}

}  // namespace aicc::fuzz
