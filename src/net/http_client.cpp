#include "net/http_client.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <chrono>

#include "net/await_result.hpp"

namespace aicc::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

HttpResult failure(HttpResult::Failure kind, std::string error) {
  HttpResult result;
  result.failure = kind;
  result.error = std::move(error);
  return result;
}

// Decrements the in-flight count however the call ends.
struct InFlight {
  std::atomic<std::size_t>& count;
  ~InFlight() { count.fetch_sub(1, std::memory_order_relaxed); }
};

}  // namespace

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() > 2048 || !url.starts_with(kScheme)) return std::nullopt;
  url.remove_prefix(kScheme.size());
  const std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  HttpUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view host = authority;
  if (authority.front() == '[') {  // [v6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') return std::nullopt;
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    authority = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
  }
  if (host.empty()) return std::nullopt;
  if (!authority.empty()) {
    const std::string_view digits = authority.substr(1);
    unsigned port = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (error != std::errc{} || end != digits.data() + digits.size() || port == 0 || port > 65535)
      return std::nullopt;
    out.port = static_cast<std::uint16_t>(port);
  }
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return std::nullopt;
  }
  out.host = std::string(host);
  return out;
}

asio::awaitable<HttpResult> HttpClient::post_json(
    std::string url, std::string body, std::vector<std::pair<std::string, std::string>> headers) {
  HttpStreamReader whole;
  whole.streamed = [](unsigned, std::string_view) { return false; };
  co_return co_await post_json_streamed(std::move(url), std::move(body), std::move(headers),
                                        std::move(whole));
}

asio::awaitable<HttpResult> HttpClient::get_json(
    std::string url, std::vector<std::pair<std::string, std::string>> headers) {
  HttpStreamReader whole;
  whole.streamed = [](unsigned, std::string_view) { return false; };
  co_return co_await call(false, std::move(url), {}, std::move(headers), std::move(whole));
}

asio::awaitable<HttpResult> HttpClient::post_json_streamed(
    std::string url, std::string body, std::vector<std::pair<std::string, std::string>> headers,
    HttpStreamReader reader) {
  co_return co_await call(true, std::move(url), std::move(body), std::move(headers),
                          std::move(reader));
}

asio::awaitable<HttpResult> HttpClient::call(
    bool post, std::string url, std::string body,
    std::vector<std::pair<std::string, std::string>> headers, HttpStreamReader reader) {
  const auto parsed = parse_http_url(url);
  if (!parsed)
    co_return failure(HttpResult::Failure::kBadUrl, "not an http:// URL: " + url.substr(0, 200));
  if (in_flight_.fetch_add(1, std::memory_order_relaxed) >= options_.max_in_flight) {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    co_return failure(HttpResult::Failure::kBusy, "too many calls in flight");
  }
  InFlight guard{in_flight_};

  const auto start = std::chrono::steady_clock::now();
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  beast::tcp_stream stream(executor);
  // One deadline up to the answer's head: the resolver is cancelled by closing, the stream by its
  // timer.
  stream.expires_at(start + options_.timeout);
  auto [resolve_error, endpoints] =
      co_await resolver.async_resolve(parsed->host, std::to_string(parsed->port), kAwaitResult);
  if (resolve_error)
    co_return failure(HttpResult::Failure::kConnect,
                      "cannot resolve " + parsed->host + ": " + resolve_error.message());

  auto [connect_error, endpoint] = co_await stream.async_connect(endpoints, kAwaitResult);
  if (connect_error) {
    const bool timed_out = connect_error == beast::error::timeout;
    co_return failure(timed_out ? HttpResult::Failure::kTimeout : HttpResult::Failure::kConnect,
                      "cannot connect to " + parsed->host + ":" + std::to_string(parsed->port) +
                          ": " + connect_error.message());
  }

  http::request<http::string_body> request{post ? http::verb::post : http::verb::get,
                                           parsed->target, 11};
  request.set(http::field::host, parsed->host + ":" + std::to_string(parsed->port));
  request.set(http::field::user_agent, "aicc-chat");
  if (post) request.set(http::field::content_type, "application/json");
  request.set(http::field::accept, reader.accept);
  for (const auto& [name, value] : headers) request.set(name, value);
  request.keep_alive(false);
  request.body() = std::move(body);
  request.prepare_payload();
  auto [write_error, written] = co_await http::async_write(stream, request, kAwaitResult);
  if (write_error) {
    co_return failure(write_error == beast::error::timeout ? HttpResult::Failure::kTimeout
                                                           : HttpResult::Failure::kProtocol,
                      "sending the request failed: " + write_error.message());
  }

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(16 * 1024);
  // The body's limit is set once the head says whether it is streamed.
  parser.body_limit(boost::none);
  auto [head_error, head_read] =
      co_await http::async_read_header(stream, buffer, parser, kAwaitResult);
  if (head_error == beast::error::timeout)
    co_return failure(HttpResult::Failure::kTimeout, "no answer in time");
  if (head_error)
    co_return failure(HttpResult::Failure::kProtocol,
                      "reading the answer failed: " + head_error.message());
  HttpResult result;
  result.status = parser.get().result_int();
  const bool pieces =
      reader.streamed && reader.streamed(result.status, parser.get()[http::field::content_type]);
  const std::size_t limit = pieces ? reader.max_bytes : options_.max_response_bytes;
  if (const auto length = parser.content_length(); length && *length > limit) {
    co_return failure(HttpResult::Failure::kTooLarge,
                      "answer over " + std::to_string(limit) + " bytes");
  }
  const auto last = start + (pieces ? reader.in_all : options_.timeout);
  if (pieces) stream.expires_at(std::min(start + reader.first_piece, last));

  std::array<char, 8192> chunk{};
  std::size_t received = 0;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    // Some, not all: a streamed body's pieces are handed over as they come.
    auto [read_error, read] = co_await http::async_read_some(stream, buffer, parser, kAwaitResult);
    if (read_error == http::error::need_buffer) read_error = {};
    if (read_error == beast::error::timeout) {
      co_return failure(HttpResult::Failure::kTimeout,
                        pieces ? "the stream stalled" : "no answer in time");
    }
    if (read_error) {
      co_return failure(HttpResult::Failure::kProtocol,
                        (pieces ? "the stream broke off: " : "reading the answer failed: ") +
                            read_error.message());
    }
    const std::size_t got = chunk.size() - parser.get().body().size;
    if (got == 0) continue;
    // Counted here: the parser's own limit is fixed when the head is read, before it is known.
    received += got;
    if (received > limit) {
      co_return failure(HttpResult::Failure::kTooLarge,
                        "answer over " + std::to_string(limit) + " bytes");
    }
    if (!pieces) {
      result.body.append(chunk.data(), got);
      continue;
    }
    if (!reader.on_piece(std::string_view(chunk.data(), got))) break;
    stream.expires_at(std::min(std::chrono::steady_clock::now() + reader.between_pieces, last));
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  co_return result;
}

}  // namespace aicc::net
