#include "net/http_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

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

// A streamed answer: the head, then each of `pieces` as an HTTP chunk after `pause`, then the last
// chunk unless `break_off` (the socket just closes).
asio::awaitable<void> stream_answer(tcp::socket& socket, std::vector<std::string> pieces,
                                    std::chrono::milliseconds pause, bool break_off = false) {
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  co_await asio::async_write(socket, asio::buffer(head), kAwait);
  for (const std::string& piece : pieces) {
    asio::steady_timer wait(socket.get_executor(), pause);
    co_await wait.async_wait(kAwait);
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    const std::string chunk = size + piece + "\r\n";
    co_await asio::async_write(socket, asio::buffer(chunk), kAwait);
  }
  if (!break_off)
    co_await asio::async_write(socket, asio::buffer(std::string("0\r\n\r\n")), kAwait);
}

struct Streamed {
  HttpResult result;
  std::string pieces;
  int piece_count = 0;
  std::string accept_seen;
};

Streamed call_streamed(asio::io_context& io, HttpClient& client, std::string url,
                       HttpStreamReader reader) {
  Streamed out;
  reader.accept = "text/event-stream, application/json";
  reader.streamed = [](unsigned status, std::string_view type) {
    return status == 200 && type == "text/event-stream";
  };
  reader.on_piece = [&out](std::string_view piece) {
    out.pieces += piece;
    ++out.piece_count;
    return true;
  };
  asio::co_spawn(io, client.post_json_streamed(std::move(url), "{}", {}, std::move(reader)),
                 [&](std::exception_ptr, HttpResult r) { out.result = std::move(r); });
  io.run();
  return out;
}

TEST(HttpClientStreamed, HandsOverEachPieceAsItArrives) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const auto&) {
    return stream_answer(s, {"data: a\n\n", "data: b\n\n", "data: c\n\n"},
                         std::chrono::milliseconds(50));
  });
  // The whole stream takes longer than the client's own timeout: only the head must come in it.
  HttpClient client({std::chrono::milliseconds(120), 4, 1024});
  const Streamed out = call_streamed(io, client, server.url(), {});
  ASSERT_EQ(out.result.failure, HttpResult::Failure::kNone) << out.result.error;
  EXPECT_EQ(out.pieces, "data: a\n\ndata: b\n\ndata: c\n\n");
  EXPECT_GE(out.piece_count, 3);
  EXPECT_TRUE(out.result.body.empty());
  EXPECT_EQ(server.received[http::field::accept], "text/event-stream, application/json");
}

TEST(HttpClientStreamed, ReadsAnAnswerThatIsNotStreamedWhole) {
  asio::io_context io;
  TestServer server(
      io, [](tcp::socket& s, const auto&) { return answer(s, 200, R"({"botMessage":"hi"})"); });
  HttpClient client({});
  const Streamed out = call_streamed(io, client, server.url(), {});
  ASSERT_TRUE(out.result.ok()) << out.result.error;
  EXPECT_EQ(out.result.body, R"({"botMessage":"hi"})");
  EXPECT_EQ(out.piece_count, 0);
}

TEST(HttpClientStreamed, AStallBetweenPiecesIsATimeout) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const auto&) {
    return stream_answer(s, {"data: a\n\n", "data: b\n\n"}, std::chrono::milliseconds(400));
  });
  HttpClient client({std::chrono::milliseconds(2000), 4, 1024});
  HttpStreamReader reader;
  reader.first_piece = std::chrono::milliseconds(1000);
  reader.between_pieces = std::chrono::milliseconds(100);
  const Streamed out = call_streamed(io, client, server.url(), std::move(reader));
  EXPECT_EQ(out.result.failure, HttpResult::Failure::kTimeout) << out.result.error;
  EXPECT_EQ(out.pieces, "data: a\n\n");
}

TEST(HttpClientStreamed, NoFirstPieceInTimeIsATimeout) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const auto&) {
    return stream_answer(s, {"data: a\n\n"}, std::chrono::milliseconds(500));
  });
  HttpClient client({std::chrono::milliseconds(2000), 4, 1024});
  HttpStreamReader reader;
  reader.first_piece = std::chrono::milliseconds(100);
  const Streamed out = call_streamed(io, client, server.url(), std::move(reader));
  EXPECT_EQ(out.result.failure, HttpResult::Failure::kTimeout) << out.result.error;
  EXPECT_EQ(out.piece_count, 0);
}

TEST(HttpClientStreamed, AStreamThatBreaksOffIsAProtocolFailure) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const auto&) {
    return stream_answer(s, {"data: a\n\n"}, std::chrono::milliseconds(10), true);
  });
  HttpClient client({});
  const Streamed out = call_streamed(io, client, server.url(), {});
  EXPECT_EQ(out.result.failure, HttpResult::Failure::kProtocol) << out.result.error;
  EXPECT_EQ(out.pieces, "data: a\n\n");
}

TEST(HttpClientStreamed, AStreamOverItsSizeLimitIsRefused) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const auto&) {
    return stream_answer(s, {std::string(600, 'x'), std::string(600, 'y')},
                         std::chrono::milliseconds(20), true);
  });
  HttpClient client({});
  HttpStreamReader reader;
  reader.max_bytes = 1000;
  const Streamed out = call_streamed(io, client, server.url(), std::move(reader));
  EXPECT_EQ(out.result.failure, HttpResult::Failure::kTooLarge) << out.result.error;
  EXPECT_LE(out.pieces.size(), 1000u);
}

TEST(HttpClientStreamed, TheReaderMayStopReading) {
  asio::io_context io;
  TestServer server(io, [](tcp::socket& s, const auto&) {
    return stream_answer(s, {"data: a\n\n", "data: b\n\n"}, std::chrono::milliseconds(20));
  });
  HttpClient client({});
  Streamed out;
  HttpStreamReader reader;
  reader.streamed = [](unsigned, std::string_view) { return true; };
  reader.on_piece = [&out](std::string_view piece) {
    out.pieces += piece;
    return false;
  };
  asio::co_spawn(io, client.post_json_streamed(server.url(), "{}", {}, std::move(reader)),
                 [&](std::exception_ptr, HttpResult r) { out.result = std::move(r); });
  io.run();
  EXPECT_EQ(out.result.failure, HttpResult::Failure::kNone) << out.result.error;
  EXPECT_EQ(out.pieces, "data: a\n\n");
  EXPECT_EQ(client.in_flight(), 0u);
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
