// STOMP codec and MESSAGE building: the per-frame costs on the server's hot path.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "stomp/decoder.hpp"
#include "stomp/encoder.hpp"
#include "stomp/message.hpp"

namespace {

using namespace aicc::stomp;

std::string sample_send(std::size_t body_bytes) {
  Frame frame;
  frame.command = Command::kSend;
  frame.add("destination", "/app/room.send");
  frame.add("content-type", "application/json");
  frame.add("receipt", "r-42");
  frame.body = "{\"roomId\":\"r1\",\"text\":\"" + std::string(body_bytes, 'x') +
               "\",\"clientMessageId\":\"m1\"}";
  return encode(frame, Version::k12);
}

void DecodeSend(benchmark::State& state) {
  const std::string bytes = sample_send(static_cast<std::size_t>(state.range(0)));
  Decoder decoder;
  std::vector<Frame> frames;
  for (auto _ : state) {
    frames.clear();
    decoder.feed(bytes, frames);
    benchmark::DoNotOptimize(frames);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(DecodeSend)->Arg(64)->Arg(1024)->Arg(16384);

void DecodeSendByteByByte(benchmark::State& state) {
  const std::string bytes = sample_send(1024);
  Decoder decoder;
  std::vector<Frame> frames;
  for (auto _ : state) {
    frames.clear();
    for (char c : bytes) decoder.feed(std::string_view(&c, 1), frames);
    benchmark::DoNotOptimize(frames);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(DecodeSendByteByByte);

void EncodeReceipt(benchmark::State& state) {
  Frame frame;
  frame.command = Command::kReceipt;
  frame.add("receipt-id", "r-42");
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode(out, frame, Version::k12);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(EncodeReceipt);

// One publish: the shared part of a MESSAGE, built once for all subscribers.
void MakeMessage(benchmark::State& state) {
  const std::string body(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    auto message = make_message("/topic/chat", "application/json", body);
    benchmark::DoNotOptimize(message);
  }
}
BENCHMARK(MakeMessage)->Arg(100)->Arg(4096);

}  // namespace
