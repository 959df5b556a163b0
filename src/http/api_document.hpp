// The HTTP API described: docs/openapi.json (OpenAPI 3.1), compiled into the binary, with the
// STOMP destinations of broker/destination_catalog.hpp added as `x-stomp-destinations`, served at
// GET /api/openapi.json with a validator (ETag) like the static files.
//
// The server refuses to start when its routes and the document disagree (a route the document
// lacks, or a documented operation no route serves), naming each: the document is part of the
// build, so a forgotten operation fails every test run instead of going unnoticed. Path items
// served outside the Router (pages, WebSocket and SockJS endpoints) say so with `x-served-by`.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "broker/destination_catalog.hpp"
#include "http/router.hpp"

namespace aicc::http {

class ApiDocument {
 public:
  // `document`: the OpenAPI JSON text. Throws std::runtime_error when it is not a JSON object.
  ApiDocument(std::string_view document, std::span<const broker::DestinationSpec> destinations);

  // The document as compiled in from docs/openapi.json.
  static ApiDocument embedded(std::span<const broker::DestinationSpec> destinations);

  // Where `routes` and the document's operations differ, one line each (empty: they agree).
  std::vector<std::string> mismatches(const std::vector<RouteName>& routes) const;

  // GET /api/openapi.json. The document must outlive the router.
  void add_route(Router& router) const;

  const std::string& json() const { return json_; }
  const std::string& etag() const { return etag_; }

 private:
  std::string json_;                   // served as is
  std::string etag_;                   // a strong validator of json_
  std::vector<RouteName> operations_;  // the operations of paths the Router serves
};

}  // namespace aicc::http
