// Base64 (RFC 4648 section 4) and base64url without padding (section 5), as JWT and SockJS use.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aicc::util {

std::string base64_encode(std::string_view bytes);
std::string base64url_encode(std::string_view bytes);  // no '=' padding
// Accepts base64url with or without padding; nullopt on any other character.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace aicc::util
