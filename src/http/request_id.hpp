// The correlation id of an HTTP request, for following it through the logs and for support: the
// id a proxy in front set (X-Request-Id: HAProxy's unique-id-header, nginx's $request_id) when it
// is a plain token of at most 64 characters, else a new one ("r" and 16 hex digits). It is kept in
// the request's own X-Request-Id header, so every response built from the request carries it back
// (http/response.cpp: the header, and "requestId" in error bodies) and every log line about the
// request can name it.
#pragma once

#include <string>
#include <string_view>

#include "http/response.hpp"

namespace aicc::http {

inline constexpr std::string_view kRequestIdField = "X-Request-Id";

// Keeps a usable X-Request-Id of `request` or replaces it with a new one; returns it.
std::string assign_request_id(Request& request);

// The id assign_request_id gave `request`; empty when it had none.
std::string_view request_id_of(const Request& request);

}  // namespace aicc::http
