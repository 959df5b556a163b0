#include "stomp/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stomp/decoder.hpp"
#include "stomp/message.hpp"

namespace aicc::stomp {
namespace {

using namespace std::string_literals;
using std::chrono::milliseconds;

// A client frame on the wire: `head` is the command line and the header lines, each ending in LF;
// the blank line, the body and the NUL are added.
std::string wire(std::string_view head, std::string_view body = {}) {
  std::string out(head);
  out += '\n';
  out += body;
  out += '\0';
  return out;
}

std::string_view to_string(AckMode mode) {
  switch (mode) {
    case AckMode::kAuto:
      return "auto";
    case AckMode::kClient:
      return "client";
    case AckMode::kClientIndividual:
      return "client-individual";
  }
  return "?";
}

// Records every call the engine makes, in order, and answers with what the test set up.
class FakePorts : public EnginePorts {
 public:
  // What authenticate() answers; a value by default.
  std::optional<std::string> auth_failure;
  Identity identity{"alice", "agent", "Alice", 0};
  std::string subscribe_refusal;       // non-empty: subscribe() refuses with it
  bool subscriptions_pending = false;  // subscription_pending() answers this
  std::string send_refusal;            // non-empty: send() refuses with it
  bool defer_sends = false;            // send() answers kPending (settled by the test)
  bool refuse_sends = false;           // send() answers kRefused
  std::vector<std::uint64_t> tickets;  // given to send(), in order

  std::vector<std::string>
      calls;  // "subscribe <id> <destination> <mode>", "send <destination> <body>", …
  std::vector<Frame> connects;  // frames given to authenticate()
  std::vector<Frame> sends;     // frames given to send()
  std::vector<Command> received_commands;
  std::vector<std::string> returned_bodies;  // body of every returned message, in order
  std::string written;                       // every byte written, in order
  std::vector<Outbound> writes;
  int close_count = 0;
  std::string close_reason;

  util::Result<Identity, std::string> authenticate(const Frame& connect) override {
    calls.push_back("authenticate");
    connects.push_back(connect);
    if (auth_failure) return util::unexpected(*auth_failure);
    return identity;
  }
  std::string subscribe(const std::string& id, const std::string& destination, AckMode mode,
                        const Frame&) override {
    calls.push_back("subscribe " + id + " " + destination + " " + std::string(to_string(mode)));
    return subscribe_refusal;
  }
  void unsubscribe(const std::string& id, const std::string& destination) override {
    calls.push_back("unsubscribe " + id + " " + destination);
  }
  bool subscription_pending(const std::string&) override { return subscriptions_pending; }
  SendResult send(const Frame& frame, std::uint64_t ticket) override {
    calls.push_back("send " + std::string(frame.get("destination")) + " " + frame.body);
    sends.push_back(frame);
    tickets.push_back(ticket);
    if (!send_refusal.empty()) return SendResult::fault(send_refusal);
    if (defer_sends) return SendResult::pending();
    if (refuse_sends) return SendResult::refused();
    return SendResult::done();
  }
  void returned(const std::string& destination, std::shared_ptr<const Message> message) override {
    // The message's body is the last part of its shared tail: "...\n\n<body>\0".
    const std::string& tail = message->tail_for(Version::k12);
    const std::size_t blank = tail.find("\n\n");
    std::string body = tail.substr(blank + 2, tail.size() - blank - 3);
    calls.push_back("returned " + destination + " " + body);
    returned_bodies.push_back(std::move(body));
  }
  void received(Command command) override { received_commands.push_back(command); }
  void write(Outbound out) override {
    written += out.head();
    if (out.shared()) written += *out.shared();
    writes.push_back(std::move(out));
  }
  void close(std::string_view reason) override {
    calls.push_back("close " + std::string(reason));
    ++close_count;
    close_reason = reason;
  }

  // Decodes everything written so far as a client would, reading with `version` rules. Fails the
  // test when the bytes are not valid STOMP.
  std::vector<Frame> frames(Version version = Version::k12) const {
    Decoder decoder;
    decoder.set_version(version);
    std::vector<Frame> out;
    EXPECT_EQ(decoder.feed(written, out), DecodeError::kNone);
    EXPECT_EQ(decoder.buffered_bytes(), 0u) << "a frame was written in part";
    return out;
  }
  std::size_t heartbeats_written() const {
    Decoder decoder;
    std::vector<Frame> out;
    decoder.feed(written, out);
    return decoder.heartbeats_seen();
  }
  bool called(std::string_view call) const {
    for (const std::string& c : calls) {
      if (c == call) return true;
    }
    return false;
  }
  std::size_t index_of(std::string_view call) const {
    for (std::size_t i = 0; i < calls.size(); ++i) {
      if (calls[i] == call) return i;
    }
    ADD_FAILURE() << "no call " << call;
    return calls.size();
  }
  std::vector<std::string> calls_starting_with(std::string_view prefix) const {
    std::vector<std::string> out;
    for (const std::string& c : calls) {
      if (c.starts_with(prefix)) out.push_back(c);
    }
    return out;
  }
};

std::vector<std::string> receipt_ids(const std::vector<Frame>& frames) {
  std::vector<std::string> out;
  for (const Frame& frame : frames) {
    if (frame.command == Command::kReceipt) out.emplace_back(frame.get("receipt-id"));
  }
  return out;
}

const Frame* first_error(const std::vector<Frame>& frames) {
  for (const Frame& frame : frames) {
    if (frame.command == Command::kError) return &frame;
  }
  return nullptr;
}

class EngineTest : public ::testing::Test {
 protected:
  const Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);

  EngineTest() { start(); }

  // A fresh engine with `options`, created at t0.
  void start(EngineOptions options = {}) {
    engine.reset();
    ports = FakePorts{};
    engine = std::make_unique<Engine>(std::move(options), ports, "session-1", t0);
  }

  void feed(std::string_view bytes, milliseconds at = milliseconds{0}) {
    engine->on_data(bytes, t0 + at);
  }

  // CONNECT with the given header lines; checks that the engine answered CONNECTED.
  void connect(std::string_view headers = "accept-version:1.2\n") {
    feed(wire("CONNECT\n" + std::string(headers)));
    ASSERT_TRUE(engine->connected());
  }

  void subscribe(std::string_view id, std::string_view destination, std::string_view ack = "auto") {
    feed(wire("SUBSCRIBE\nid:" + std::string(id) + "\ndestination:" + std::string(destination) +
              "\nack:" + std::string(ack) + "\n"));
    ASSERT_FALSE(engine->closed());
  }

  void deliver(const std::string& id, std::string_view body, milliseconds at = milliseconds{0}) {
    engine->deliver(id, make_message("/queue/work", "text/plain", body), t0 + at);
  }

  // Frames written since CONNECTED, decoded with the negotiated version.
  std::vector<Frame> frames() const { return ports.frames(engine->version()); }
  const Frame& last_frame() {
    frames_ = frames();
    EXPECT_FALSE(frames_.empty());
    if (frames_.empty()) frames_.emplace_back();
    return frames_.back();
  }
  std::vector<Frame> messages() const {
    std::vector<Frame> out;
    for (Frame& frame : frames()) {
      if (frame.command == Command::kMessage) out.push_back(std::move(frame));
    }
    return out;
  }

  // Checks that the engine answered with one ERROR carrying `message` and closed.
  void expect_error_and_close(std::string_view message) {
    const std::vector<Frame> all = frames();
    const Frame* error = first_error(all);
    ASSERT_NE(error, nullptr) << "no ERROR frame";
    EXPECT_EQ(error->get("message"), message);
    EXPECT_EQ(&all.back(), error) << "the ERROR frame is the last one";
    EXPECT_TRUE(engine->closed());
    EXPECT_EQ(ports.close_count, 1);
  }

