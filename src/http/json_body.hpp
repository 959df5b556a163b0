// The JSON request bodies of the HTTP API, parsed without a server (pure): the shape every route
// that takes a JSON object shares, so that the fuzzer and the tests reach it directly.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace aicc::http {

// Why a body was refused, as the HTTP answer says it.
struct BodyRefusal {
  unsigned status = 400;  // 400, or 413 for a body over the limit
  std::string code;       // "bad_request" or "too_large"
  std::string message;    // for people: what the body should have been
};

inline constexpr int kMaxBodyDepth = 8;  // nesting of a JSON body; deeper is refused while parsing

// A body as a JSON object: an empty body is an empty object; more than `max_bytes` bytes (checked
// before parsing), invalid JSON or UTF-8, nesting past kMaxBodyDepth, or any other JSON value is
// refused.
util::Result<boost::json::object, BodyRefusal> parse_object_body(std::string_view body,
                                                                 std::size_t max_bytes);

// A string member of `body`: nullopt when absent or null, a refusal naming it when it is of
// another type.
util::Result<std::optional<std::string>, BodyRefusal> string_member(const boost::json::object& body,
                                                                    std::string_view name);

}  // namespace aicc::http
