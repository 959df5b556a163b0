#include "http/router.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "http/request_id.hpp"
#include "log/rate_limited.hpp"

namespace asio = boost::asio;

namespace aicc::http {

std::string_view target_path(std::string_view target) { return target.substr(0, target.find('?')); }

std::string_view query_param(std::string_view target, std::string_view name) {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return {};
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

void Router::add(bhttp::verb method, std::string path, Handler handler) {
  routes_[{std::move(path), method}] =
      [handler = std::move(handler)](
          const Request& request, const RequestInfo&) -> asio::awaitable<bhttp::message_generator> {
    co_return handler(request);
  };
}

void Router::add_async(bhttp::verb method, std::string path, AsyncHandler handler) {
  routes_[{std::move(path), method}] = std::move(handler);
}

void Router::add_prefix_async(bhttp::verb method, std::string prefix, std::string path_template,
                              AsyncHandler handler) {
  add_prefix_async(method, std::move(prefix), std::vector<std::string>{std::move(path_template)},
                   std::move(handler));
}

void Router::add_prefix_async(bhttp::verb method, std::string prefix,
                              std::vector<std::string> path_templates, AsyncHandler handler) {
  for (std::string& path_template : path_templates)
    prefix_names_.push_back({std::string(bhttp::to_string(method)), std::move(path_template)});
  prefix_routes_.emplace_back(std::pair{std::move(prefix), method}, std::move(handler));
}

std::vector<RouteName> Router::routes() const {
  std::vector<RouteName> names = prefix_names_;
  for (const auto& [key, handler] : routes_) {
    names.push_back({std::string(bhttp::to_string(key.second)), key.first});
  }
  std::sort(names.begin(), names.end());
  return names;
}

asio::awaitable<bhttp::message_generator> Router::handle(const Request& request,
                                                         const RequestInfo& info) const {
  // A handler that throws (a store or Redis out of reach, a bug) still gets its client an answer
  // that says so, instead of a dropped connection.
  std::string failure;
  try {
    co_return co_await dispatch(request, info);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  // One line per path and 10 s: an outage fails every request the same way.
  static log::RateLimitedLog failures(std::chrono::seconds(10));
  const std::string path(target_path(request.target()));
  if (const auto left_out = failures.admit(path, log::RateLimitedLog::Clock::now())) {
    spdlog::error(
        "HTTP {} {} failed: {} request={} (same failure left out since the last line: {})",
        std::string(request.method_string()), path, failure, request_id_of(request), *left_out);
  }
  co_return error_response(request, bhttp::status::service_unavailable, "store_unavailable",
                           "the server could not complete this request: a store it needs could "
                           "not be reached; retry shortly");
}

asio::awaitable<bhttp::message_generator> Router::dispatch(const Request& request,
                                                           const RequestInfo& info) const {
  const std::string path(target_path(request.target()));
  const bhttp::verb method =
      request.method() == bhttp::verb::head ? bhttp::verb::get : request.method();
  if (auto it = routes_.find(std::make_pair(path, method)); it != routes_.end()) {
    co_return co_await it->second(request, info);
  }
  for (const auto& [key, handler] : prefix_routes_) {
    if (key.second == method && path.starts_with(key.first))
      co_return co_await handler(request, info);
  }
  co_return handle_unrouted(request, path);
}

bhttp::message_generator Router::handle_unrouted(const Request& request,
                                                 const std::string& path) const {
  const bhttp::verb method =
      request.method() == bhttp::verb::head ? bhttp::verb::get : request.method();
  std::string allowed;
  for (const auto& [key, handler] : routes_) {
    if (key.first != path) continue;
    if (!allowed.empty()) allowed += ", ";
    allowed += std::string(bhttp::to_string(key.second));
  }
  if (!allowed.empty()) {
    Response response =
        error_response(request, bhttp::status::method_not_allowed, "method_not_allowed",
                       "this path does not accept " + std::string(request.method_string()));
    response.set(bhttp::field::allow, allowed);
    return response;
  }
  if (path.starts_with("/api/")) {
    return error_response(request, bhttp::status::not_found, "not_found", "no such API endpoint");
  }
  if (method != bhttp::verb::get) {
    Response response =
        error_response(request, bhttp::status::method_not_allowed, "method_not_allowed",
                       "static files accept GET and HEAD only");
    response.set(bhttp::field::allow, "GET, HEAD");
    return response;
  }
  return static_files_.serve(request);
}

}  // namespace aicc::http