  FakePorts ports;
  std::unique_ptr<Engine> engine;
  std::vector<Frame> frames_;
};

// Version negotiation and CONNECTED.

TEST_F(EngineTest, ConnectWithoutAcceptVersionNegotiates10) {
  connect("");
  EXPECT_EQ(engine->version(), Version::k10);
  EXPECT_EQ(last_frame().command, Command::kConnected);
  EXPECT_EQ(last_frame().get("version"), "1.0");
}

TEST_F(EngineTest, AcceptVersionPicksNewestSupported) {
  connect("accept-version:1.1,1.2\n");
  EXPECT_EQ(engine->version(), Version::k12);
  EXPECT_EQ(last_frame().get("version"), "1.2");

  start();
  connect("accept-version:1.0,1.1\n");
  EXPECT_EQ(engine->version(), Version::k11);

  start();
  connect("accept-version: 1.2 , 9.9\n");
  EXPECT_EQ(engine->version(), Version::k12);
}

TEST_F(EngineTest, StompCommandConnectsLikeConnect) {
  feed(wire("STOMP\naccept-version:1.2\nhost:chat\n"));
  EXPECT_TRUE(engine->connected());
  EXPECT_EQ(last_frame().command, Command::kConnected);
}

TEST_F(EngineTest, OnlyUnsupportedVersionsGetErrorWithVersionHeader) {
  feed(wire("CONNECT\naccept-version:2.0,3.1\n"));
  const std::vector<Frame> all = ports.frames(Version::k10);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].command, Command::kError);
  EXPECT_EQ(all[0].get("version"), "1.0,1.1,1.2");
  EXPECT_EQ(all[0].get("message"), "unsupported STOMP version");
  EXPECT_TRUE(engine->closed());
  EXPECT_FALSE(ports.called("authenticate")) << "credentials are not checked for a refused version";
  EXPECT_EQ(ports.close_count, 1);
}

TEST_F(EngineTest, ConnectedCarriesVersionHeartBeatServerSessionAndUserName) {
  EngineOptions options;
  options.heartbeat_send = milliseconds{4000};
  options.heartbeat_receive = milliseconds{6000};
  options.server_name = "test-server/1";
  start(options);
  connect("accept-version:1.2\nheart-beat:0,0\n");
  const Frame& connected = last_frame();
  EXPECT_EQ(connected.command, Command::kConnected);
  EXPECT_EQ(connected.get("version"), "1.2");
  EXPECT_EQ(connected.get("heart-beat"), "4000,6000");
  EXPECT_EQ(connected.get("server"), "test-server/1");
  EXPECT_EQ(connected.get("session"), "session-1");
  EXPECT_EQ(connected.get("user-name"), "alice");
  EXPECT_EQ(engine->identity().user_id, "alice");
  EXPECT_EQ(engine->identity().role, "agent");
  EXPECT_EQ(engine->session_id(), "session-1");
}

TEST_F(EngineTest, AuthenticateSeesTheConnectFrame) {
  connect("accept-version:1.2\nlogin:bob\npasscode:secret\n");
  ASSERT_EQ(ports.connects.size(), 1u);
  EXPECT_EQ(ports.connects[0].get("passcode"), "secret");
  EXPECT_EQ(ports.received_commands, std::vector<Command>{Command::kConnect});
}

TEST_F(EngineTest, AuthenticationFailureSendsErrorThenClosesAndHandlesNothingAfter) {
  ports.auth_failure = "token expired";
  feed(wire("CONNECT\naccept-version:1.2\n") + wire("SUBSCRIBE\nid:0\ndestination:/topic/a\n") +
       wire("SEND\ndestination:/queue/a\n", "hi"));
  expect_error_and_close("authentication failed: token expired");
  EXPECT_FALSE(engine->connected());
  EXPECT_EQ(ports.frames().size(), 1u);
  EXPECT_EQ(ports.calls_starting_with("subscribe").size(), 0u);
  EXPECT_EQ(ports.calls_starting_with("send").size(), 0u);
  EXPECT_EQ(ports.received_commands, std::vector<Command>{Command::kConnect});

  // Later input is ignored too.
  const std::string before = ports.written;
  feed(wire("SEND\ndestination:/queue/a\n"));
  EXPECT_EQ(ports.written, before);
  EXPECT_EQ(ports.close_count, 1);
}

TEST_F(EngineTest, RefusalOfA12ConnectIsEscapedFor12) {
  // The client asked for 1.2, and a 1.2 reader unescapes every ERROR header: a raw ':' in the
  // reason would be read fine, but a "\\" would not; the refusal uses the version's escaping.
  ports.auth_failure = "token expired";
  feed(wire("CONNECT\naccept-version:1.2\n"));
  EXPECT_NE(ports.written.find("\nmessage:authentication failed\\c token expired\n"),
            std::string::npos)
      << ports.written;
  EXPECT_EQ(first_error(ports.frames(Version::k12))->get("message"),
            "authentication failed: token expired");
}

TEST_F(EngineTest, RefusalOfA11ConnectIsEscapedFor11) {
  ports.auth_failure = "bad\\token";
  feed(wire("CONNECT\naccept-version:1.1\n"));
  EXPECT_EQ(first_error(ports.frames(Version::k11))->get("message"),
            "authentication failed: bad\\token");
}

TEST_F(EngineTest, RefusalOfA10ConnectIsNotEscaped) {
  // No accept-version: a 1.0 client, which reads headers as they are.
  ports.auth_failure = "token expired";
  feed(wire("CONNECT\n"));
  EXPECT_NE(ports.written.find("\nmessage:authentication failed: token expired\n"),
            std::string::npos)
      << ports.written;
  EXPECT_EQ(first_error(ports.frames(Version::k10))->get("message"),
            "authentication failed: token expired");
}

TEST_F(EngineTest, ErrorAfterConnectedIsEscapedForTheVersion) {
  connect();
  ports.send_refusal = "invalid destination: a:b";
  feed(wire("SEND\ndestination:/queue/a\n"));
  EXPECT_NE(ports.written.find("\nmessage:invalid destination\\c a\\cb\n"), std::string::npos)
      << ports.written;
  expect_error_and_close("invalid destination: a:b");
}

TEST_F(EngineTest, FrameBeforeConnectIsRefused) {
  feed(wire("SEND\ndestination:/queue/a\n", "hi"));
  expect_error_and_close("authentication failed: CONNECT required first");
  EXPECT_TRUE(ports.sends.empty());
  EXPECT_FALSE(ports.called("authenticate"));
}

TEST_F(EngineTest, SecondConnectIsRefused) {
  connect();
  feed(wire("CONNECT\naccept-version:1.2\n"));
  expect_error_and_close("already connected");
  EXPECT_EQ(ports.connects.size(), 1u);
}

TEST_F(EngineTest, InvalidHeartBeatHeaderIsRefused) {
  for (const std::string header : {"heart-beat:1000\n", "heart-beat:a,b\n", "heart-beat:-1,0\n",
                                   "heart-beat:1,999999999999\n"}) {
    SCOPED_TRACE(header);
    start();
    feed(wire("CONNECT\naccept-version:1.2\n" + header));
    expect_error_and_close("invalid heart-beat header");
    EXPECT_FALSE(ports.called("authenticate"));
  }
}

// Heart-beats and timers.

TEST_F(EngineTest, HeartBeatIntervalsAreTheSlowerOfBothOffers) {
  EngineOptions options;
  options.heartbeat_send = milliseconds{10000};
  options.heartbeat_receive = milliseconds{10000};
  start(options);
  // The client can send every 5 s and wants to receive every 20 s.
  connect("accept-version:1.2\nheart-beat:5000,20000\n");
  EXPECT_EQ(engine->send_interval(), milliseconds{20000});
  EXPECT_EQ(engine->receive_interval(), milliseconds{10000});

  start(options);
  connect("accept-version:1.2\nheart-beat:30000,1000\n");
  EXPECT_EQ(engine->send_interval(), milliseconds{10000});
  EXPECT_EQ(engine->receive_interval(), milliseconds{30000});
}

