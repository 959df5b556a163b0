// The fan-out path of one publish, without sockets: the MESSAGE's shared part is built once, the
// registry is walked, and each subscriber's protocol engine adds its small head and hands the
// bytes to its connection. Reports deliveries per second and the heap allocations per delivery
// (counted by replacing the global operator new in this program), the number the tuning work
// wants at zero.
#include <benchmark/benchmark.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "broker/registry.hpp"
#include "net/flush_queue.hpp"
#include "stomp/engine.hpp"
#include "stomp/message.hpp"

namespace {

std::atomic<std::uint64_t> allocations{0};

}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace aicc;

// A connection that keeps nothing: the bytes' size is all a socket would need here.
class CountingPorts final : public stomp::EnginePorts {
 public:
  util::Result<stomp::Identity, std::string> authenticate(const stomp::Frame&) override {
    return stomp::Identity{"bench", "CUSTOMER", "bench", 0};
  }
  std::string subscribe(const std::string&, const std::string&, stomp::AckMode,
                        const stomp::Frame&) override {
    return {};
  }
  void unsubscribe(const std::string&, const std::string&) override {}
  stomp::SendResult send(const stomp::Frame&, std::uint64_t) override { return {}; }
  void returned(const std::string&, std::shared_ptr<const stomp::Message>) override {}
  void write(stomp::Outbound out) override {
    bytes += out.size();
    if (on_write) on_write();
  }
  void close(std::string_view) override {}
  std::uint64_t bytes = 0;
  std::function<void()> on_write;  // FanOutCorked: the transport's wake()
};

// An engine on `ports`, connected and subscribed to /topic/chat.
std::unique_ptr<stomp::Engine> subscribed_engine(CountingPorts& ports,
                                                 stomp::Clock::time_point now) {
  auto engine = std::make_unique<stomp::Engine>(stomp::EngineOptions{}, ports, "s", now);
  engine->on_data(std::string("CONNECT\naccept-version:1.2\nhost:h\n\n") + '\0', now);
  engine->on_data(std::string("SUBSCRIBE\nid:0\ndestination:/topic/chat\n\n") + '\0', now);
  return engine;
}

struct Subscriber {
  CountingPorts ports;
  std::unique_ptr<stomp::Engine> engine;
};

// Deliveries per second, and the allocations each one made.
void report_deliveries(benchmark::State& state, std::uint64_t deliveries, double allocated) {
  state.SetItemsProcessed(static_cast<std::int64_t>(deliveries));
  state.counters["allocs_per_delivery"] =
      deliveries > 0 ? allocated / static_cast<double>(deliveries) : 0;
}

void FanOut(benchmark::State& state) {
  const auto subscribers = static_cast<std::size_t>(state.range(0));
  const auto now = stomp::Clock::now();
  std::vector<std::unique_ptr<Subscriber>> connections;
  broker::Registry<stomp::Engine*> registry;
  for (std::size_t i = 0; i < subscribers; ++i) {
    auto subscriber = std::make_unique<Subscriber>();
    subscriber->engine = subscribed_engine(subscriber->ports, now);
    registry.add("/topic/chat", subscriber->engine.get(), "0");
    connections.push_back(std::move(subscriber));
  }
  const std::string body(100, 'x');
  const std::string subscription = "0";
  std::uint64_t deliveries = 0;
  for (const auto& subscriber : connections) subscriber->ports.bytes = 0;  // CONNECTED and RECEIPTs
  const std::uint64_t allocations_before = allocations.load();
  for (auto _ : state) {
    auto message = stomp::make_message("/topic/chat", "application/json", body);
    registry.for_each("/topic/chat", [&](const auto& entry) {
      entry.handle->deliver(subscription, message, now);
      ++deliveries;
    });
  }
  const double allocated = static_cast<double>(allocations.load() - allocations_before);
  // Every subscriber must have been written to: a benchmark of nothing would look very fast.
  for (const auto& subscriber : connections) {
    if (subscriber->ports.bytes == 0) {
      state.SkipWithError("a subscriber got nothing: the engine did not connect or subscribe");
      return;
    }
  }
  report_deliveries(state, deliveries, allocated);
}
BENCHMARK(FanOut)->Arg(1)->Arg(100)->Arg(10000);

// A transport stand-in: queued in its thread's flush queue once per turn, as the WebSocket and
// TCP transports are (net/flush_queue.hpp).
struct CorkedSubscriber final : net::Flushable {
  CountingPorts ports;
  std::unique_ptr<stomp::Engine> engine;
  bool queued = false;
  std::uint64_t flushes = 0;
  void flush_now() override {
    queued = false;
    ++flushes;
  }
};

// FanOut, and each delivery wakes its subscriber's transport, which the flush queue then flushes
// in its passes: the path a paced publish takes to the sockets, the writes themselves aside.
void FanOutCorked(benchmark::State& state) {
  const auto subscribers = static_cast<std::size_t>(state.range(0));
  const auto now = stomp::Clock::now();
  boost::asio::io_context io(1);
  const boost::asio::any_io_executor executor = io.get_executor();
  net::FlushQueue& queue = net::FlushQueue::of(executor);
  std::vector<std::shared_ptr<CorkedSubscriber>> connections;
  broker::Registry<stomp::Engine*> registry;
  for (std::size_t i = 0; i < subscribers; ++i) {
    auto subscriber = std::make_shared<CorkedSubscriber>();
    subscriber->engine = subscribed_engine(subscriber->ports, now);
    CorkedSubscriber* raw = subscriber.get();
    subscriber->ports.on_write = [raw, &queue, &executor, weak = std::weak_ptr(subscriber)] {
      if (raw->queued) return;
      raw->queued = true;
      queue.enqueue(executor, weak.lock());
    };
    registry.add("/topic/chat", subscriber->engine.get(), "0");
    connections.push_back(std::move(subscriber));
  }
  io.poll();  // the CONNECTED and RECEIPT writes
  io.restart();
  const std::string body(100, 'x');
  const std::string subscription = "0";
  std::uint64_t deliveries = 0;
  for (const auto& subscriber : connections) subscriber->flushes = 0;
  // A first round outside the count: the queue's storage and Asio's handler memory are kept.
  auto warm = stomp::make_message("/topic/chat", "application/json", body);
  registry.for_each("/topic/chat",
                    [&](const auto& entry) { entry.handle->deliver(subscription, warm, now); });
  io.poll();
  io.restart();
  const std::uint64_t allocations_before = allocations.load();
  for (auto _ : state) {
    auto message = stomp::make_message("/topic/chat", "application/json", body);
    registry.for_each("/topic/chat", [&](const auto& entry) {
      entry.handle->deliver(subscription, message, now);
      ++deliveries;
    });
    io.poll();  // the passes
    io.restart();
  }
  const double allocated = static_cast<double>(allocations.load() - allocations_before);
  for (const auto& subscriber : connections) {
    if (subscriber->flushes == 0) {
      state.SkipWithError("a subscriber was never flushed");
      return;
    }
  }
  report_deliveries(state, deliveries, allocated);
}
BENCHMARK(FanOutCorked)->Arg(1)->Arg(100)->Arg(10000);

}  // namespace
