// durable: producers send persistent messages with a receipt each (receipt_window.hpp), consumers
// receive them. aicc: the rooms scenario with the customers as producers (scenario_rooms.cpp).
// Peers: pair k of the run has the queue /queue/aicc-bench-<run>-<k>, one producer and one
// consumer. Phase 0: everyone connected; phase 1: the consumers subscribed; phase 2: the
// producers sent for --hold seconds and got their receipts; phase 3: deliveries are in.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <memory>
#include <vector>

#include "bench/loadgen/receipt_window.hpp"
#include "bench/loadgen/worker.hpp"

namespace aicc::loadgen {
namespace {

namespace asio = boost::asio;

struct Pairs {
  explicit Pairs(Worker& worker) : w(worker) {}
  Worker& w;
  std::vector<std::shared_ptr<StompClient>> producers, consumers;  // null: could not connect
  std::vector<std::shared_ptr<ReceiptWindow>> windows;
  std::uint64_t connected = 0;   // clients through their CONNECT, up or not
  std::uint64_t subscribed = 0;  // consumers whose SUBSCRIBE was confirmed
  std::uint64_t senders = 0;     // producers still sending
};

std::string queue_of(const Worker& w, std::uint64_t pair) {
  return "/queue/aicc-bench-" + w.options.run_id + "-" + std::to_string(pair);
}

// Pair k's two clients: connection 2(first + k) produces, the next one consumes.
asio::awaitable<void> open_pair(std::shared_ptr<Pairs> pairs, std::size_t k) {
  Worker& w = pairs->w;
  const std::uint64_t pair = w.first + k;
  for (int side = 0; side < 2; ++side) {
    auto client = w.new_client();
    const std::uint64_t i = 2 * pair + static_cast<std::uint64_t>(side);
    const bool up = co_await w.connect(*client, i, loadgen_customer(i));
    ++pairs->connected;
    if (!up) continue;
    w.tally.add("connected");
    (side == 0 ? pairs->producers : pairs->consumers)[k] = client;
  }
}

// What the producer hears: its receipts, or the ERROR that ends it.
asio::awaitable<void> producer_reader(std::shared_ptr<Pairs> pairs, std::size_t k) {
  std::shared_ptr<StompClient> client = pairs->producers[k];
  std::optional<stomp::Frame> error;
  for (;;) {
    std::optional<stomp::Frame> frame = co_await client->next();
    if (!frame) break;
    if (frame->command == stomp::Command::kReceipt) {
      pairs->windows[k]->settle(frame->get("receipt-id"));
    } else if (frame->command == stomp::Command::kError) {
      error = std::move(frame);
      break;
    }
  }
  pairs->w.lost(*client, error ? &*error : nullptr);
  client->close();
}

asio::awaitable<void> consumer(std::shared_ptr<Pairs> pairs, std::size_t k) {
  Worker& w = pairs->w;
  std::shared_ptr<StompClient> client = pairs->consumers[k];
  client->on_message([&w](std::string_view body) {
    w.tally.add("delivered");
    const std::int64_t now = now_ns();
    w.tally.latest("lastDeliveryNs", static_cast<double>(now));
    if (auto sent = number_in(body, "content")) w.tally.latencies_ns.push_back(now - *sent);
  });
  // RabbitMQ declares the queue on SUBSCRIBE: durable, kept when the consumer goes.
  const std::string_view durable =
      w.options.target == TargetKind::kRabbitMq ? "durable:true\nauto-delete:false\n" : "";
  client->subscribe(queue_of(w, w.first + k), "0", "subscribed", durable);
  std::optional<stomp::Frame> error;
  for (;;) {
    std::optional<stomp::Frame> frame = co_await client->next();
    if (!frame) break;
    if (frame->command == stomp::Command::kReceipt && frame->get("receipt-id") == "subscribed") {
      ++pairs->subscribed;
    } else if (frame->command == stomp::Command::kError) {
      error = std::move(frame);
      break;
    }
  }
  w.lost(*client, error ? &*error : nullptr);
  client->close();
}

asio::awaitable<void> producer(std::shared_ptr<Pairs> pairs, std::size_t k) {
  Worker& w = pairs->w;
  std::shared_ptr<StompClient> client = pairs->producers[k];
  const std::string queue = queue_of(w, w.first + k);
  co_await pairs->windows[k]->run(
      [&](const std::string& receipt, std::int64_t now) {
        client->send(queue, "{\"content\":\"" + std::to_string(now) + "\"}", receipt,
                     "persistent:true\n");
      },
      [&] { return !client->closed(); });
  --pairs->senders;
}

asio::awaitable<void> run_peer_pairs(Worker& w) {
  auto shared = std::make_shared<Pairs>(w);
  Pairs& pairs = *shared;
  const std::size_t n = static_cast<std::size_t>(w.count);
  pairs.producers.resize(n);
  pairs.consumers.resize(n);
  for (std::size_t k = 0; k < n; ++k) pairs.windows.push_back(std::make_shared<ReceiptWindow>(w));
  const auto start = Clock::now();
  w.tally.earliest("firstLaunchNs", static_cast<double>(now_ns()));
  for (std::size_t k = 0; k < n && !w.expired(); ++k) {
    co_await w.pace(2 * k, start);
    asio::co_spawn(w.io, open_pair(shared, k), asio::detached);
  }
  std::function<bool()> all_connected = [&pairs, n] { return pairs.connected >= 2 * n; };
  co_await w.until(std::move(all_connected));
  co_await w.arrive();

  std::uint64_t complete = 0;
  for (std::size_t k = 0; k < n; ++k) {
    if (!pairs.producers[k] || !pairs.consumers[k]) continue;
    ++complete;
    asio::co_spawn(w.io, consumer(shared, k), asio::detached);
    asio::co_spawn(w.io, producer_reader(shared, k), asio::detached);
  }
  w.tally.add("pairs", static_cast<double>(complete));
  std::function<bool()> all_subscribed = [&pairs, complete] {
    return pairs.subscribed >= complete;
  };
  std::function<double()> subscribed = [&pairs] { return static_cast<double>(pairs.subscribed); };
  co_await w.until_quiet(std::move(all_subscribed), std::move(subscribed), std::chrono::seconds(5));
  co_await w.arrive();

  w.tally.earliest("sendStartNs", static_cast<double>(now_ns()));
  for (std::size_t k = 0; k < n; ++k) {
    if (!pairs.producers[k] || !pairs.consumers[k]) continue;
    ++pairs.senders;
    asio::co_spawn(w.io, producer(shared, k), asio::detached);
  }
  std::function<bool()> sent = [&pairs] { return pairs.senders == 0; };
  co_await w.until(std::move(sent));
  co_await w.arrive();

  std::function<bool()> all_delivered = [&w] {
    return w.tally.sum("delivered") >= w.tally.sum("receipts");
  };
  std::function<double()> delivered = [&w] { return w.tally.sum("delivered"); };
  co_await w.until_quiet(std::move(all_delivered), std::move(delivered), std::chrono::seconds(2));
  co_await w.arrive();
}

}  // namespace

asio::awaitable<void> run_durable(Worker& w) {
  if (w.options.target == TargetKind::kAicc) {
    co_await run_rooms(w);
  } else {
    co_await run_peer_pairs(w);
  }
}

}  // namespace aicc::loadgen