TEST_F(EngineTest, ZeroOnEitherSideDisablesThatDirection) {
  connect("accept-version:1.2\nheart-beat:0,5000\n");
  EXPECT_EQ(engine->send_interval(), milliseconds{10000});
  EXPECT_EQ(engine->receive_interval(), milliseconds{0});

  start();
  connect("accept-version:1.2\n");  // no header means 0,0
  EXPECT_EQ(engine->send_interval(), milliseconds{0});
  EXPECT_EQ(engine->receive_interval(), milliseconds{0});
  EXPECT_EQ(engine->next_deadline(), Clock::time_point::max());

  EngineOptions options;
  options.heartbeat_send = milliseconds{0};
  options.heartbeat_receive = milliseconds{0};
  start(options);
  connect("accept-version:1.2\nheart-beat:5000,5000\n");
  EXPECT_EQ(engine->send_interval(), milliseconds{0});
  EXPECT_EQ(engine->receive_interval(), milliseconds{0});
  EXPECT_EQ(last_frame().get("heart-beat"), "0,0");
}

TEST_F(EngineTest, TickSendsHeartBeatAtTheSendInterval) {
  connect("accept-version:1.2\nheart-beat:0,10000\n");
  ASSERT_EQ(engine->send_interval(), milliseconds{10000});
  EXPECT_EQ(engine->next_deadline(), t0 + milliseconds{10000});
  const std::size_t writes = ports.writes.size();

  engine->on_tick(t0 + milliseconds{9999});
  EXPECT_EQ(ports.writes.size(), writes);

  engine->on_tick(t0 + milliseconds{10000});
  ASSERT_EQ(ports.writes.size(), writes + 1);
  EXPECT_EQ(ports.writes.back().head(), "\n");
  EXPECT_EQ(ports.writes.back().shared(), nullptr);
  EXPECT_EQ(engine->next_deadline(), t0 + milliseconds{20000});

  // Any other write counts as a sign of life too.
  feed(wire("SUBSCRIBE\nid:0\ndestination:/topic/a\nreceipt:r\n"), milliseconds{15000});
  EXPECT_EQ(engine->next_deadline(), t0 + milliseconds{25000});
  engine->on_tick(t0 + milliseconds{20000});
  EXPECT_EQ(ports.heartbeats_written(), 1u);
  engine->on_tick(t0 + milliseconds{25000});
  EXPECT_EQ(ports.heartbeats_written(), 2u);
  EXPECT_FALSE(engine->closed());
}

TEST_F(EngineTest, SilentPeerPastGraceTimesOut) {
  EngineOptions options;
  options.heartbeat_send = milliseconds{0};
  options.heartbeat_receive = milliseconds{10000};
  options.heartbeat_grace = 1.5;
  start(options);
  connect("accept-version:1.2\nheart-beat:10000,0\n");
  ASSERT_EQ(engine->receive_interval(), milliseconds{10000});
  EXPECT_EQ(engine->next_deadline(), t0 + milliseconds{15001});

  // A heart-beat from the client resets the clock.
  feed("\n", milliseconds{14000});
  engine->on_tick(t0 + milliseconds{15001});
  EXPECT_FALSE(engine->closed());
  EXPECT_EQ(engine->next_deadline(), t0 + milliseconds{29001});

  engine->on_tick(t0 + milliseconds{29000});
  EXPECT_FALSE(engine->closed());
  engine->on_tick(t0 + milliseconds{29001});
  expect_error_and_close("heart-beat timeout");
}

TEST_F(EngineTest, ConnectTimeout) {
  EngineOptions options;
  options.connect_timeout = milliseconds{3000};
  start(options);
  EXPECT_EQ(engine->next_deadline(), t0 + milliseconds{3000});
  engine->on_tick(t0 + milliseconds{2999});
  EXPECT_FALSE(engine->closed());
  EXPECT_TRUE(ports.written.empty());
  engine->on_tick(t0 + milliseconds{3000});
  expect_error_and_close("connect timeout");
  EXPECT_EQ(engine->next_deadline(), Clock::time_point::max());
}

TEST_F(EngineTest, ConnectInTimeStopsTheConnectTimer) {
  EngineOptions options;
  options.connect_timeout = milliseconds{3000};
  start(options);
  connect();
  engine->on_tick(t0 + milliseconds{60000});
  EXPECT_FALSE(engine->closed());
  EXPECT_EQ(engine->next_deadline(), Clock::time_point::max());
}

// SUBSCRIBE and UNSUBSCRIBE.

TEST_F(EngineTest, SubscribeIsPassedToPorts) {
  connect();
  feed(wire("SUBSCRIBE\nid:s1\ndestination:/topic/a\nack:client-individual\nreceipt:r1\n"));
  EXPECT_TRUE(ports.called("subscribe s1 /topic/a client-individual"));
  EXPECT_EQ(engine->subscription_count(), 1u);
  EXPECT_EQ(receipt_ids(frames()), std::vector<std::string>{"r1"});

  feed(wire("SUBSCRIBE\nid:s2\ndestination:/topic/b\n"));
  EXPECT_TRUE(ports.called("subscribe s2 /topic/b auto")) << "ack defaults to auto";
}

TEST_F(EngineTest, SubscribeRequiresDestination) {
  connect();
  feed(wire("SUBSCRIBE\nid:0\n"));
  expect_error_and_close("missing destination header");
  EXPECT_TRUE(ports.calls_starting_with("subscribe").empty());
}

TEST_F(EngineTest, SubscribeRequiresIdFrom11) {
  for (const std::string version : {"1.1", "1.2"}) {
    SCOPED_TRACE(version);
    start();
    connect("accept-version:" + version + "\n");
    feed(wire("SUBSCRIBE\ndestination:/topic/a\n"));
    expect_error_and_close("missing id header");
  }
}

TEST_F(EngineTest, SubscribeIn10DefaultsIdToDestination) {
  connect("");
  feed(wire("SUBSCRIBE\ndestination:/topic/a\n"));
  EXPECT_TRUE(ports.called("subscribe /topic/a /topic/a auto"));
  deliver("/topic/a", "hi");
  ASSERT_EQ(messages().size(), 1u);
  EXPECT_EQ(messages()[0].get("subscription"), "/topic/a");

  feed(wire("UNSUBSCRIBE\ndestination:/topic/a\nreceipt:u\n"));
  EXPECT_TRUE(ports.called("unsubscribe /topic/a /topic/a"));
  EXPECT_EQ(engine->subscription_count(), 0u);
  EXPECT_EQ(receipt_ids(frames()), std::vector<std::string>{"u"});
}

TEST_F(EngineTest, DuplicateSubscriptionIdIsRefused) {
  connect();
  subscribe("0", "/topic/a");
  feed(wire("SUBSCRIBE\nid:0\ndestination:/topic/b\n"));
  expect_error_and_close("subscription id already in use");
  EXPECT_FALSE(ports.called("subscribe 0 /topic/b auto"));
}

TEST_F(EngineTest, TooManySubscriptionsIsRefused) {
  EngineOptions options;
  options.max_subscriptions = 2;
  start(options);
  connect();
  subscribe("0", "/topic/a");
  subscribe("1", "/topic/b");
  feed(wire("SUBSCRIBE\nid:2\ndestination:/topic/c\n"));
  expect_error_and_close("too many subscriptions");
  EXPECT_EQ(ports.calls_starting_with("subscribe").size(), 2u);
}

TEST_F(EngineTest, InvalidAckModeIsRefused) {
  connect();
  feed(wire("SUBSCRIBE\nid:0\ndestination:/topic/a\nack:sometimes\n"));
  expect_error_and_close("invalid ack header");
  EXPECT_TRUE(ports.calls_starting_with("subscribe").empty());
}

TEST_F(EngineTest, SubscribeRefusedByPortsGetsErrorWithReceiptId) {
  connect();
  ports.subscribe_refusal = "invalid destination: not allowed";
  feed(wire("SUBSCRIBE\nid:0\ndestination:/topic/secret\nreceipt:77\n"));
  expect_error_and_close("invalid destination: not allowed");
  const std::vector<Frame> all = frames();
  const Frame* error = first_error(all);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->get("receipt-id"), "77");
  EXPECT_NE(error->body.find("/topic/secret"), std::string::npos) << error->body;
  EXPECT_TRUE(receipt_ids(frames()).empty());
  EXPECT_EQ(engine->subscription_count(), 0u);
}

