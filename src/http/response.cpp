#include "http/response.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "http/cors.hpp"
#include "http/request_id.hpp"

namespace aicc::http {

void add_common_headers(Response& response) {
  response.set(bhttp::field::server, "aicc-chat");
  response.set("X-Content-Type-Options", "nosniff");
}

void add_common_headers(Response& response, const Request& request) {
  add_common_headers(response);
  if (const std::string_view id = request_id_of(request); !id.empty()) {
    response.set(kRequestIdField, id);
  }
  add_cors_headers(response, request);
}

Response make_response(const Request& request, bhttp::status status, std::string body,
                       std::string_view content_type) {
  Response response{status, request.version()};
  add_common_headers(response, request);
  response.set(bhttp::field::content_type, content_type);
  response.set(bhttp::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response error_response(const Request& request, bhttp::status status, std::string_view code,
                        std::string_view message) {
  boost::json::object body;
  body["error"] = code;
  body["message"] = message;
  // What a user can quote to support, and what the server's log lines about it name.
  if (const std::string_view id = request_id_of(request); !id.empty()) body["requestId"] = id;
  return make_response(request, status, boost::json::serialize(body), "application/json");
}

Response method_not_allowed(const Request& request, std::string_view allow) {
  Response response{bhttp::status::method_not_allowed, request.version()};
  add_common_headers(response, request);
  response.set(bhttp::field::allow, allow);
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  return response;
}

}  // namespace aicc::http
