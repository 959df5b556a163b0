#include "http/api_document.hpp"

#include <gtest/gtest.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <stdexcept>

namespace aicc::http {
namespace {

namespace json = boost::json;

constexpr std::array kDestinations{
    broker::DestinationSpec{.name = "/app/room.send",
                            .direction = broker::Direction::kSend,
                            .roles = auth::kRoomMembers,
                            .only = "the room's customer and agent",
                            .payload = "`{roomId, text}`",
                            .effect = "stored, then sent"},
    broker::DestinationSpec{.name = "/topic/room/{roomId}",
                            .direction = broker::Direction::kSubscribe,
                            .roles = auth::kRoomMembers,
                            .payload = "messages"},
};

constexpr std::string_view kDocument = R"({
  "openapi": "3.1.0",
  "paths": {
    "/health": {"get": {"responses": {}}},
    "/api/items/{id}": {"parameters": [], "get": {"responses": {}}, "delete": {"responses": {}}},
    "/ws": {"x-served-by": "websocket", "get": {"responses": {}}}
  }
})";

Router::Handler nothing() {
  return [](const Request& request) {
    return bhttp::message_generator(make_response(request, bhttp::status::ok, "", "text/plain"));
  };
}

Router::AsyncHandler nothing_async() {
  return [](const Request& request,
            const RequestInfo&) -> boost::asio::awaitable<bhttp::message_generator> {
    co_return make_response(request, bhttp::status::ok, "", "text/plain");
  };
}

TEST(ApiDocument, RoutesAndOperationsThatAgreeHaveNoMismatch) {
  const ApiDocument document(kDocument, kDestinations);
  Router router{StaticFiles("/nonexistent")};
  router.add(bhttp::verb::get, "/health", nothing());
  router.add_prefix_async(bhttp::verb::get, "/api/items/", "/api/items/{id}", nothing_async());
  router.add_prefix_async(bhttp::verb::delete_, "/api/items/", "/api/items/{id}", nothing_async());
  EXPECT_EQ(document.mismatches(router.routes()), std::vector<std::string>{});
}

TEST(ApiDocument, NamesEachRouteTheDocumentLacksAndEachOperationNoRouteServes) {
  const ApiDocument document(kDocument, kDestinations);
  Router router{StaticFiles("/nonexistent")};
  router.add(bhttp::verb::get, "/health", nothing());
  router.add(bhttp::verb::post, "/api/admin/users", nothing());  // forgotten in the document
  router.add_prefix_async(bhttp::verb::get, "/api/items/", "/api/items/{id}", nothing_async());
  // DELETE /api/items/{id} is documented, but nothing serves it; /ws is served elsewhere.
  EXPECT_EQ(document.mismatches(router.routes()),
            (std::vector<std::string>{
                "route POST /api/admin/users is not documented in docs/openapi.json: add its "
                "operation",
                "docs/openapi.json documents DELETE /api/items/{id}, which no route serves (or "
                "mark its path item with x-served-by)"}));
}

TEST(ApiDocument, PublishesTheStompDestinationsOfTheCatalog) {
  const ApiDocument document(kDocument, kDestinations);
  const json::value served = json::parse(document.json());
  const json::array& list = served.at("x-stomp-destinations").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("destination"), "/app/room.send");
  EXPECT_EQ(list[0].at("direction"), "send");
  EXPECT_EQ(list[0].at("roles"), (json::array{"CUSTOMER", "AGENT"}));
  EXPECT_EQ(list[0].at("rateClass"), "chat");
  EXPECT_EQ(list[0].at("only"), "the room's customer and agent");
  EXPECT_EQ(list[1].at("direction"), "subscribe");
  EXPECT_FALSE(list[1].as_object().contains("effect"));
  EXPECT_FALSE(list[1].as_object().contains("rateClass"));
  // The rest of the document as it was.
  EXPECT_EQ(served.at("openapi"), "3.1.0");
}

TEST(ApiDocument, TheValidatorFollowsTheContent) {
  const ApiDocument a(kDocument, kDestinations);
  const ApiDocument b(kDocument, std::span<const broker::DestinationSpec>(kDestinations).first(1));
  EXPECT_EQ(a.etag(), ApiDocument(kDocument, kDestinations).etag());
  EXPECT_NE(a.etag(), b.etag());
}

TEST(ApiDocument, RefusesADocumentThatIsNotAJsonObject) {
  EXPECT_THROW(ApiDocument("[1, 2]", kDestinations), std::runtime_error);
  EXPECT_THROW(ApiDocument("{\"openapi\": ", kDestinations), std::runtime_error);
}

TEST(ApiDocument, TheBuiltInDocumentIsTheRepositorysAndParses) {
  const ApiDocument document = ApiDocument::embedded(broker::destination_catalog());
  const json::value served = json::parse(document.json());
  EXPECT_EQ(std::string_view(served.at("openapi").as_string()).substr(0, 4), "3.1.");
  EXPECT_TRUE(served.at("paths").as_object().contains("/api/openapi.json"));
  EXPECT_EQ(served.at("x-stomp-destinations").as_array().size(),
            broker::destination_catalog().size());
}

}  // namespace
}  // namespace aicc::http