TEST_F(EngineTest, APendingSubscriptionsReceiptWaitsUntilItIsReady) {
  connect();
  ports.subscriptions_pending = true;
  feed(wire("SUBSCRIBE\nid:room\ndestination:/topic/room/r1\nreceipt:s1\n"));
  feed(wire("SUBSCRIBE\nid:gone\ndestination:/topic/room/r2\nreceipt:s2\n"));
  EXPECT_TRUE(receipt_ids(frames()).empty());
  EXPECT_EQ(engine->subscription_count(), 2u);
  engine->subscription_ready("room");
  EXPECT_EQ(receipt_ids(frames()), (std::vector<std::string>{"s1"}));
  engine->subscription_ready("room");  // once
  // Unsubscribed before it was ready: only the UNSUBSCRIBE's receipt ever comes.
  feed(wire("UNSUBSCRIBE\nid:gone\nreceipt:u2\n"));
  engine->subscription_ready("gone");
  EXPECT_EQ(receipt_ids(frames()), (std::vector<std::string>{"s1", "u2"}));
}

TEST_F(EngineTest, ErrorWithoutReceiptHasNoReceiptId) {
  connect();
  ports.subscribe_refusal = "no";
  feed(wire("SUBSCRIBE\nid:0\ndestination:/topic/a\n"));
  const std::vector<Frame> all = frames();
  const Frame* error = first_error(all);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->find("receipt-id"), nullptr);
}

TEST_F(EngineTest, UnsubscribeTwiceIsHarmless) {
  connect();
  subscribe("0", "/topic/a");
  feed(wire("UNSUBSCRIBE\nid:0\nreceipt:u1\n"));
  feed(wire("UNSUBSCRIBE\nid:0\nreceipt:u2\n"));
  EXPECT_FALSE(engine->closed());
  EXPECT_EQ(ports.calls_starting_with("unsubscribe"),
            std::vector<std::string>{"unsubscribe 0 /topic/a"});
  EXPECT_EQ(receipt_ids(frames()), (std::vector<std::string>{"u1", "u2"}));
  EXPECT_EQ(engine->subscription_count(), 0u);

  // The id is free again.
  subscribe("0", "/topic/b");
  EXPECT_EQ(engine->subscription_count(), 1u);
}

TEST_F(EngineTest, UnsubscribeRequiresIdFrom11) {
  connect();
  subscribe("0", "/topic/a");
  feed(wire("UNSUBSCRIBE\ndestination:/topic/a\n"));
  expect_error_and_close("missing id header");
}

TEST_F(EngineTest, DeliveryAfterUnsubscribeIsIgnored) {
  connect();
  subscribe("0", "/topic/a");
  feed(wire("UNSUBSCRIBE\nid:0\n"));
  const std::string before = ports.written;
  deliver("0", "late");
  deliver("nobody", "late");
  EXPECT_EQ(ports.written, before);
}

// SEND.

TEST_F(EngineTest, SendIsPassedToPortsWithReceipt) {
  connect();
  feed(wire("SEND\ndestination:/app/chat\ncontent-type:text/plain\nreceipt:s\n", "hello"));
  ASSERT_EQ(ports.sends.size(), 1u);
  EXPECT_EQ(ports.sends[0].get("destination"), "/app/chat");
  EXPECT_EQ(ports.sends[0].get("content-type"), "text/plain");
  EXPECT_EQ(ports.sends[0].body, "hello");
  EXPECT_EQ(receipt_ids(frames()), std::vector<std::string>{"s"});
}

TEST_F(EngineTest, SendRequiresDestination) {
  connect();
  feed(wire("SEND\nreceipt:s\n", "hello"));
  expect_error_and_close("missing destination header");
  EXPECT_TRUE(ports.sends.empty());
  EXPECT_EQ(first_error(frames())->get("receipt-id"), "s");
}

TEST_F(EngineTest, SendRefusedByPortsGetsErrorWithReceiptId) {
  connect();
  ports.send_refusal = "unknown destination";
  feed(wire("SEND\ndestination:/app/nowhere\nreceipt:9\n", "x"));
  expect_error_and_close("unknown destination");
  const std::vector<Frame> all = frames();
  const Frame* error = first_error(all);
  EXPECT_EQ(error->get("receipt-id"), "9");
  EXPECT_EQ(error->get("content-type"), "text/plain");
  EXPECT_EQ(error->body, "unknown destination: /app/nowhere");
  EXPECT_TRUE(receipt_ids(frames()).empty());
}

TEST_F(EngineTest, ErrorReasonStaysOnOneLine) {
  connect();
  ports.send_refusal = "bad\r\nthing";
  feed(wire("SEND\ndestination:/app/a\n"));
  EXPECT_EQ(first_error(frames())->get("message"), "bad  thing");
}

TEST_F(EngineTest, LongErrorReasonIsCutOnACharacterBoundary) {
  connect();
  // 1 + 2 × 200 bytes: a cut at any even byte count would split a character.
  ports.send_refusal = "x";
  for (int i = 0; i < 200; ++i) ports.send_refusal += "\xC3\xA9";
  feed(wire("SEND\ndestination:/app/a\n"));
  const std::vector<Frame> all = frames();  // fails on invalid UTF-8 in a header
  const Frame* error = first_error(all);
  ASSERT_NE(error, nullptr);
  const std::string_view message = error->get("message");
  EXPECT_LE(message.size(), 256u);
  EXPECT_GE(message.size(), 250u);
  EXPECT_TRUE(ports.send_refusal.starts_with(message));
  EXPECT_EQ(error->body, ports.send_refusal + ": /app/a") << "the body keeps the whole reason";
}

// Receipts.

TEST_F(EngineTest, EveryFrameThatAsksGetsAReceipt) {
  connect();
  feed(wire("SUBSCRIBE\nid:0\ndestination:/queue/a\nack:client\nreceipt:1\n"));
  deliver("0", "m1");
  deliver("0", "m2");
  feed(wire("SEND\ndestination:/app/a\nreceipt:2\n") + wire("ACK\nid:1\nreceipt:3\n") +
       wire("NACK\nid:2\nreceipt:4\n") + wire("BEGIN\ntransaction:t\nreceipt:5\n") +
       wire("COMMIT\ntransaction:t\nreceipt:6\n") + wire("BEGIN\ntransaction:u\nreceipt:7\n") +
       wire("ABORT\ntransaction:u\nreceipt:8\n") + wire("UNSUBSCRIBE\nid:0\nreceipt:9\n") +
       wire("DISCONNECT\nreceipt:10\n"));
  EXPECT_EQ(receipt_ids(frames()),
            (std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}));
  EXPECT_EQ(first_error(frames()), nullptr);
}

TEST_F(EngineTest, ReceiptIdIsEscapedBackAsReceived) {
  connect();
  feed(wire("SEND\ndestination:/app/a\nreceipt:a\\cb\n"));
  EXPECT_NE(ports.written.find("receipt-id:a\\cb\n"), std::string::npos) << ports.written;
  EXPECT_EQ(receipt_ids(frames()), std::vector<std::string>{"a:b"});
}

// Deliveries.

TEST_F(EngineTest, DeliverInAutoModeHasMessageIdButNoAck) {
  connect();
  subscribe("sub-0", "/topic/a");
  engine->deliver("sub-0", make_message("/topic/a", "text/plain", "hello"), t0);
  const std::vector<Frame> all = messages();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].get("subscription"), "sub-0");
  EXPECT_FALSE(all[0].get("message-id").empty());
  EXPECT_EQ(all[0].find("ack"), nullptr);
  EXPECT_EQ(all[0].get("destination"), "/topic/a");
  EXPECT_EQ(all[0].get("content-type"), "text/plain");
  EXPECT_EQ(all[0].body, "hello");
}

