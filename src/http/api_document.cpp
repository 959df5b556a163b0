#include "http/api_document.hpp"

#include <algorithm>
#include <boost/beast/http/empty_body.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <stdexcept>

#include "http/request_id.hpp"

namespace aicc::http {

// Made by CMake from docs/openapi.json (src/http/openapi_embedded.cpp.in).
std::string_view embedded_openapi_json();

namespace {

namespace json = boost::json;

constexpr std::string_view kMethods[] = {"get",   "put",  "post",   "delete",
                                         "patch", "head", "options"};

json::array stomp_destinations(std::span<const broker::DestinationSpec> destinations) {
  json::array list;
  for (const broker::DestinationSpec& spec : destinations) {
    json::array roles;
    for (const auth::Role role : {auth::Role::kCustomer, auth::Role::kAgent, auth::Role::kAdmin}) {
      if (spec.roles.allows(role)) roles.emplace_back(auth::to_string(role));
    }
    json::object entry{{"destination", spec.name},
                       {"direction", broker::to_string(spec.direction)},
                       {"roles", std::move(roles)}};
    if (spec.direction == broker::Direction::kSend) {
      entry["rateClass"] = broker::to_string(spec.rate);
    }
    if (!spec.only.empty()) entry["only"] = spec.only;
    entry["payload"] = spec.payload;
    if (!spec.effect.empty()) entry["effect"] = spec.effect;
    if (spec.answered_by_connection) entry["answeredByConnection"] = true;
    list.push_back(std::move(entry));
  }
  return list;
}

// FNV-1a, 64 bits: the document changes only with the binary, so a content hash is a strong ETag.
std::string content_etag(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  char etag[24];
  std::snprintf(etag, sizeof etag, "\"%016llx\"", static_cast<unsigned long long>(hash));
  return etag;
}

}  // namespace

ApiDocument::ApiDocument(std::string_view document,
                         std::span<const broker::DestinationSpec> destinations) {
  boost::system::error_code error;
  json::value parsed = json::parse(document, error);
  if (error || !parsed.is_object()) {
    throw std::runtime_error("the OpenAPI document is not a JSON object: " + error.message());
  }
  json::object& root = parsed.as_object();
  if (const json::value* paths = root.if_contains("paths");
      paths != nullptr && paths->is_object()) {
    for (const auto& [path, item] : paths->as_object()) {
      if (!item.is_object() || item.as_object().contains("x-served-by")) continue;
      for (const std::string_view method : kMethods) {
        const json::value* operation = item.as_object().if_contains(method);
        if (operation == nullptr) continue;
        // An operation answered before routing (the CORS preflights) is marked on its own.
        if (operation->is_object() && operation->as_object().contains("x-served-by")) continue;
        std::string upper(method);
        std::transform(upper.begin(), upper.end(), upper.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        operations_.push_back({std::move(upper), std::string(path)});
      }
    }
  }
  std::sort(operations_.begin(), operations_.end());
  root["x-stomp-destinations"] = stomp_destinations(destinations);
  json_ = json::serialize(parsed);
  etag_ = content_etag(json_);
}

ApiDocument ApiDocument::embedded(std::span<const broker::DestinationSpec> destinations) {
  return ApiDocument(embedded_openapi_json(), destinations);
}

std::vector<std::string> ApiDocument::mismatches(const std::vector<RouteName>& routes) const {
  std::vector<RouteName> served = routes;
  std::sort(served.begin(), served.end());
  std::vector<std::string> lines;
  for (const RouteName& route : served) {
    if (!std::binary_search(operations_.begin(), operations_.end(), route)) {
      lines.push_back("route " + route.method + " " + route.path +
                      " is not documented in docs/openapi.json: add its operation");
    }
  }
  for (const RouteName& operation : operations_) {
    if (!std::binary_search(served.begin(), served.end(), operation)) {
      lines.push_back("docs/openapi.json documents " + operation.method + " " + operation.path +
                      ", which no route serves (or mark its path item with x-served-by)");
    }
  }
  return lines;
}

void ApiDocument::add_route(Router& router) const {
  router.add(bhttp::verb::get, "/api/openapi.json", [this](const Request& request) {
    if (request[bhttp::field::if_none_match] == etag_) {
      Response response{bhttp::status::not_modified, request.version()};
      add_common_headers(response, request);
      response.set(bhttp::field::etag, etag_);
      response.set(bhttp::field::cache_control, "no-cache");
      response.keep_alive(request.keep_alive());
      return bhttp::message_generator(std::move(response));
    }
    // Revalidated on every use, so a new version shows at once; unchanged, it costs a 304.
    if (request.method() == bhttp::verb::head) {
      bhttp::response<bhttp::empty_body> response{bhttp::status::ok, request.version()};
      response.set(bhttp::field::server, "aicc-chat");
      response.set("X-Content-Type-Options", "nosniff");
      response.set(kRequestIdField, request_id_of(request));
      response.set(bhttp::field::content_type, "application/json");
      response.set(bhttp::field::etag, etag_);
      response.set(bhttp::field::cache_control, "no-cache");
      response.content_length(json_.size());
      response.keep_alive(request.keep_alive());
      return bhttp::message_generator(std::move(response));
    }
    Response response = make_response(request, bhttp::status::ok, json_, "application/json");
    response.set(bhttp::field::etag, etag_);
    response.set(bhttp::field::cache_control, "no-cache");
    return bhttp::message_generator(std::move(response));
  });
}

}  // namespace aicc::http
