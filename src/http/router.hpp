// Maps method + exact path to a handler; everything else under GET/HEAD is a static file.
// Handlers that wait (database, password hashing) are coroutines (add_async); the rest answer at
// once (add).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message_generator.hpp>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/response.hpp"
#include "http/static_files.hpp"

namespace aicc::http {

// Who sent a request, as far as the server can tell.
struct RequestInfo {
  std::string remote_address;  // the peer, or the first X-Forwarded-For hop with server.trust-proxy
  bool secure = false;         // served over TLS (X-Forwarded-Proto: https with server.trust-proxy)
};

// A route as documented: its method and path template ("/api/customers/{id}/context").
struct RouteName {
  std::string method;  // "GET", "POST", ...
  std::string path;
  auto operator<=>(const RouteName&) const = default;
};

class Router {
 public:
  using Handler = std::function<bhttp::message_generator(const Request&)>;
  using AsyncHandler = std::function<boost::asio::awaitable<bhttp::message_generator>(
      const Request&, const RequestInfo&)>;

  explicit Router(StaticFiles static_files) : static_files_(std::move(static_files)) {}

  void add(bhttp::verb method, std::string path, Handler handler);
  void add_async(bhttp::verb method, std::string path, AsyncHandler handler);
  // Every path that starts with `prefix` (e.g. "/api/conversations/"), after the exact routes.
  // `path_template` is how the document names what the handler serves under it
  // ("/api/conversations/{id}/messages").
  void add_prefix_async(bhttp::verb method, std::string prefix, std::string path_template,
                        AsyncHandler handler);
  // The same, for a handler that serves several operations under its prefix
  // ("/api/admin/users/{id}/disable", ".../enable", ...).
  void add_prefix_async(bhttp::verb method, std::string prefix,
                        std::vector<std::string> path_templates, AsyncHandler handler);
  // Every route, exact and by prefix, as the API document must name it (http/api_document.hpp).
  std::vector<RouteName> routes() const;
  // `request` must outlive the returned coroutine. A handler that throws is answered 503
  // `store_unavailable` (and logged).
  boost::asio::awaitable<bhttp::message_generator> handle(const Request& request,
                                                          const RequestInfo& info) const;

 private:
  boost::asio::awaitable<bhttp::message_generator> dispatch(const Request& request,
                                                            const RequestInfo& info) const;
  bhttp::message_generator handle_unrouted(const Request& request, const std::string& path) const;

  std::map<std::pair<std::string, bhttp::verb>, AsyncHandler, std::less<>> routes_;
  std::vector<std::pair<std::pair<std::string, bhttp::verb>, AsyncHandler>> prefix_routes_;
  std::vector<RouteName> prefix_names_;  // the path templates of prefix_routes_
  StaticFiles static_files_;
};

// The path part of a request target ("/a/b?x=1" -> "/a/b").
std::string_view target_path(std::string_view target);
// The raw (not %-decoded) value of query parameter `name`; empty when absent.
std::string_view query_param(std::string_view target, std::string_view name);

}  // namespace aicc::http
