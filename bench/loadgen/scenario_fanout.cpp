// fanout: N subscribers on /topic/chat and one publisher (in worker 0) sending --messages, each
// carrying its send time, at --rate. aicc: SEND /app/chat.send {"content":"<ns>"}, delivered as
// {"sender":…,"content":"<ns>","timestamp":…}; peers: SEND /topic/chat with that body as is.
// Phase 0: all subscribed; phase 1: the publisher is done; phase 2: deliveries are in.
// With --spread the subscribers are spread over several nodes of a cluster and the publisher is on
// --url: latencies of subscribers on another node than the publisher's are kept apart (the hop
// between nodes is the difference).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bench/loadgen/worker.hpp"

namespace aicc::loadgen {
namespace {

namespace asio = boost::asio;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxQueuedBytes =
    64 * 1024;  // the publisher waits for the socket beyond this
// The run ends this long after the last delivery when some are still missing. A server may
// legitimately be silent for a while under a flat-out burst (it makes deliveries before writing
// them); longer than this is a failure worth reporting.
constexpr auto kQuietEnd = std::chrono::seconds(5);

asio::awaitable<void> subscriber(Worker& w, std::uint64_t i) {
  auto client = w.new_client();
  const Identity identity = loadgen_customer(i);
  const bool up = co_await w.connect(*client, i, identity);
  if (!up) {
    ++w.settled;
    co_return;
  }
  w.tally.add("connected");
  std::vector<std::int64_t>& latencies =
      w.on_main_endpoint(i) ? w.tally.latencies_ns : w.tally.other_node_latencies_ns;
  client->on_message([&w, &latencies](std::string_view body) {
    w.tally.add("delivered");
    const std::int64_t now = now_ns();
    w.tally.latest("lastDeliveryNs", static_cast<double>(now));
    if (auto sent = number_in(body, "content")) latencies.push_back(now - *sent);
  });
  client->subscribe("/topic/chat", "0", "subscribed");
  bool ready = false;
  std::optional<stomp::Frame> error;
  for (;;) {
    std::optional<stomp::Frame> frame = co_await client->next();
    if (!frame) break;
    if (frame->command == stomp::Command::kReceipt && !ready) {
      ready = true;
      w.tally.add("subscribers");
      ++w.settled;
    } else if (frame->command == stomp::Command::kError) {
      error = std::move(frame);
      break;
    }
  }
  if (!ready) ++w.settled;
  w.lost(*client, error ? &*error : nullptr);
  client->close();
}

// Reads what the server says to the publisher, so that an ERROR (or a closed connection) counts.
asio::awaitable<void> publisher_reader(Worker& w, std::shared_ptr<StompClient> client) {
  const std::optional<stomp::Frame> error = co_await read_to_end(*client);
  w.lost(*client, error ? &*error : nullptr);
  client->close();
}

asio::awaitable<void> publish(Worker& w, StompClient& client) {
  const Options& o = w.options;
  const std::string destination = o.target == TargetKind::kAicc ? "/app/chat.send" : "/topic/chat";
  asio::steady_timer pace(w.io);
  const auto start = Clock::now();
  w.tally.earliest("publishStartNs", static_cast<double>(now_ns()));
  for (std::uint64_t k = 0; k < o.messages && !client.closed() && !w.expired(); ++k) {
    if (o.rate > 0) {
      pace.expires_at(start + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(static_cast<double>(k) / o.rate)));
      co_await pace.async_wait(kNoThrow);
    }
    client.send(destination, "{\"content\":\"" + std::to_string(now_ns()) + "\"}");
    w.tally.add("published");
    // Never more than a little ahead of what the socket took: a slow peer slows the publisher.
    if (client.queued_bytes() > kMaxQueuedBytes) co_await client.drained(w.deadline);
  }
  co_await client.drained(w.deadline);
}

}  // namespace

asio::awaitable<void> run_fanout(Worker& w) {
  const bool publishes = w.index == 0;
  std::shared_ptr<StompClient> publisher;
  if (publishes) {
    publisher = w.new_client();
    const std::uint64_t i = w.options.connections;  // after every subscriber
    const Identity identity = loadgen_customer(i);
    const bool up = co_await w.connect(*publisher, i, identity, &w.options.endpoint);
    if (up) {
      asio::co_spawn(w.io, publisher_reader(w, publisher), asio::detached);
    }
  }
  co_await w.launch(subscriber, w.first, w.count);
  std::function<bool()> all_settled = [&w] { return w.settled >= w.count; };
  co_await w.until(std::move(all_settled));
  co_await w.arrive();

  if (publishes && !publisher->closed()) co_await publish(w, *publisher);
  co_await w.arrive();

  // Everything published is on its way: wait for it, or for kQuietEnd without any delivery.
  const double expected = static_cast<double>(w.options.messages) * w.tally.sum("subscribers");
  std::function<bool()> all_delivered = [&w, expected] {
    return w.tally.sum("delivered") >= expected;
  };
  std::function<double()> delivered = [&w] { return w.tally.sum("delivered"); };
  co_await w.until_quiet(std::move(all_delivered), std::move(delivered), kQuietEnd);
  co_await w.arrive();
}

}  // namespace aicc::loadgen
