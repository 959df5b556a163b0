#include "util/random.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace aicc::util {

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (count > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("the system random number generator failed");
  }
  return out;
}

std::string random_hex(std::size_t count) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const std::string bytes = random_bytes(count);
  std::string out;
  out.reserve(count * 2);
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::uint32_t random_u32() {
  const std::string bytes = random_bytes(4);
  return (std::uint32_t(std::uint8_t(bytes[0])) << 24) |
         (std::uint32_t(std::uint8_t(bytes[1])) << 16) |
         (std::uint32_t(std::uint8_t(bytes[2])) << 8) | std::uint32_t(std::uint8_t(bytes[3]));
}

std::string time_ordered_id(std::string_view prefix, std::int64_t unix_ms) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string id(prefix);
  const auto ms = static_cast<std::uint64_t>(unix_ms < 0 ? 0 : unix_ms);
  for (int shift = 40; shift >= 0; shift -= 4) id.push_back(kDigits[(ms >> shift) & 0xf]);
  id += random_hex(8);
  return id;
}

}  // namespace aicc::util
