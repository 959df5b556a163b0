// The fan-out path of one publish, without sockets: the MESSAGE's shared part is built once, the
// registry is walked, and each subscriber's protocol engine adds its small head and hands the
// bytes to its connection. Reports deliveries per second and the heap allocations per delivery
// (counted by replacing the global operator new in this program), the number the tuning work
// wants at zero.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "broker/registry.hpp"
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
  void write(stomp::Outbound out) override { bytes += out.size(); }
  void close(std::string_view) override {}
  std::uint64_t bytes = 0;
};

struct Subscriber {
  CountingPorts ports;
  std::unique_ptr<stomp::Engine> engine;
};

void FanOut(benchmark::State& state) {
  const auto subscribers = static_cast<std::size_t>(state.range(0));
  const auto now = stomp::Clock::now();
  std::vector<std::unique_ptr<Subscriber>> connections;
  broker::Registry<stomp::Engine*> registry;
  for (std::size_t i = 0; i < subscribers; ++i) {
    auto subscriber = std::make_unique<Subscriber>();
    subscriber->engine =
        std::make_unique<stomp::Engine>(stomp::EngineOptions{}, subscriber->ports, "s", now);
    subscriber->engine->on_data(std::string("CONNECT\naccept-version:1.2\nhost:h\n\n") + '\0', now);
    subscriber->engine->on_data(std::string("SUBSCRIBE\nid:0\ndestination:/topic/chat\n\n") + '\0',
                                now);
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
  state.SetItemsProcessed(static_cast<std::int64_t>(deliveries));
  state.counters["allocs_per_delivery"] =
      deliveries > 0 ? allocated / static_cast<double>(deliveries) : 0;
}
BENCHMARK(FanOut)->Arg(1)->Arg(100)->Arg(10000);

}  // namespace
