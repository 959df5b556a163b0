#include "http/router.hpp"

namespace aicc::http {

std::string_view target_path(std::string_view target) { return target.substr(0, target.find('?')); }

void Router::add(bhttp::verb method, std::string path, Handler handler) {
  routes_[{std::move(path), method}] = std::move(handler);
}

bhttp::message_generator Router::handle(const Request& request) const {
  const std::string path(target_path(request.target()));
  const bhttp::verb method = request.method() == bhttp::verb::head ? bhttp::verb::get : request.method();
  if (auto it = routes_.find(std::make_pair(path, method)); it != routes_.end()) return it->second(request);

  std::string allowed;
  for (const auto& [key, handler] : routes_) {
    if (key.first != path) continue;
    if (!allowed.empty()) allowed += ", ";
    allowed += std::string(bhttp::to_string(key.second));
  }
  if (!allowed.empty()) {
    Response response = error_response(request, bhttp::status::method_not_allowed, "method_not_allowed",
                                       "this path does not accept " + std::string(request.method_string()));
    response.set(bhttp::field::allow, allowed);
    return response;
  }
  if (path.starts_with("/api/")) {
    return error_response(request, bhttp::status::not_found, "not_found", "no such API endpoint");
  }
  if (method != bhttp::verb::get) {
    Response response = error_response(request, bhttp::status::method_not_allowed, "method_not_allowed",
                                       "static files accept GET and HEAD only");
    response.set(bhttp::field::allow, "GET, HEAD");
    return response;
  }
  return static_files_.serve(request);
}

}  // namespace aicc::http
