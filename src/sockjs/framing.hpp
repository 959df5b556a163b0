// SockJS 0.3.3 framing, as sockjs-client 1.x speaks it (pure functions, no I/O, no clock).
//
// A SockJS server sends four kinds of frames: "o" (open), "h" (heartbeat), "a[...]" (a JSON array
// of messages) and "c[code,"reason"]" (close). Each HTTP transport wraps a frame differently
// (a newline for xhr, an EventSource event, a <script> chunk for htmlfile, a callback call for
// jsonp), and the streaming ones first write a prelude. This header also has the fixed pages
// (iframe.html, /info) and the parsing of what clients send (xhr_send, jsonp_send and SockJS
// WebSocket messages). Where the protocol test suite compares bytes, the output here matches
// sockjs-node and Spring's SockJS server byte for byte.
//
// Messages are UTF-8 text. Strings are JSON-encoded the SockJS way: normal JSON escaping plus
// \uXXXX escapes for the characters browsers mangle on the way (U+200C-U+200F, U+2028-U+202F,
// U+2060-U+206F, U+FFF0-U+FFFF, and everything past U+FFFF as an escaped UTF-16 surrogate pair).
// Invalid UTF-8 is never passed through: each maximal invalid subpart becomes U+FFFD.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace aicc::sockjs {

// Frames.

std::string open_frame();       // "o"
std::string heartbeat_frame();  // "h"
// `c[3000,"Go away!"]`; the reason is JSON-escaped.
std::string close_frame(int code, std::string_view reason);
// Appends `a["m1","m2"]`; each message is escaped as described above. An empty span gives `a[]`.
void append_message_frame(std::string& out, std::span<const std::string> messages);
std::string message_frame(std::span<const std::string> messages);

// Appends `text` as a quoted JSON string with the SockJS escapes (see the top of this file).
void append_quoted(std::string& out, std::string_view text);

// Transport wrapping of one frame.

std::string wrap_xhr(std::string_view frame);          // frame + "\n"
std::string wrap_eventsource(std::string_view frame);  // "data: " + frame + "\r\n\r\n"
// `<script>\np("<frame as a JSON string>");\n</script>\r\n`. Unlike sockjs-node, '<', '>' and
// '&' in the frame are written as \u003c, \u003e, \u0026 so that a message holding "</script>"
// cannot end the script element early.
std::string wrap_htmlfile(std::string_view frame);
// `/**/callback("<frame as a JSON string>");\r\n`. The comment in front defeats the Flash
// content-sniffing attack (sockjs-node issue 163). `callback` must pass is_valid_callback().
std::string wrap_jsonp(std::string_view callback, std::string_view frame);

// Preludes: written once at the start of a streaming response, before any frame.

std::string xhr_streaming_prelude();  // 2048 'h' and "\n", so old browsers start streaming
std::string eventsource_prelude();    // "\r\n" (an Opera bug)
// The htmlfile page head that calls `parent.<callback>`, padded with spaces past 1024 bytes
// (Safari renders nothing before that). `callback` must pass is_valid_callback().
std::string htmlfile_prelude(std::string_view callback);

// Fixed pages.

// The /iframe.html page (also /iframe-<version>.html) that loads sockjs-client from
// `sockjs_client_url` for the iframe-based transports. The URL is HTML-escaped.
std::string iframe_page(std::string_view sockjs_client_url);
// A strong, quoted entity tag for `body`, ready for the ETag header and for comparing with
// If-None-Match. A 64-bit FNV-1a hash: stable across restarts and builds, not a security measure.
std::string etag_for(std::string_view body);

// The /info answer: `{"websocket":true,"cookie_needed":false,"origins":["*:*"],"entropy":123}`.
// `entropy` must be unpredictable (util::random_u32()).
std::string info_json(bool websocket, bool cookie_needed, std::span<const std::string> origins,
                      std::uint32_t entropy);

// Validation of request parts.

// The jsonp/htmlfile callback name: 1 to 64 characters from [A-Za-z0-9_.]. sockjs-client sends
// names like "_jp.a1b2c3d".
bool is_valid_callback(std::string_view callback);
// A server id or session id taken from the URL path: 1 to 64 bytes, no '.', no '/', no ASCII
// control characters. Any other value is accepted, as the protocol requires.
bool is_valid_path_component(std::string_view component);

// Parsing what the client sends.

enum class ParseError {
  kEmpty,       // no payload, or JSON that is neither an array nor a string ("Payload expected.")
  kBrokenJson,  // not JSON, nested too deep, or an array member that is not a string
  kTooLarge,    // body over the caller's byte limit; checked before any parsing
};

// The text the protocol expects in the body of the 500 answer to a bad xhr_send or jsonp_send.
std::string_view describe(ParseError error);

// Parses an xhr_send or jsonp_send body, or one SockJS WebSocket message: a JSON array of strings
// (each one an application message; `[]` gives none) or a single JSON string (one message, as
// sockjs-node accepts on WebSockets). The returned messages are valid UTF-8; a lone UTF-16
// surrogate escape from a JavaScript client becomes U+FFFD instead of failing the whole batch.
// An empty WebSocket message gives kEmpty, which the caller should ignore (the protocol says
// empty WebSocket frames are skipped); on HTTP it is a 500 "Payload expected.".
util::Result<std::vector<std::string>, ParseError> parse_client_messages(std::string_view body,
                                                                         std::size_t max_bytes);

// The url-decoded value of the first `d` field of an application/x-www-form-urlencoded body, as
// jsonp_send posts it ("d=%5B%22x%22%5D" gives `["x"]`); empty when there is no `d` field. Pass
// the result to parse_client_messages(). Bad %-escapes are kept as they are.
std::string parse_form_payload(std::string_view form_body);

}  // namespace aicc::sockjs
