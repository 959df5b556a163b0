// Correlation ids of HTTP requests: a proxy's plain id is kept, anything else replaced, and every
// response built from the request names it (the header, and requestId in error bodies).
#include "http/request_id.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <regex>
#include <set>
#include <string>

namespace aicc::http {
namespace {

Request get_with_id(std::string_view id) {
  Request request(bhttp::verb::get, "/health", 11);
  if (!id.empty()) request.set(kRequestIdField, id);
  return request;
}

bool made_here(std::string_view id) {
  static const std::regex shape("r[0-9a-f]{16}");
  return std::regex_match(std::string(id), shape);
}

TEST(RequestId, APlainIdFromAProxyIsKept) {
  for (std::string_view id : {"abc", "haproxy-7f3a:0001", "A.B_C-D:E", "x"}) {
    Request request = get_with_id(id);
    EXPECT_EQ(assign_request_id(request), id);
    EXPECT_EQ(request_id_of(request), id);
  }
  const std::string longest(64, 'a');
  Request request = get_with_id(longest);
  EXPECT_EQ(assign_request_id(request), longest);
}

TEST(RequestId, AnythingElseIsReplacedByANewId) {
  for (std::string_view id :
       {"", "a b", "<script>", "id\xc3\xa9", "a;b", "a/b", "\"quoted\"", "tab\there", "%0d%0a"}) {
    Request request = get_with_id(id);
    const std::string assigned = assign_request_id(request);
    EXPECT_TRUE(made_here(assigned)) << id << " -> " << assigned;
    EXPECT_EQ(request_id_of(request), assigned);
  }
  Request too_long = get_with_id(std::string(65, 'a'));
  EXPECT_TRUE(made_here(assign_request_id(too_long)));
}

TEST(RequestId, NewIdsDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    Request request = get_with_id("");
    seen.insert(assign_request_id(request));
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(RequestId, EveryResponseBuiltFromTheRequestNamesIt) {
  Request request = get_with_id("support-42");
  assign_request_id(request);
  const Response ok = make_response(request, bhttp::status::ok, "{}", "application/json");
  EXPECT_EQ(ok[kRequestIdField], "support-42");
  const Response refused =
      error_response(request, bhttp::status::not_found, "not_found", "no such thing");
  EXPECT_EQ(refused[kRequestIdField], "support-42");
  const auto body = boost::json::parse(refused.body()).as_object();
  EXPECT_EQ(body.at("requestId").as_string(), "support-42");
  EXPECT_EQ(body.at("error").as_string(), "not_found");
  EXPECT_EQ(method_not_allowed(request, "GET")[kRequestIdField], "support-42");

  // A request that never got one (built by hand) gives responses without it.
  const Request bare(bhttp::verb::get, "/", 11);
  const Response plain = error_response(bare, bhttp::status::bad_request, "bad_request", "x");
  EXPECT_EQ(plain.count(kRequestIdField), 0u);
  EXPECT_FALSE(boost::json::parse(plain.body()).as_object().contains("requestId"));
}

}  // namespace
}  // namespace aicc::http