TEST_F(EngineTest, DeliverInClientModesHasAckHeaderOnlyIn12) {
  for (const std::string mode : {"client", "client-individual"}) {
    SCOPED_TRACE(mode);
    start();
    connect("accept-version:1.2\n");
    subscribe("0", "/queue/a", mode);
    deliver("0", "m1");
    deliver("0", "m2");
    const std::vector<Frame> all = messages();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].get("ack"), all[0].get("message-id"));
    EXPECT_FALSE(all[0].get("ack").empty());
    EXPECT_NE(all[0].get("message-id"), all[1].get("message-id"));

    for (const std::string version : {"1.0", "1.1"}) {
      SCOPED_TRACE(version);
      start();
      connect("accept-version:" + version + "\n");
      subscribe("0", "/queue/a", mode);
      deliver("0", "m1");
      ASSERT_EQ(messages().size(), 1u);
      EXPECT_EQ(messages()[0].find("ack"), nullptr);
      EXPECT_FALSE(messages()[0].get("message-id").empty());
    }
  }
}

TEST_F(EngineTest, DeliverEscapesSubscriptionIdForTheVersion) {
  connect("accept-version:1.2\n");
  subscribe("a\\cb", "/topic/a");
  deliver("a:b", "x");
  EXPECT_NE(ports.written.find("\nsubscription:a\\cb\n"), std::string::npos) << ports.written;
  EXPECT_EQ(messages()[0].get("subscription"), "a:b");

  start();
  connect("accept-version:1.1\n");
  subscribe("a\\nb", "/topic/a");
  deliver("a\nb", "x");
  EXPECT_NE(ports.written.find("\nsubscription:a\\nb\n"), std::string::npos) << ports.written;
  EXPECT_EQ(messages()[0].get("subscription"), "a\nb");

  start();
  connect("");
  subscribe("a\\cb", "/topic/a");  // 1.0 has no escapes: the id is read as is
  deliver("a\\cb", "x");
  EXPECT_NE(ports.written.find("\nsubscription:a\\cb\n"), std::string::npos) << ports.written;
  EXPECT_EQ(ports.frames(Version::k10).back().get("subscription"), "a\\cb");
}

TEST_F(EngineTest, DeliverSharesTheMessageTail) {
  connect();
  subscribe("0", "/topic/a");
  subscribe("1", "/topic/a");
  const auto message = make_message("/topic/a", "text/plain", "shared");
  engine->deliver("0", message, t0);
  engine->deliver("1", message, t0);
  ASSERT_EQ(ports.writes.size(), 3u);
  EXPECT_EQ(ports.writes[1].shared().get(), ports.writes[2].shared().get());
  EXPECT_EQ(ports.writes[1].shared().get(), &message->tail_for(Version::k12));
}

TEST_F(EngineTest, DeliverBeforeConnectOrToUnknownSubscriptionIsIgnored) {
  deliver("0", "early");
  EXPECT_TRUE(ports.written.empty());
  connect();
  const std::string before = ports.written;
  deliver("0", "nobody");
  EXPECT_EQ(ports.written, before);
  EXPECT_FALSE(engine->closed());
}

// ACK and NACK.

class AckTest : public EngineTest {
 protected:
  // Subscribes in `mode` and delivers m1, m2, m3; returns their ack ids.
  std::vector<std::string> deliver_three(std::string_view mode) {
    subscribe("0", "/queue/work", mode);
    for (const char* body : {"m1", "m2", "m3"}) deliver("0", body);
    std::vector<std::string> ids;
    for (const Frame& message : messages()) {
      ids.emplace_back(message.get(engine->version() == Version::k12 ? "ack" : "message-id"));
    }
    EXPECT_EQ(ids.size(), 3u);
    return ids;
  }
};

TEST_F(AckTest, AckInClientModeIsCumulative) {
  connect();
  const auto ids = deliver_three("client");
  feed(wire("ACK\nid:" + ids[1] + "\n"));
  EXPECT_TRUE(ports.returned_bodies.empty());
  engine->on_transport_closed();
  EXPECT_EQ(ports.returned_bodies, std::vector<std::string>{"m3"});
}

TEST_F(AckTest, AckInClientIndividualModeIsIndividual) {
  connect();
  const auto ids = deliver_three("client-individual");
  feed(wire("ACK\nid:" + ids[1] + "\n"));
  engine->on_transport_closed();
  EXPECT_EQ(ports.returned_bodies, (std::vector<std::string>{"m1", "m3"}));
}

TEST_F(AckTest, NackReturnsTheMessage) {
  connect();
  const auto ids = deliver_three("client-individual");
  feed(wire("NACK\nid:" + ids[1] + "\n"));
  EXPECT_EQ(ports.returned_bodies, std::vector<std::string>{"m2"});
  EXPECT_TRUE(ports.called("returned /queue/work m2"));
  engine->on_transport_closed();
  EXPECT_EQ(ports.returned_bodies, (std::vector<std::string>{"m2", "m1", "m3"}));
}

TEST_F(AckTest, NackInClientModeReturnsEarlierMessagesToo) {
  connect();
  const auto ids = deliver_three("client");
  feed(wire("NACK\nid:" + ids[1] + "\n"));
  EXPECT_EQ(ports.returned_bodies, (std::vector<std::string>{"m1", "m2"}));
  engine->on_transport_closed();
  EXPECT_EQ(ports.returned_bodies, (std::vector<std::string>{"m1", "m2", "m3"}));
}

TEST_F(AckTest, AckIn11UsesMessageIdAndSubscription) {
  connect("accept-version:1.1\n");
  const auto ids = deliver_three("client-individual");
  // The wrong subscription matches nothing.
  feed(wire("ACK\nsubscription:other\nmessage-id:" + ids[0] + "\n"));
  feed(wire("ACK\nsubscription:0\nmessage-id:" + ids[1] + "\n"));
  feed(wire("ACK\nsubscription:0\nid:" + ids[2] + "\nreceipt:r\n"));  // 1.2 style: no message-id
  expect_error_and_close("missing message-id header");
  EXPECT_EQ(first_error(frames())->get("receipt-id"), "r");
  engine->on_transport_closed();
  EXPECT_EQ(ports.returned_bodies, (std::vector<std::string>{"m1", "m3"}));
}

TEST_F(AckTest, AckIn11WithoutSubscriptionIsRefused) {
  // STOMP 1.1 requires `subscription` on ACK and NACK; accepting one without it would guess.
  connect("accept-version:1.1\n");
  const auto ids = deliver_three("client-individual");
  feed(wire("ACK\nmessage-id:" + ids[0] + "\nreceipt:r\n"));
  expect_error_and_close("missing subscription header");
  EXPECT_EQ(first_error(ports.frames(Version::k11))->get("receipt-id"), "r");
}

TEST_F(AckTest, NackIn11WithoutSubscriptionIsRefused) {
  connect("accept-version:1.1\n");
  const auto ids = deliver_three("client");
  feed(wire("NACK\nmessage-id:" + ids[0] + "\n"));
  expect_error_and_close("missing subscription header");
}

TEST_F(AckTest, AckIn12RequiresId) {
  connect();
  const auto ids = deliver_three("client");
  feed(wire("ACK\nmessage-id:" + ids[0] + "\n"));
  expect_error_and_close("missing id header");
}

