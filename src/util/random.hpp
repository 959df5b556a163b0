// Unpredictable bytes and identifiers from OpenSSL's CSPRNG.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace aicc::util {

std::string random_bytes(std::size_t count);
// `count` random bytes as lowercase hex (2 * count characters).
std::string random_hex(std::size_t count);
std::uint32_t random_u32();

}  // namespace aicc::util
