#include "http/request_checks.hpp"

#include <gtest/gtest.h>

namespace aicc::http {
namespace {

Request json_post(std::string body, std::string content_type) {
  Request request(bhttp::verb::post, "/api/auth/login", 11);
  request.set(bhttp::field::host, "chat.example");
  if (!content_type.empty()) request.set(bhttp::field::content_type, content_type);
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

TEST(JsonMediaType, AcceptsApplicationJsonWithParametersInAnyCase) {
  EXPECT_TRUE(is_json_media_type("application/json"));
  EXPECT_TRUE(is_json_media_type("application/json; charset=utf-8"));
  EXPECT_TRUE(is_json_media_type("Application/JSON"));
  EXPECT_TRUE(is_json_media_type(" application/json ;charset=UTF-8"));
  EXPECT_FALSE(is_json_media_type(""));
  EXPECT_FALSE(is_json_media_type("text/plain"));
  EXPECT_FALSE(is_json_media_type("text/plain; charset=application/json"));
  EXPECT_FALSE(is_json_media_type("application/x-www-form-urlencoded"));
  EXPECT_FALSE(is_json_media_type("multipart/form-data; boundary=x"));
  EXPECT_FALSE(is_json_media_type("application/jsonp"));
}

TEST(RefuseNonJson, ABodyOfAnotherTypeGets415SayingWhy) {
  const auto refused =
      refuse_non_json(json_post(R"({"username":"a","password":"b"})", "text/plain"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result(), bhttp::status::unsupported_media_type);
  EXPECT_NE(refused->body().find("\"error\":\"unsupported_media_type\""), std::string::npos);
  EXPECT_NE(refused->body().find("text/plain"), std::string::npos);
  EXPECT_TRUE(refuse_non_json(json_post("{}", "")));
  EXPECT_FALSE(refuse_non_json(json_post("{}", "application/json")));
  // No body needs no type.
  EXPECT_FALSE(refuse_non_json(json_post("", "")));
  EXPECT_FALSE(refuse_non_json(json_post("", "text/plain")));
}

const std::vector<std::string> kNone;
const std::vector<std::string> kShop = {"https://shop.example"};
const std::vector<std::string> kAny = {"*"};

TEST(CrossSite, RequestsWithoutBrowserHeadersAndFromOurOwnOriginPass) {
  EXPECT_EQ(cross_site_reason("", "", "chat.example", kNone), "");
  EXPECT_EQ(cross_site_reason("https://chat.example", "same-origin", "chat.example", kNone), "");
  EXPECT_EQ(
      cross_site_reason("http://chat.example:8080", "same-origin", "chat.example:8080", kShop), "");
  EXPECT_EQ(cross_site_reason("", "none", "chat.example", kNone), "");
}

TEST(CrossSite, AnotherOriginIsRefusedUnlessListedExactly) {
  EXPECT_NE(cross_site_reason("https://evil.example", "cross-site", "chat.example", kNone), "");
  EXPECT_NE(cross_site_reason("https://evil.example", "", "chat.example", kShop), "");
  EXPECT_NE(cross_site_reason("null", "cross-site", "chat.example", kNone), "");
  EXPECT_EQ(cross_site_reason("https://shop.example", "cross-site", "chat.example", kShop), "");
  // "*" opens WebSockets to every site, never the cookie.
  EXPECT_NE(cross_site_reason("https://evil.example", "cross-site", "chat.example", kAny), "");
  // A same-site neighbour (another subdomain) is another origin too.
  EXPECT_NE(cross_site_reason("https://blog.chat.example", "same-site", "chat.example", kNone), "");
}

TEST(CrossSite, SecFetchSiteCrossSiteIsRefusedEvenWithoutOrigin) {
  const std::string reason = cross_site_reason("", "cross-site", "chat.example", kNone);
  EXPECT_NE(reason.find("Sec-Fetch-Site"), std::string::npos) << reason;
  EXPECT_NE(cross_site_reason("", "Cross-Site", "chat.example", kShop), "");
}

TEST(CrossSite, LocalhostPagesPassForDevelopmentOnlyWithoutAnAllowList) {
  EXPECT_EQ(cross_site_reason("http://localhost:5173", "same-site", "localhost:8080", kNone), "");
  EXPECT_NE(cross_site_reason("http://localhost:5173", "same-site", "chat.example", kShop), "");
}

}  // namespace
}  // namespace aicc::http
