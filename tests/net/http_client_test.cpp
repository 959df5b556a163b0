#include "net/http_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <functional>

namespace aicc::net {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// A one-shot HTTP server on a loopback port: reads one request, then lets `respond` answer.
struct TestServer {
  using Respond =
      std::function<asio::awaitable<void>(tcp::socket&, const http::request<http::string_body>&)>;

  TestServer(asio::io_context& io, Respond respond)
      : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(io, serve(std::move(respond)), asio::detached);
  }
  std::string url(std::string_view path = "/api/chat") const {
    return "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) +
           std::string(path);
  }
  asio::awaitable<void> serve(Respond respond) {
    auto [error, socket] = co_await acceptor.async_accept(kAwait);
    if (error) co_return;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    auto [read_error, n] = co_await http::async_read(socket, buffer, request, kAwait);
    if (read_error) co_return;
    received = request;
    co_await respond(socket, request);
  }

  tcp::acceptor acceptor;
  http::request<http::string_body> received;
};

asio::awaitable<void> answer(tcp::socket& socket, unsigned status, std::string body) {
  http::response<http::string_body> response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "application/json");
  response.body() = std::move(body);
  response.prepare_payload();
  co_await http::async_write(socket, response, kAwait);
}

HttpResult call(asio::io_context& io, HttpClient& client, std::string url,
                std::string body = "{}") {
  HttpResult result;
  asio::co_spawn(io, client.post_json(std::move(url), std::move(body), {{"X-Test", "1"}}),
                 [&](std::exception_ptr, HttpResult r) { result = std::move(r); });
  io.run();
  return result;
}

TEST(HttpClient, PostsJsonAndReadsTheAnswer) {
  asio::io_context io;
  TestServer server(
      io, [](tcp::socket& s, const auto&) { return answer(s, 200, R"({"botMessage":"hi"})"); });
  HttpClient client({});
  const HttpResult result = call(io, client, server.url(), R"({"message":"안녕"})");
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.body, R"({"botMessage":"hi"})");
  EXPECT_EQ(server.received.method(), http::verb::post);
  EXPECT_EQ(server.received.target(), "/api/chat");
  EXPECT_EQ(server.received[http::field::content_type], "application/json");
  EXPECT_EQ(server.received["X-Test"], "1");
  EXPECT_EQ(server.received.body(), R"({"message":"안녕"})");
  EXPECT_EQ(client.in_flight(), 0u);
}

TEST(HttpClient, ReportsNon2xxAsNotOk) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const auto&) { return answer(s, 503, "{}"); });
  HttpClient client({});
  const HttpResult result = call(io, client, server.url());
  EXPECT_EQ(result.failure, HttpResult::Failure::kNone);
  EXPECT_EQ(result.status, 503u);
  EXPECT_FALSE(result.ok());
}

TEST(HttpClient, TimesOutOnASilentPeer) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& socket, const auto&) -> asio::awaitable<void> {
    // Then the socket closes unanswered: without a working timeout the client would see that
    // instead of kTimeout.
    asio::steady_timer wait(socket.get_executor(), std::chrono::seconds(2));
    co_await wait.async_wait(kAwait);
  });
  HttpClient client({std::chrono::milliseconds(200), 4, 1024});
  const HttpResult result = call(io, client, server.url());
  EXPECT_EQ(result.failure, HttpResult::Failure::kTimeout) << result.error;
}

TEST(HttpClient, RefusesAnAnswerOverTheSizeLimit) {
  asio::io_context io;
  TestServer server(
      io, [](tcp::socket& s, const auto&) { return answer(s, 200, std::string(4096, 'x')); });
  HttpClient client({std::chrono::milliseconds(2000), 4, 1024});
  EXPECT_EQ(call(io, client, server.url()).failure, HttpResult::Failure::kTooLarge);
}

TEST(HttpClient, ReportsAClosedPort) {
  asio::io_context io;
  tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = probe.local_endpoint().port();
  probe.close();
  HttpClient client({});
  EXPECT_EQ(call(io, client, "http://127.0.0.1:" + std::to_string(port) + "/").failure,
            HttpResult::Failure::kConnect);
}

TEST(HttpClient, RefusesMoreCallsThanItsLimit) {
  asio::io_context io;
  HttpClient client({std::chrono::milliseconds(1000), 0, 1024});
  EXPECT_EQ(call(io, client, "http://127.0.0.1:9/").failure, HttpResult::Failure::kBusy);
}

TEST(ParseHttpUrl, SplitsHostPortAndTarget) {
  auto url = parse_http_url("http://bot.internal:9000/api/chat?x=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "bot.internal");
  EXPECT_EQ(url->port, 9000);
  EXPECT_EQ(url->target, "/api/chat?x=1");
  EXPECT_EQ(parse_http_url("http://bot")->target, "/");
  EXPECT_EQ(parse_http_url("http://bot")->port, 80);
  EXPECT_EQ(parse_http_url("http://[::1]:8081/x")->host, "::1");
}

TEST(ParseHttpUrl, RefusesWhatItCannotCall) {
  for (const char* bad : {"https://bot/", "ftp://bot/", "http://", "http://:80/", "http://bot:0/",
                          "http://bot:70000/", "http://bot:80x/", "http://user:pw@bot/",
                          "http://bot/a b", "http://[::1/", "bot/api"}) {
    EXPECT_FALSE(parse_http_url(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace aicc::net
