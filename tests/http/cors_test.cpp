#include "http/cors.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace aicc::http {
namespace {

const std::vector<std::string> kPagesOrigins = {"https://pages.example", "http://127.0.0.1:9090"};
const std::vector<std::string> kWildcardOnly = {"*"};
const std::vector<std::string> kNoOrigins;

CorsDecision decide_one(std::string_view origin, std::string_view path = "/api/auth/login",
                        const std::vector<std::string>& allowed = kPagesOrigins) {
  const std::vector<std::string_view> origins = {origin};
  return decide_cors(origins, "chat.example", path, allowed);
}

Request cors_post(std::string_view path, std::vector<std::string> origins) {
  Request request(bhttp::verb::post, std::string(path), 11);
  request.set(bhttp::field::host, "chat.example");
  for (const std::string& origin : origins) request.insert(bhttp::field::origin, origin);
  return request;
}

Request preflight(std::string_view path, std::string_view origin, std::string_view method = "POST",
                  std::string_view headers = "content-type,authorization") {
  Request request(bhttp::verb::options, std::string(path), 11);
  request.set(bhttp::field::host, "chat.example");
  request.set(bhttp::field::origin, origin);
  request.set(bhttp::field::access_control_request_method, method);
  if (!headers.empty()) request.set(bhttp::field::access_control_request_headers, headers);
  return request;
}

TEST(CorsPaths, OnlyTheSignInRoutesAndTheBotsHttpEntry) {
  for (std::string_view path : {"/api/auth/login", "/api/auth/guest", "/api/auth/refresh",
                                "/api/auth/logout", "/api/auth/ws-ticket", "/api/bot/message"}) {
    EXPECT_TRUE(is_cors_path(path)) << path;
  }
  for (std::string_view path :
       {"/api/bot/webhook", "/api/consult/current", "/api/auth", "/api/auth/", "/api/auth/login/",
        "/api/auth/loginx", "/API/AUTH/LOGIN", "/api/bot/message/../webhook", "/health", "/"}) {
    EXPECT_FALSE(is_cors_path(path)) << path;
  }
}

TEST(CorsDecide, AnExactlyListedOriginIsEchoedOnTheCorsRoutes) {
  const CorsDecision decision = decide_one("https://pages.example");
  EXPECT_EQ(decision.kind, CorsDecision::Kind::kAllowed);
  EXPECT_EQ(decision.origin, "https://pages.example");
  EXPECT_EQ(decide_one("http://127.0.0.1:9090", "/api/bot/message").kind,
            CorsDecision::Kind::kAllowed);
  // An entry written with capitals still matches what browsers send (lower case).
  EXPECT_EQ(decide_one("https://pages.example", "/api/auth/login", {"https://Pages.Example"}).kind,
            CorsDecision::Kind::kAllowed);
}

TEST(CorsDecide, NoOriginOrTheServersOwnIsNoCorsRequest) {
  EXPECT_EQ(decide_cors({}, "chat.example", "/api/auth/login", kPagesOrigins).kind,
            CorsDecision::Kind::kNotCors);
  EXPECT_EQ(decide_one("https://chat.example").kind, CorsDecision::Kind::kNotCors);
  EXPECT_EQ(decide_one("http://chat.example").kind, CorsDecision::Kind::kNotCors);
}

TEST(CorsDecide, HostileOriginsAreRefusedSayingWhy) {
  struct Case {
    std::string_view origin;
    std::string_view why;  // a part of the reason
  };
  const std::vector<Case> cases = {
      {"null", "opaque origin"},
      {"https://PAGES.example", "as browsers send it"},
      {"HTTPS://pages.example", "as browsers send it"},
      {"https://pages.example/", "as browsers send it"},
      {"https://pages.example/path", "as browsers send it"},
      {"https://pages.example:443", "not in ws.allowed-origins"},
      {"https://pages.example:8443", "not in ws.allowed-origins"},
      {"http://pages.example", "not in ws.allowed-origins"},
      {"https://pages.exampl", "not in ws.allowed-origins"},
      {"https://pages.example.evil.test", "not in ws.allowed-origins"},
      {"https://evilpages.example", "not in ws.allowed-origins"},
      {"http://127.0.0.1:909", "not in ws.allowed-origins"},
      {"http://127.0.0.1:90900", "as browsers send it"},
      {"http://127.0.0.1:09090", "as browsers send it"},
      {"http://127.0.0.1:", "as browsers send it"},
      {"https://pages.example, https://evil.test", "as browsers send it"},
      {"https://pages.example https://evil.test", "as browsers send it"},
      {" https://pages.example", "as browsers send it"},
      {"https://user@pages.example", "as browsers send it"},
      {"ftp://pages.example", "as browsers send it"},
      {"chrome-extension://abcdef", "as browsers send it"},
      {"https://", "as browsers send it"},
      {"https://.pages.example", "as browsers send it"},
      {"https://[::1", "as browsers send it"},
      {"", "empty"},
      {std::string_view("https://pages.example\0x", 23), "as browsers send it"},
  };
  for (const Case& c : cases) {
    const CorsDecision decision = decide_one(c.origin);
    EXPECT_EQ(decision.kind, CorsDecision::Kind::kRefused) << c.origin;
    EXPECT_EQ(decision.code, "forbidden_origin") << c.origin;
    EXPECT_NE(decision.reason.find(c.why), std::string::npos)
        << c.origin << ": " << decision.reason;
    EXPECT_TRUE(decision.origin.empty());
  }
  const std::string long_origin = "https://" + std::string(300, 'a') + ".example";
  EXPECT_NE(decide_one(long_origin).reason.find("longer than"), std::string::npos);
}

TEST(CorsDecide, TheWildcardAndNoEntriesOpenNothing) {
  const CorsDecision wildcard =
      decide_one("https://pages.example", "/api/auth/login", kWildcardOnly);
  EXPECT_EQ(wildcard.kind, CorsDecision::Kind::kRefused);
  EXPECT_NE(wildcard.reason.find("never CORS"), std::string::npos);
  // With no entries localhost may open WebSockets (development), but CORS stays shut.
  EXPECT_EQ(decide_one("http://localhost:3000", "/api/auth/login", kNoOrigins).kind,
            CorsDecision::Kind::kRefused);
}

TEST(CorsDecide, AnAllowedOriginGetsNothingOnOtherRoutes) {
  for (std::string_view path : {"/api/consult/current", "/api/bot/webhook", "/api/admin/stats"}) {
    const CorsDecision decision = decide_one("https://pages.example", path);
    EXPECT_EQ(decision.kind, CorsDecision::Kind::kRefused) << path;
    EXPECT_EQ(decision.code, "cors_refused") << path;
  }
}

TEST(CorsDecide, SeveralOriginHeadersAreRefusedEvenWhenEachIsAllowed) {
  const std::vector<std::string_view> two = {"https://pages.example", "https://pages.example"};
  const CorsDecision decision = decide_cors(two, "chat.example", "/api/auth/login", kPagesOrigins);
  EXPECT_EQ(decision.kind, CorsDecision::Kind::kRefused);
  EXPECT_NE(decision.reason.find("one Origin header"), std::string::npos);
  const Request many =
      cors_post("/api/auth/login", {"https://pages.example", "https://a.test", "https://b.test"});
  EXPECT_NE(decide_cors(many, kPagesOrigins).reason.find("has 3"), std::string::npos);
}

TEST(CorsMarking, AnAllowedRequestsResponsesCarryTheHeadersAndAForgedMarkIsRemoved) {
  Request request = cors_post("/api/auth/login?x=1", {"https://pages.example"});
  mark_cors_request(request, kPagesOrigins);
  EXPECT_TRUE(is_cross_origin_request(request));
  const Response response = make_response(request, bhttp::status::ok, "{}", "application/json");
  EXPECT_EQ(response[bhttp::field::access_control_allow_origin], "https://pages.example");
  EXPECT_EQ(response[bhttp::field::vary], "Origin");
  EXPECT_NE(response[bhttp::field::access_control_expose_headers].find("X-Request-Id"),
            std::string::npos);
  EXPECT_EQ(response.count(bhttp::field::access_control_allow_credentials), 0u);
  // Error answers too: the page reads why it was refused.
  const Response refusal = error_response(request, bhttp::status::unauthorized, "x", "y");
  EXPECT_EQ(refusal[bhttp::field::access_control_allow_origin], "https://pages.example");

  // A client naming the internal header itself gains nothing.
  Request forged = cors_post("/api/auth/login", {"https://evil.test"});
  forged.set(kCorsOriginField, "https://evil.test");
  mark_cors_request(forged, kPagesOrigins);
  EXPECT_FALSE(is_cross_origin_request(forged));
  const Response plain = make_response(forged, bhttp::status::ok, "{}", "application/json");
  EXPECT_EQ(plain.count(bhttp::field::access_control_allow_origin), 0u);
  EXPECT_EQ(plain.count(bhttp::field::vary), 0u);

  Request other_route = cors_post("/api/consult/current", {"https://pages.example"});
  mark_cors_request(other_route, kPagesOrigins);
  EXPECT_FALSE(is_cross_origin_request(other_route));
}

TEST(CorsPreflight, AGrantNamesTheOriginMethodHeadersAndAMaxAge) {
  const Request request = preflight("/api/auth/login", "https://pages.example");
  ASSERT_TRUE(is_preflight(request));
  const Response response = preflight_response(request, kPagesOrigins);
  EXPECT_EQ(response.result(), bhttp::status::no_content);
  EXPECT_EQ(response[bhttp::field::access_control_allow_origin], "https://pages.example");
  EXPECT_EQ(response[bhttp::field::access_control_allow_methods], "POST");
  EXPECT_EQ(response[bhttp::field::access_control_allow_headers], "Authorization, Content-Type");
  EXPECT_EQ(response[bhttp::field::access_control_max_age], "600");
  EXPECT_EQ(response[bhttp::field::vary], "Origin");
  EXPECT_EQ(response.count(bhttp::field::access_control_allow_credentials), 0u);
  EXPECT_EQ(response.body(), "");
  // No requested headers, or the same in other cases and spacing.
  EXPECT_EQ(preflight_response(preflight("/api/bot/message", "https://pages.example", "POST", ""),
                               kPagesOrigins)
                .result(),
            bhttp::status::no_content);
  EXPECT_EQ(preflight_response(preflight("/api/bot/message", "https://pages.example", "POST",
                                         " Authorization , CONTENT-TYPE "),
                               kPagesOrigins)
                .result(),
            bhttp::status::no_content);
}

TEST(CorsPreflight, RefusalsSayWhyAndCarryNoCorsHeader) {
  struct Case {
    Request request;
    std::string_view code;
    std::string_view why;
  };
  std::vector<Case> cases;
  cases.push_back({preflight("/api/auth/login", "https://evil.test"), "forbidden_origin",
                   "not in ws.allowed-origins"});
  cases.push_back({preflight("/api/auth/login", "null"), "forbidden_origin", "opaque"});
  cases.push_back(
      {preflight("/api/consult/current", "https://pages.example"), "cors_refused", "only on"});
  cases.push_back(
      {preflight("/api/auth/login", "https://pages.example", "PUT"), "cors_refused", "only POST"});
  cases.push_back(
      {preflight("/api/auth/login", "https://pages.example", "post"), "cors_refused", "only POST"});
  cases.push_back(
      {preflight("/api/auth/login", "https://pages.example", "POST", "content-type, x-evil"),
       "cors_refused", "x-evil"});
  cases.push_back({preflight("/api/auth/login", "https://pages.example", "POST", "cookie"),
                   "cors_refused", "cookie"});
  cases.push_back(
      {preflight("/api/auth/login", "https://pages.example", "POST", std::string(600, 'a')),
       "cors_refused", "longer than"});
  cases.push_back(
      {preflight("/api/auth/login", "https://chat.example"), "cors_refused", "own origin"});
  for (Case& c : cases) {
    mark_cors_request(c.request, kPagesOrigins);  // as the session does: a preflight is not marked
    const Response response = preflight_response(c.request, kPagesOrigins);
    EXPECT_EQ(response.result(), bhttp::status::forbidden) << c.why;
    EXPECT_NE(response.body().find("\"error\":\"" + std::string(c.code) + "\""), std::string::npos)
        << response.body();
    EXPECT_NE(response.body().find(c.why), std::string::npos) << response.body();
    EXPECT_EQ(response.count(bhttp::field::access_control_allow_origin), 0u) << c.why;
    EXPECT_EQ(response.count(bhttp::field::access_control_allow_methods), 0u) << c.why;
  }
}

TEST(CorsPreflight, OnlyAnOptionsWithOriginAndRequestMethodIsOne) {
  Request plain(bhttp::verb::options, "/api/auth/login", 11);
  EXPECT_FALSE(is_preflight(plain));
  plain.set(bhttp::field::origin, "https://pages.example");
  EXPECT_FALSE(is_preflight(plain));
  plain.set(bhttp::field::access_control_request_method, "POST");
  EXPECT_TRUE(is_preflight(plain));
  Request post = cors_post("/api/auth/login", {"https://pages.example"});
  post.set(bhttp::field::access_control_request_method, "POST");
  EXPECT_FALSE(is_preflight(post));
}

}  // namespace
}  // namespace aicc::http
