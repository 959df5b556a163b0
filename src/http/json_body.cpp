#include "http/json_body.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace aicc::http {

namespace json = boost::json;

util::Result<json::object, BodyRefusal> parse_object_body(std::string_view body,
                                                          std::size_t max_bytes) {
  if (body.size() > max_bytes) {
    return util::unexpected(BodyRefusal{
        413, "too_large", "request body over " + std::to_string(max_bytes / 1024) + " KiB"});
  }
  if (body.empty()) return json::object{};
  boost::system::error_code error;
  json::parse_options options;
  options.max_depth = kMaxBodyDepth;
  json::value value = json::parse(body, error, {}, options);
  if (error || !value.is_object()) {
    return util::unexpected(BodyRefusal{400, "bad_request", "body must be a JSON object"});
  }
  return std::move(value.as_object());
}

util::Result<std::optional<std::string>, BodyRefusal> string_member(const json::object& body,
                                                                    std::string_view name) {
  const json::value* member = body.if_contains(name);
  if (member == nullptr || member->is_null()) return std::optional<std::string>();
  if (!member->is_string()) {
    return util::unexpected(
        BodyRefusal{400, "bad_request", "\"" + std::string(name) + "\" must be a string"});
  }
  return std::optional<std::string>(std::string(member->as_string()));
}

}  // namespace aicc::http
