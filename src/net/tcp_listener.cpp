#include "net/tcp_listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

#include "net/await_result.hpp"
#include "net/tcp_session.hpp"

namespace aicc::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

TcpStompListener::TcpStompListener(Services& services, HandshakeRateLimiter& limiter,
                                   std::vector<asio::io_context*> contexts,
                                   std::atomic<std::size_t>& open)
    : services_(services),
      limiter_(limiter),
      contexts_(std::move(contexts)),
      acceptor_(*contexts_.front()),
      open_(open) {}

std::uint16_t TcpStompListener::listen(const std::string& host, std::uint16_t port) {
  boost::system::error_code error;
  const auto address = asio::ip::make_address(host, error);
  if (error) throw std::runtime_error("stomp.tcp-host \"" + host + "\" is not an IP address");
  const tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint, error);
  if (error) {
    throw std::runtime_error("cannot listen for STOMP over TCP on " + host + ":" +
                             std::to_string(port) + ": " + error.message());
  }
  acceptor_.listen(asio::socket_base::max_listen_connections);
  return acceptor_.local_endpoint().port();
}

void TcpStompListener::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

void TcpStompListener::stop() {
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
}

asio::awaitable<void> TcpStompListener::accept_loop() {
  while (acceptor_.is_open()) {
    asio::io_context& target = *contexts_[next_++ % contexts_.size()];
    auto [error, socket] = co_await acceptor_.async_accept(target, kAwaitResult);
    if (error == asio::error::operation_aborted || !acceptor_.is_open()) break;
    if (error) {
      // Out of descriptors or memory: say so, and back off instead of spinning.
      spdlog::warn("stomp tcp accept failed: {}", error.message());
      asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(kAwaitResult);
      continue;
    }
    boost::system::error_code endpoint_error;
    const auto peer = socket.remote_endpoint(endpoint_error);
    std::string remote = endpoint_error ? std::string("unknown") : peer.address().to_string();

    const std::size_t limit = services_.config.server.max_connections;
    std::string refusal;
    if (limit > 0 && open_.load(std::memory_order_relaxed) >= limit) {
      services_.metrics.error("connection_limit");
      refusal = "server is at its connection limit; retry shortly";
    } else if (!limiter_.allow(remote, std::chrono::steady_clock::now())) {
      services_.metrics.error("handshake_rate_limited");
      refusal = "too many connections from this address; retry shortly";
    }
    if (!refusal.empty()) {
      asio::co_spawn(target, refuse_tcp_stomp(std::move(socket), std::move(refusal)),
                     [](const std::exception_ptr& failure) {
                       if (!failure) return;
                       try {
                         std::rethrow_exception(failure);
                       } catch (const std::exception& e) {
                         spdlog::error("stomp tcp refusal failed: {}", e.what());
                       }
                     });
      continue;
    }
    open_.fetch_add(1, std::memory_order_relaxed);
    // Handed to the connection's own I/O thread; the acceptor goes on at once.
    asio::post(target, [this, socket = std::move(socket), remote = std::move(remote)]() mutable {
      serve_tcp_stomp(services_, std::move(socket), std::move(remote), open_);
    });
  }
}

}  // namespace aicc::net
