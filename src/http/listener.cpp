#include "http/listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

#include "http/tls_bridge.hpp"
#include "net/await_result.hpp"
#include "net/tls_certificates.hpp"

namespace aicc::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(HttpContext& context, std::vector<asio::io_context*> contexts)
    : context_(context), contexts_(std::move(contexts)), acceptor_(*contexts_.front()) {
  context_.open_connections = &open_;
}

std::uint16_t Listener::listen(const std::string& host, std::uint16_t port) {
  boost::system::error_code error;
  const auto address = asio::ip::make_address(host, error);
  if (error) throw std::runtime_error("server.host \"" + host + "\" is not an IP address");
  const tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint, error);
  if (error) {
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                             error.message());
  }
  acceptor_.listen(asio::socket_base::max_listen_connections);
  return acceptor_.local_endpoint().port();
}

void Listener::start() { asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached); }

void Listener::stop() {
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
}

asio::awaitable<void> Listener::accept_loop() {
  while (acceptor_.is_open()) {
    asio::io_context& target = *contexts_[next_++ % contexts_.size()];
    auto [error, socket] = co_await acceptor_.async_accept(target, net::kAwaitResult);
    if (error == asio::error::operation_aborted || !acceptor_.is_open()) break;
    if (error) {
      // Out of descriptors or memory: say so, and back off instead of spinning.
      spdlog::warn("accept failed: {}", error.message());
      asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(net::kAwaitResult);
      continue;
    }
    const std::size_t limit = context_.services.config.server.max_connections;
    if (limit > 0 && open_.load(std::memory_order_relaxed) >= limit) {
      // Refused at once rather than left waiting: the client can retry another node.
      context_.services.metrics.error("connection_limit");
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    open_.fetch_add(1, std::memory_order_relaxed);
    socket.set_option(tcp::no_delay(true));
    // One bad session never takes the acceptor down: its exception is logged here.
    auto session = tls_ ? run_tls_connection(context_, std::move(socket), tls_->current())
                        : run_http_session(context_, std::move(socket));
    asio::co_spawn(target, std::move(session), [this](const std::exception_ptr& failure) {
      open_.fetch_sub(1, std::memory_order_relaxed);
      if (!failure) return;
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        spdlog::error("connection failed: {}", e.what());
      }
    });
  }
}

}  // namespace aicc::http
