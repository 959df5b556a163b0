// STOMP frame encoder (sans-I/O): frames in, bytes out.
#pragma once

#include <string>
#include <string_view>

#include "stomp/frame.hpp"

namespace aicc::stomp {

// Escapes a header name or value for `version` (1.0: unchanged; 1.1: \\ \n \c; 1.2: also \r).
void append_escaped(std::string& out, std::string_view text, Version version);

// True when `text` needs no escaping in any version, so one encoding serves all clients.
bool is_escape_free(std::string_view text);

// Appends the wire form of `frame`: command, headers (escaped for `version`, except on CONNECTED
// and CONNECT/STOMP, which the spec leaves unescaped and the decoder never unescapes), a blank
// line, the body and the NUL terminator. When the frame has a body and no content-length header,
// one is added so bodies may hold NUL bytes.
void encode(std::string& out, const Frame& frame, Version version);
std::string encode(const Frame& frame, Version version);

}  // namespace aicc::stomp
