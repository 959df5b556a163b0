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

// A response to `request` (same HTTP version, keep-alive and X-Request-Id) with a body and content
// type.
Response make_response(const Request& request, bhttp::status status, std::string body,
                       std::string_view content_type);
// `{"error": code, "message": message, "requestId": ...}` with `status` (requestId: the request's
// correlation id, http/request_id.hpp, when it has one).
Response error_response(const Request& request, bhttp::status status, std::string_view code,
                        std::string_view message);
// 405 with `Allow: <allow>` and no body: the Allow header is the answer (RFC 9110 section
// 15.5.6), and the SockJS protocol suite wants no body and no content type on its 405s.
Response method_not_allowed(const Request& request, std::string_view allow);
// Adds the headers every response carries (server name, nosniff), and with `request` its
// X-Request-Id and, for an allowed cross-origin request, the CORS headers (http/cors.hpp).
void add_common_headers(Response& response);
void add_common_headers(Response& response, const Request& request);

}  // namespace aicc::http
