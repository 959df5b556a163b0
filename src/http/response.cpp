#include "http/response.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace aicc::http {

void add_common_headers(Response& response) {
  response.set(bhttp::field::server, "aicc-chat");
  response.set("X-Content-Type-Options", "nosniff");
}

Response make_response(const Request& request, bhttp::status status, std::string body,
                       std::string_view content_type) {
  Response response{status, request.version()};
  add_common_headers(response);
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
  return make_response(request, status, boost::json::serialize(body), "application/json");
}

Response method_not_allowed(const Request& request, std::string_view allow) {
  Response response{bhttp::status::method_not_allowed, request.version()};
  add_common_headers(response);
  response.set(bhttp::field::allow, allow);
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  return response;
}

}  // namespace aicc::http