TEST_F(AckTest, AckOfUnknownOrAlreadyAckedMessageIsNotAnError) {
  connect();
  const auto ids = deliver_three("client-individual");
  feed(wire("ACK\nid:" + ids[0] + "\nreceipt:a\n"));
  feed(wire("ACK\nid:" + ids[0] + "\nreceipt:b\n"));
  feed(wire("NACK\nid:nonsense\nreceipt:c\n"));
  EXPECT_FALSE(engine->closed());
  EXPECT_EQ(receipt_ids(frames()), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(ports.returned_bodies.empty());
}

TEST_F(AckTest, AutoModeMessagesAreNeverReturned) {
  connect();
  deliver_three("auto");
  engine->on_transport_closed();
  EXPECT_TRUE(ports.returned_bodies.empty());
  EXPECT_TRUE(ports.called("unsubscribe 0 /queue/work"));
}

TEST_F(AckTest, TooManyUnackedMessagesFails) {
  EngineOptions options;
  options.max_unacked = 2;
  start(options);
  connect();
  subscribe("0", "/queue/work", "client");
  deliver("0", "m1");
  deliver("0", "m2");
  EXPECT_FALSE(engine->closed());
  deliver("0", "m3");
  expect_error_and_close("too many unacknowledged messages");
  EXPECT_EQ(messages().size(), 2u);
  engine->on_transport_closed();
  // Every message comes back exactly once, and only after the subscription is gone, so the
  // broker cannot hand one back to this connection.
  std::vector<std::string> returned = ports.returned_bodies;
  std::sort(returned.begin(), returned.end());
  EXPECT_EQ(returned, (std::vector<std::string>{"m1", "m2", "m3"}));
  const std::size_t unsubscribed = ports.index_of("unsubscribe 0 /queue/work");
  for (const std::string body : {"m1", "m2", "m3"}) {
    EXPECT_LT(unsubscribed, ports.index_of("returned /queue/work " + body)) << body;
  }
}

TEST_F(AckTest, UnackedMessagesAreReturnedWhenTheTransportCloses) {
  connect();
  subscribe("a", "/queue/one", "client");
  subscribe("b", "/queue/two", "client-individual");
  subscribe("c", "/topic/three", "auto");
  engine->deliver("a", make_message("/queue/one", "", "a1"), t0);
  engine->deliver("b", make_message("/queue/two", "", "b1"), t0);
  engine->deliver("b", make_message("/queue/two", "", "b2"), t0);
  engine->deliver("c", make_message("/topic/three", "", "c1"), t0);
  const std::string before = ports.written;

  engine->on_transport_closed();
  EXPECT_TRUE(engine->closed());
  EXPECT_EQ(ports.written, before) << "nothing is written to a closed transport";
  EXPECT_EQ(ports.close_count, 0) << "the transport is already gone";
  EXPECT_EQ(ports.returned_bodies, (std::vector<std::string>{"a1", "b1", "b2"}));
  EXPECT_EQ(ports.calls_starting_with("unsubscribe").size(), 3u);
  // Every subscription is gone before any message comes back.
  const std::size_t first_returned = ports.index_of("returned /queue/one a1");
  for (const std::string& call : ports.calls_starting_with("unsubscribe")) {
    EXPECT_LT(ports.index_of(call), first_returned) << call;
  }
  EXPECT_EQ(engine->subscription_count(), 0u);

  engine->on_transport_closed();  // a second call changes nothing
  EXPECT_EQ(ports.returned_bodies.size(), 3u);
  EXPECT_EQ(ports.calls_starting_with("unsubscribe").size(), 3u);
}

TEST_F(AckTest, UnackedMessagesAreReturnedWhenTheEngineCloses) {
  connect();
  subscribe("a", "/queue/one", "client");
  subscribe("b", "/queue/two", "client-individual");
  engine->deliver("a", make_message("/queue/one", "", "a1"), t0);
  engine->deliver("b", make_message("/queue/two", "", "b1"), t0);
  feed(wire("DISCONNECT\nreceipt:bye\n"));
  EXPECT_TRUE(engine->closed());
  // The subscriptions are released at once: no delivery reaches a closing connection only to be
  // dropped while its last frames are flushed.
  EXPECT_EQ(ports.calls_starting_with("unsubscribe").size(), 2u);
  EXPECT_EQ(ports.returned_bodies, (std::vector<std::string>{"a1", "b1"}));
  const std::size_t first_returned = ports.index_of("returned /queue/one a1");
  for (const std::string& call : ports.calls_starting_with("unsubscribe")) {
    EXPECT_LT(ports.index_of(call), first_returned) << call;
  }
  engine->on_transport_closed();
  EXPECT_EQ(ports.returned_bodies.size(), 2u) << "each message is returned once";
  EXPECT_EQ(ports.calls_starting_with("unsubscribe").size(), 2u);
}

// Transactions.

TEST_F(AckTest, CommitAppliesBufferedFramesInOrder) {
  connect();
  const auto ids = deliver_three("client-individual");
  feed(wire("BEGIN\ntransaction:t\n") + wire("SEND\ndestination:/app/a\ntransaction:t\n", "1") +
       wire("NACK\nid:" + ids[0] + "\ntransaction:t\n") +
       wire("ACK\nid:" + ids[1] + "\ntransaction:t\n") +
       wire("SEND\ndestination:/app/b\ntransaction:t\n", "2"));
  EXPECT_TRUE(ports.sends.empty()) << "nothing is applied before COMMIT";
  EXPECT_TRUE(ports.returned_bodies.empty());

  feed(wire("COMMIT\ntransaction:t\n"));
  EXPECT_EQ(ports.calls_starting_with("send"),
            (std::vector<std::string>{"send /app/a 1", "send /app/b 2"}));
  EXPECT_LT(ports.index_of("send /app/a 1"), ports.index_of("returned /queue/work m1"));
  EXPECT_LT(ports.index_of("returned /queue/work m1"), ports.index_of("send /app/b 2"));
  EXPECT_EQ(ports.sends[0].get("transaction"), "t");

  engine->on_transport_closed();
  EXPECT_EQ(ports.returned_bodies, (std::vector<std::string>{"m1", "m3"})) << "m2 was acked";
}

TEST_F(EngineTest, AbortDiscardsBufferedFrames) {
  connect();
  feed(wire("BEGIN\ntransaction:t\n") + wire("SEND\ndestination:/app/a\ntransaction:t\n") +
       wire("ABORT\ntransaction:t\n"));
  EXPECT_FALSE(engine->closed());
  EXPECT_TRUE(ports.sends.empty());
  // The transaction is over.
  feed(wire("COMMIT\ntransaction:t\n"));
  expect_error_and_close("unknown transaction");
  EXPECT_TRUE(ports.sends.empty());
}

TEST_F(EngineTest, TransactionNameCanBeReusedAfterCommit) {
  connect();
  feed(wire("BEGIN\ntransaction:t\n") + wire("COMMIT\ntransaction:t\n") +
       wire("BEGIN\ntransaction:t\n") + wire("SEND\ndestination:/app/a\ntransaction:t\n") +
       wire("COMMIT\ntransaction:t\n"));
  EXPECT_FALSE(engine->closed());
  EXPECT_EQ(ports.sends.size(), 1u);
}

TEST_F(EngineTest, UnknownTransactionIsRefused) {
  for (const std::string& frame :
       {wire("SEND\ndestination:/app/a\ntransaction:x\n"), wire("ACK\nid:1\ntransaction:x\n"),
        wire("COMMIT\ntransaction:x\n"), wire("ABORT\ntransaction:x\n")}) {
    SCOPED_TRACE(frame);
    start();
    connect();
    feed(frame);
    expect_error_and_close("unknown transaction");
    EXPECT_TRUE(ports.sends.empty());
  }
}

TEST_F(EngineTest, TransactionHeaderIsRequired) {
  for (const std::string command : {"BEGIN", "COMMIT", "ABORT"}) {
    SCOPED_TRACE(command);
    start();
    connect();
    feed(wire(command + "\n"));
    expect_error_and_close("missing transaction header");
  }
}

TEST_F(EngineTest, DuplicateBeginIsRefused) {
  connect();
  feed(wire("BEGIN\ntransaction:t\n") + wire("BEGIN\ntransaction:t\n"));
  expect_error_and_close("transaction already begun");
}

TEST_F(EngineTest, TooManyTransactionsIsRefused) {
  EngineOptions options;
  options.max_transactions = 2;
  start(options);
  connect();
  feed(wire("BEGIN\ntransaction:a\n") + wire("BEGIN\ntransaction:b\n"));
  EXPECT_FALSE(engine->closed());
  feed(wire("BEGIN\ntransaction:c\n"));
  expect_error_and_close("too many open transactions");
}

TEST_F(EngineTest, TooManyFramesInTransactionIsRefused) {
  EngineOptions options;
  options.max_transaction_frames = 2;
  start(options);
  connect();
  const std::string send = wire("SEND\ndestination:/app/a\ntransaction:t\n");
  feed(wire("BEGIN\ntransaction:t\n") + send + send);
  EXPECT_FALSE(engine->closed());
  feed(send);
  expect_error_and_close("transaction too large");
  EXPECT_TRUE(ports.sends.empty());
}

TEST_F(EngineTest, ReceiptsOfBufferedFramesComeAtCommit) {
  // A receipt for a frame still held in a transaction would confirm what an ABORT or a refusal at
  // COMMIT may yet undo: they come when COMMIT applies the frames.
  connect();
  feed(wire("BEGIN\ntransaction:t\nreceipt:b\n") +
       wire("SEND\ndestination:/app/a\ntransaction:t\nreceipt:s1\n") +
       wire("SEND\ndestination:/app/a\ntransaction:t\nreceipt:s2\n"));
  EXPECT_EQ(receipt_ids(frames()), (std::vector<std::string>{"b"}));
  EXPECT_TRUE(ports.sends.empty());
  feed(wire("COMMIT\ntransaction:t\nreceipt:c\n"));
  EXPECT_EQ(ports.sends.size(), 2u);
  EXPECT_EQ(receipt_ids(frames()), (std::vector<std::string>{"b", "s1", "s2", "c"}));
}

TEST_F(EngineTest, AbortedFramesNeverGetReceipts) {
  connect();
  feed(wire("BEGIN\ntransaction:t\n") +
       wire("SEND\ndestination:/app/a\ntransaction:t\nreceipt:s1\n") +
       wire("ABORT\ntransaction:t\nreceipt:a\n"));
  EXPECT_TRUE(ports.sends.empty());
  EXPECT_EQ(receipt_ids(frames()), (std::vector<std::string>{"a"}));
}

TEST_F(EngineTest, CommitReceiptWaitsForItsSendsToBeStored) {
  connect();
  ports.defer_sends = true;
  feed(wire("BEGIN\ntransaction:t\n") +
       wire("SEND\ndestination:/app/a\ntransaction:t\nreceipt:s1\n") +
       wire("SEND\ndestination:/app/a\ntransaction:t\nreceipt:s2\n") +
       wire("COMMIT\ntransaction:t\nreceipt:c\n"));
  ASSERT_EQ(ports.tickets.size(), 2u);
  EXPECT_TRUE(receipt_ids(frames()).empty());
  engine->send_settled(ports.tickets[1], true, t0);
  EXPECT_EQ(receipt_ids(frames()), (std::vector<std::string>{"s2"}));
  engine->send_settled(ports.tickets[0], true, t0);
  EXPECT_EQ(receipt_ids(frames()), (std::vector<std::string>{"s2", "s1", "c"}));
}

TEST_F(EngineTest, CommitWithARefusedSendStillAnswersTheCommit) {
  // The refused SEND got its refusal (with its receipt-id) from the world; the COMMIT itself was
  // carried out, so its receipt comes, and the stored SEND's too.
  connect();
  ports.defer_sends = true;
  feed(wire("BEGIN\ntransaction:t\n") +
       wire("SEND\ndestination:/app/a\ntransaction:t\nreceipt:s1\n") +
       wire("SEND\ndestination:/app/a\ntransaction:t\nreceipt:s2\n") +
       wire("COMMIT\ntransaction:t\nreceipt:c\n"));
  engine->send_settled(ports.tickets[0], false, t0);
  engine->send_settled(ports.tickets[1], true, t0);
  EXPECT_EQ(receipt_ids(frames()), (std::vector<std::string>{"s2", "c"}));
}

TEST_F(EngineTest, DeferredSendGetsItsReceiptOnlyWhenStored) {
  connect();
  ports.defer_sends = true;
  feed(wire("SEND\ndestination:/app/a\nreceipt:r1\n") +
       wire("SEND\ndestination:/app/a\nreceipt:r2\n"));
  EXPECT_TRUE(receipt_ids(frames()).empty());
  EXPECT_EQ(engine->pending_sends(), 2u);
  engine->send_settled(ports.tickets[0], false, t0);  // refused: no receipt
  engine->send_settled(ports.tickets[1], true, t0);
  engine->send_settled(ports.tickets[1], true, t0);  // settling twice is harmless
  EXPECT_EQ(receipt_ids(frames()), (std::vector<std::string>{"r2"}));
  EXPECT_EQ(engine->pending_sends(), 0u);
  EXPECT_TRUE(engine->connected());
}

TEST_F(EngineTest, RefusedSendKeepsTheConnectionWithoutReceipt) {
  connect();
  ports.refuse_sends = true;
  feed(wire("SEND\ndestination:/app/a\nreceipt:r1\n"));
  EXPECT_TRUE(receipt_ids(frames()).empty());
  EXPECT_TRUE(engine->connected());
  EXPECT_EQ(ports.close_count, 0);
}

TEST_F(EngineTest, DisconnectReceiptWaitsForPendingSends) {
  // The DISCONNECT receipt says every frame before it was handled; a pending SEND is not yet.
  connect();
  ports.defer_sends = true;
  feed(wire("SEND\ndestination:/app/a\nreceipt:r1\n") + wire("DISCONNECT\nreceipt:d\n") +
       wire("SEND\ndestination:/app/a\nreceipt:late\n"));
  EXPECT_EQ(ports.sends.size(), 1u);  // nothing after DISCONNECT is handled
  EXPECT_EQ(ports.close_count, 0);
  engine->send_settled(ports.tickets[0], true, t0);
  EXPECT_EQ(receipt_ids(frames()), (std::vector<std::string>{"r1", "d"}));
  EXPECT_EQ(ports.close_count, 1);
}

TEST_F(EngineTest, SettlingAfterCloseWritesNothing) {
  connect();
  ports.defer_sends = true;
  feed(wire("SEND\ndestination:/app/a\nreceipt:r1\n"));
  engine->fail("slow consumer");
  const std::string before = ports.written;
  engine->send_settled(ports.tickets[0], true, t0);
  EXPECT_EQ(ports.written, before);
}

TEST_F(EngineTest, SendRefusedAtCommitFailsAndStopsTheCommit) {
  connect();
  feed(wire("BEGIN\ntransaction:t\n") + wire("SEND\ndestination:/app/a\ntransaction:t\n", "1") +
       wire("SEND\ndestination:/app/b\ntransaction:t\n", "2"));
  ports.send_refusal = "unknown destination";
  feed(wire("COMMIT\ntransaction:t\nreceipt:c\n"));
  expect_error_and_close("unknown destination");
  EXPECT_EQ(ports.sends.size(), 1u);
  EXPECT_TRUE(receipt_ids(frames()).empty());
}

TEST_F(EngineTest, SendInTransactionStillRequiresDestination) {
  connect();
  feed(wire("BEGIN\ntransaction:t\n") + wire("SEND\ntransaction:t\n"));
  expect_error_and_close("missing destination header");
}

// DISCONNECT.

TEST_F(EngineTest, DisconnectWithReceiptSendsReceiptThenCloses) {
  connect();
  feed(wire("DISCONNECT\nreceipt:bye\n") + wire("SEND\ndestination:/app/a\n"));
  EXPECT_EQ(last_frame().command, Command::kReceipt);
  EXPECT_EQ(last_frame().get("receipt-id"), "bye");
  EXPECT_TRUE(engine->closed());
  EXPECT_EQ(ports.close_count, 1);
  EXPECT_EQ(ports.calls.back(), "close client disconnected");
  EXPECT_TRUE(ports.sends.empty()) << "frames after DISCONNECT are ignored";
  EXPECT_EQ(first_error(frames()), nullptr);
}

TEST_F(EngineTest, DisconnectWithoutReceiptJustCloses) {
  connect();
  const std::string before = ports.written;
  feed(wire("DISCONNECT\n"));
  EXPECT_EQ(ports.written, before);
  EXPECT_TRUE(engine->closed());
  EXPECT_EQ(ports.close_count, 1);
}

// Bad input.

TEST_F(EngineTest, ServerCommandsFromClientAreRefused) {
  for (const std::string command : {"CONNECTED", "MESSAGE", "RECEIPT", "ERROR"}) {
    SCOPED_TRACE(command);
    start();
    connect();
    feed(wire(command + "\nreceipt:r\n"));
    expect_error_and_close("unexpected frame from client");
    EXPECT_EQ(first_error(frames())->body, "unexpected frame from client: " + command);
    EXPECT_EQ(first_error(frames())->get("receipt-id"), "r");
  }
}

TEST_F(EngineTest, FrameTooLargeSendsErrorAndCloses) {
  EngineOptions options;
  options.limits.max_frame_bytes = 256;
  start(options);
  connect();
  feed(wire("SEND\ndestination:/app/a\n", std::string(300, 'x')));
  expect_error_and_close("frame too large");
  EXPECT_TRUE(ports.sends.empty());
}

TEST_F(EngineTest, FramesBeforeABadFrameAreHandled) {
  connect();
  feed(wire("SEND\ndestination:/app/a\n", "1") + wire("SEND\ndestination:/app/b\n", "2") +
       wire("BOGUS\n") + wire("SEND\ndestination:/app/c\n", "3"));
  EXPECT_EQ(ports.calls_starting_with("send"),
            (std::vector<std::string>{"send /app/a 1", "send /app/b 2"}));
  expect_error_and_close("unknown command");
}

TEST_F(EngineTest, DecodeErrorBeforeConnectIsReported) {
  feed("HELLO\n\n\0"s);
  expect_error_and_close("unknown command");
  EXPECT_EQ(ports.written.find('\\'), std::string::npos);
}

TEST_F(EngineTest, BadEscapeIsAnErrorOnlyAfterNegotiating11) {
  connect("accept-version:1.2\n");
  feed(wire("SEND\ndestination:/app/a\\t\n"));
  expect_error_and_close("invalid header escape");

  start();
  connect("");
  feed(wire("SEND\ndestination:/app/a\\t\n"));
  EXPECT_FALSE(engine->closed());
  ASSERT_EQ(ports.sends.size(), 1u);
  EXPECT_EQ(ports.sends[0].get("destination"), "/app/a\\t");
}

TEST_F(EngineTest, EveryFrameIsReportedAsReceived) {
  connect();
  feed(wire("SUBSCRIBE\nid:0\ndestination:/topic/a\n") + "\n" + wire("SEND\ndestination:/app/a\n") +
       wire("DISCONNECT\n"));
  EXPECT_EQ(ports.received_commands, (std::vector<Command>{Command::kConnect, Command::kSubscribe,
                                                           Command::kSend, Command::kDisconnect}));
}

// fail() and closing.

TEST_F(EngineTest, FailSendsErrorAndCloses) {
  connect();
  engine->fail("server shutting down", "try again later");
  expect_error_and_close("server shutting down");
  EXPECT_EQ(first_error(frames())->body, "server shutting down: try again later");
  EXPECT_EQ(ports.close_reason, "server shutting down");
}

TEST_F(EngineTest, FailBeforeConnectIsEncodedFor10) {
  engine->fail("server shutting down: maintenance");
  EXPECT_NE(ports.written.find("\nmessage:server shutting down: maintenance\n"), std::string::npos)
      << ports.written;
  EXPECT_TRUE(engine->closed());
}

TEST_F(EngineTest, NothingIsWrittenAfterClose) {
  connect("accept-version:1.2\nheart-beat:1000,1000\n");
  subscribe("0", "/queue/work", "client");
  engine->fail("slow consumer");
  const std::string before = ports.written;
  const std::size_t calls = ports.calls.size();

  feed(wire("SEND\ndestination:/app/a\nreceipt:r\n") + wire("DISCONNECT\nreceipt:d\n"),
       milliseconds{1});
  deliver("0", "late", milliseconds{2});
  engine->on_tick(t0 + milliseconds{60000});
  engine->fail("again");
  EXPECT_EQ(engine->next_deadline(), Clock::time_point::max());
  EXPECT_EQ(ports.written, before);
  EXPECT_EQ(ports.close_count, 1);
  EXPECT_EQ(ports.calls.size(), calls);
  EXPECT_TRUE(ports.sends.empty());
}

TEST_F(EngineTest, TransportClosedWritesNothingAndStopsTheEngine) {
  connect();
  subscribe("0", "/topic/a");
  engine->on_transport_closed();
  EXPECT_TRUE(engine->closed());
  const std::string before = ports.written;
  feed(wire("SEND\ndestination:/app/a\n"));
  deliver("0", "late");
  engine->fail("shutting down");
  engine->on_tick(t0 + std::chrono::hours(1));
  EXPECT_EQ(ports.written, before);
  EXPECT_EQ(ports.close_count, 0);
  EXPECT_TRUE(ports.sends.empty());
}

// Frames that arrive in the same chunk as CONNECT.

TEST_F(EngineTest, PipelinedFrameAfterConnectIsDecodedWithTheNegotiatedVersion) {
  feed(wire("CONNECT\naccept-version:1.2\n") + wire("SUBSCRIBE\nid:a\\cb\ndestination:/topic/x\n"));
  EXPECT_TRUE(engine->connected());
  EXPECT_TRUE(ports.called("subscribe a:b /topic/x auto")) << testing::PrintToString(ports.calls);
  deliver("a:b", "hi");
  EXPECT_EQ(messages().size(), 1u);
}

TEST_F(EngineTest, PipelinedFramesAfterConnectInAnySplit) {
  const std::string input = "\n" + wire("CONNECT\naccept-version:1.1,1.2\n") + "\n" +
                            wire("SUBSCRIBE\nid:a\\cb\ndestination:/topic/x\nreceipt:r\\c1\n") +
                            wire("SEND\ndestination:/app/a\\\\b\n", "body");
  for (std::size_t split = 0; split <= input.size(); ++split) {
    SCOPED_TRACE(split);
    start();
    feed(std::string_view(input).substr(0, split));
    feed(std::string_view(input).substr(split));
    EXPECT_TRUE(ports.called("subscribe a:b /topic/x auto"));
    ASSERT_EQ(ports.sends.size(), 1u);
    EXPECT_EQ(ports.sends[0].get("destination"), "/app/a\\b");
    EXPECT_EQ(receipt_ids(frames()), std::vector<std::string>{"r:1"});
    EXPECT_FALSE(engine->closed());
  }
}

TEST_F(EngineTest, PipelinedFrameAfter10ConnectIsNotUnescaped) {
  feed(wire("CONNECT\n") + wire("SUBSCRIBE\nid:a\\cb\ndestination:/topic/x\n"));
  EXPECT_EQ(engine->version(), Version::k10);
  EXPECT_TRUE(ports.called("subscribe a\\cb /topic/x auto")) << testing::PrintToString(ports.calls);
}

TEST_F(EngineTest, PipelinedBadFrameAfterConnectIsReportedAfterConnected) {
  feed(wire("CONNECT\naccept-version:1.2\n") + wire("SEND\ndestination:a\\tb\n"));
  const std::vector<Frame> all = frames();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].command, Command::kConnected);
  EXPECT_EQ(all[1].command, Command::kError);
  EXPECT_EQ(all[1].get("message"), "invalid header escape");
  EXPECT_TRUE(ports.sends.empty());
}

TEST_F(EngineTest, EveryErrorNamesTheSessionItEnds) {
  // The session id is the connection's correlation id: CONNECTED gives it, the logs name it.
  feed(wire("CONNECT\naccept-version:1.2\n") + wire("SEND\ndestination:a\\tb\n"));
  const std::vector<Frame> all = frames();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].get("session"), "session-1");
  EXPECT_EQ(all[1].get("session"), "session-1");

  start();
  feed(wire("CONNECT\naccept-version:2.0\n"));
  const std::vector<Frame> refused = ports.frames(Version::k10);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].command, Command::kError);
  EXPECT_EQ(refused[0].get("session"), "session-1");
}

}  // namespace
}  // namespace aicc::stomp
