#include "bench/loadgen/worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "auth/jwt.hpp"

namespace aicc::loadgen {
namespace {

namespace asio = boost::asio;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

}  // namespace

Phases::Phases(const asio::any_io_executor& executor, int up_fd, int down_fd)
    : up_(up_fd), down_(executor, down_fd) {}

asio::awaitable<bool> Phases::arrive() {
  char byte = 1;
  if (::write(up_, &byte, 1) != 1) co_return false;
  auto [error, read] = co_await asio::async_read(down_, asio::buffer(&byte, 1), kNoThrow);
  co_return !error && read == 1;
}

asio::awaitable<void> Worker::arrive() {
  const bool together = co_await phases.arrive();
  if (!together) {
    tally.note("the parent process went away");
    deadline = Clock::now();
  }
}

asio::awaitable<bool> Worker::until(std::function<bool()> done) {
  asio::steady_timer timer(io);
  while (!done()) {
    if (expired()) {
      timed_out();
      co_return false;
    }
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(kNoThrow);
  }
  co_return true;
}

asio::awaitable<void> Worker::until_quiet(std::function<bool()> done,
                                          std::function<double()> progress, Clock::duration quiet) {
  double seen = progress();
  auto changed = Clock::now();
  std::function<bool()> finished = [&] {
    if (done()) return true;
    if (const double now_seen = progress(); now_seen != seen) {
      seen = now_seen;
      changed = Clock::now();
    }
    return Clock::now() - changed > quiet;
  };
  co_await until(std::move(finished));
}

void Worker::timed_out() {
  tally.latest("timedOut", 1);
  tally.note("the run hit --timeout before it was through");
}

asio::awaitable<void> Worker::sleep_for(Clock::duration duration) {
  if (Clock::now() + duration > deadline) timed_out();
  asio::steady_timer timer(io);
  timer.expires_at(std::min(Clock::now() + duration, deadline));
  co_await timer.async_wait(kNoThrow);
}

asio::awaitable<void> Worker::pace(std::uint64_t k, Clock::time_point start) {
  if (options.ramp <= 0) co_return;
  const double per_second = options.ramp / options.processes;
  const auto due = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(static_cast<double>(k) / per_second));
  if (due <= Clock::now()) co_return;
  asio::steady_timer timer(io);
  timer.expires_at(std::min(due, deadline));
  co_await timer.async_wait(kNoThrow);
}

std::optional<asio::ip::address> Worker::source_for(std::uint64_t i) const {
  if (options.source_addresses <= 1) return std::nullopt;
  return asio::ip::make_address_v4(0x7F000001u +
                                   static_cast<std::uint32_t>(i % options.source_addresses));
}

const Endpoint& Worker::endpoint_for(std::uint64_t i) const {
  if (options.spread.empty()) return options.endpoint;
  return options.spread[i % options.spread.size()];
}

bool Worker::on_main_endpoint(std::uint64_t i) const {
  return endpoint_for(i).address == options.endpoint.address;
}

std::string Worker::connect_frame_for(const Identity& identity) const {
  std::string headers;
  if (options.target == TargetKind::kAicc) {
    static std::uint64_t tokens = 0;
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    aicc::auth::Claims claims;
    claims.sub = identity.sub;
    claims.role = identity.role;
    claims.name = identity.name.empty() ? identity.sub : identity.name;
    claims.jti = "lg-" + std::to_string(::getpid()) + "-" + std::to_string(now) + "-" +
                 std::to_string(++tokens);
    claims.iss = options.issuer;
    claims.iat = now;
    claims.exp = now + 3600;
    headers = "Authorization:Bearer " + aicc::auth::sign_hs256(claims, options.secret) + "\n";
  } else {
    headers = "login:" + options.login + "\npasscode:" + options.passcode + "\n";
  }
  return aicc::loadgen::connect_frame(options.vhost, options.heartbeat_ms, headers);
}

std::shared_ptr<StompClient> Worker::new_client() {
  return std::make_shared<StompClient>(io.get_executor(), options.transport, clients);
}

asio::awaitable<bool> Worker::connect(StompClient& client, std::uint64_t i,
                                      const Identity& identity, const Endpoint* at) {
  std::string connect = connect_frame_for(identity);
  const bool connected =
      co_await client.connect(at != nullptr ? *at : endpoint_for(i), source_for(i),
                              std::move(connect), options.heartbeat_ms);
  if (!connected && !stopping)
    tally.fail(client.error().empty() ? "connection failed" : client.error());
  co_return connected;
}

asio::awaitable<void> Worker::launch(ClientFn client, std::uint64_t from, std::uint64_t n) {
  const auto start = Clock::now();
  tally.earliest("firstLaunchNs", static_cast<double>(now_ns()));
  for (std::uint64_t k = 0; k < n; ++k) {
    co_await pace(k, start);
    if (expired()) {
      tally.add("failed", static_cast<double>(n - k));
      tally.note("the timeout came before every connection was started");
      settled += n - k;
      co_return;
    }
    asio::co_spawn(io, client(*this, from + k), asio::detached);
  }
}

void Worker::lost(const StompClient& client, const stomp::Frame* error) {
  if (stopping) return;
  if (error != nullptr) {
    const std::string* message = error->find("message");
    tally.fail("ERROR from the server: " + (message ? *message : std::string("(no message)")));
  } else {
    tally.fail("connection lost: " +
               (client.error().empty() ? std::string("closed") : client.error()));
  }
}

asio::awaitable<std::optional<stomp::Frame>> read_to_end(StompClient& client) {
  for (;;) {
    std::optional<stomp::Frame> frame = co_await client.next();
    if (!frame) break;
    if (frame->command == stomp::Command::kError) co_return frame;
  }
  co_return std::nullopt;
}

std::optional<std::int64_t> number_in(std::string_view body, std::string_view key) {
  std::string pattern = "\"";
  pattern.append(key).append("\":\"");
  const std::size_t at = body.find(pattern);
  if (at == std::string_view::npos) return std::nullopt;
  const char* first = body.data() + at + pattern.size();
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(first, body.data() + body.size(), value);
  if (error != std::errc{} || end == body.data() + body.size() || *end != '"') return std::nullopt;
  return value;
}

}  // namespace aicc::loadgen
