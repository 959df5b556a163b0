// Building HTTP responses: JSON bodies, the PROTOCOL.md error shape, plain text.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <string_view>

namespace aicc::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

// A response to `request` (same HTTP version and keep-alive) with a body and content type.
Response make_response(const Request& request, bhttp::status status, std::string body,
                       std::string_view content_type);
// `{"error": code, "message": message}` with `status`.
Response error_response(const Request& request, bhttp::status status, std::string_view code,
                        std::string_view message);
// 405 with `Allow: <allow>` and no body: the Allow header is the answer (RFC 9110 section
// 15.5.6), and the SockJS protocol suite wants no body and no content type on its 405s.
Response method_not_allowed(const Request& request, std::string_view allow);
// Adds the headers every response carries (server name, nosniff).
void add_common_headers(Response& response);

}  // namespace aicc::http
