// A small asynchronous HTTP/1.1 client (Beast) for calls the server makes itself, such as
// POST {bot.url}/api/chat. It runs on the caller's executor (no thread per request), bounds every
// call in time and response size, and limits how many calls are in flight at once so a slow peer
// cannot pile up sockets and memory.
//
// Plain http:// only: the bot is expected on the same private network as the chat server (put TLS
// in a sidecar or proxy if it is not).
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aicc::net {

struct HttpClientOptions {
  std::chrono::milliseconds timeout{5000};     // the whole call: resolve, connect, write, read
  std::size_t max_in_flight = 256;             // calls at once; more fail at once with kBusy
  std::size_t max_response_bytes = 64 * 1024;  // larger answers are a failure
};

// An absolute http:// URL split into its parts.
struct HttpUrl {
  std::string host;
  std::uint16_t port = 80;
  std::string target;  // path and query, at least "/"
};
std::optional<HttpUrl> parse_http_url(std::string_view url);

struct HttpResult {
  enum class Failure { kNone, kBadUrl, kBusy, kTimeout, kConnect, kProtocol, kTooLarge };
  Failure failure = Failure::kNone;
  unsigned status = 0;  // HTTP status when failure == kNone
  std::string body;
  std::string error;  // operator-readable reason when failure != kNone

  bool ok() const { return failure == Failure::kNone && status >= 200 && status < 300; }
};

// How post_json_streamed() reads an answer that may come in parts (a bot streaming its reply).
struct HttpStreamReader {
  std::string accept = "application/json";  // the Accept header
  // Once the answer's head arrived: true hands its body over in pieces as they arrive (bounded by
  // the times and size below), false reads it whole into HttpResult::body as post_json() does.
  std::function<bool(unsigned status, std::string_view content_type)> streamed;
  // Each piece of a streamed body, as read; false stops reading (the call ends, not failed).
  std::function<bool(std::string_view piece)> on_piece;
  std::chrono::milliseconds first_piece{15000};     // from the call's start
  std::chrono::milliseconds between_pieces{45000};  // after each piece
  std::chrono::milliseconds in_all{120000};         // from the call's start
  std::size_t max_bytes = 256 * 1024;               // of a streamed body
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options) : options_(options) {}

  // POSTs `body` as application/json to `url` with the extra `headers`. Never throws for network
  // trouble: it is reported in the result.
  boost::asio::awaitable<HttpResult> post_json(
      std::string url, std::string body,
      std::vector<std::pair<std::string, std::string>> headers = {});

  // post_json() whose answer may be streamed: see HttpStreamReader. The head must come within
  // the client's timeout; a streamed body is then bounded by the reader's times. Failures as in
  // post_json(); a stream that breaks off (the peer closes mid-body) is kProtocol, a stall
  // kTimeout, a body over max_bytes kTooLarge.
  boost::asio::awaitable<HttpResult> post_json_streamed(
      std::string url, std::string body, std::vector<std::pair<std::string, std::string>> headers,
      HttpStreamReader reader);

  // GETs `url`, its answer read whole, as post_json().
  boost::asio::awaitable<HttpResult> get_json(
      std::string url, std::vector<std::pair<std::string, std::string>> headers = {});

  std::size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  boost::asio::awaitable<HttpResult> call(bool post, std::string url, std::string body,
                                          std::vector<std::pair<std::string, std::string>> headers,
                                          HttpStreamReader reader);

  HttpClientOptions options_;
  std::atomic<std::size_t> in_flight_{0};
};

}  // namespace aicc::net
