// Unpredictable bytes and identifiers from OpenSSL's CSPRNG.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace aicc::util {

std::string random_bytes(std::size_t count);
// `count` random bytes as lowercase hex (2 * count characters).
std::string random_hex(std::size_t count);
std::uint32_t random_u32();
// An id that sorts by the time it was made: `prefix`, the milliseconds `unix_ms` as 11 hex digits,
// then 64 random bits as 16. Stored ids of this kind go to the right edge of their index, so a
// transaction of many new rows dirties one index page, not one per row.
std::string time_ordered_id(std::string_view prefix, std::int64_t unix_ms);

}  // namespace aicc::util
