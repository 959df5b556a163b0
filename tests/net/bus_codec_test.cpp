// The bus events' binary encoding (net/bus.hpp): round trips of every kind, and hostile bytes
// (every truncation, trailing bytes, wrong version or kind, lengths past the end, too many users)
// refused without reading past the input.
#include <gtest/gtest.h>

#include <string>

#include "net/bus.hpp"
#include "net/redis_bus.hpp"

namespace aicc::net {
namespace {

BusEvent full_event() {
  BusEvent event;
  event.kind = BusEvent::Kind::kPublishToUsers;
  event.origin = "node-a";
  event.sent_at_us = 1'700'000'000'123'456;
  event.destination = "/topic/room.r_1";
  event.content_type = "application/json";
  event.body = std::string("{\"text\":\"a\0b \xea\xb0\x80\"}", 19);
  event.seq = 42;
  event.user_id = "u_1";
  event.login_id = "f_1";
  event.reason = "logged out";
  event.user_ids = {"agent_1", "", "agent_3"};
  event.sender_name = "김";
  event.sender_role = "CUSTOMER";
  event.receipt = "r-1";
  event.correlation = "c-1";
  return event;
}

void expect_same(const BusEvent& a, const BusEvent& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.origin, b.origin);
  EXPECT_EQ(a.sent_at_us, b.sent_at_us);
  EXPECT_EQ(a.destination, b.destination);
  EXPECT_EQ(a.content_type, b.content_type);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.user_id, b.user_id);
  EXPECT_EQ(a.login_id, b.login_id);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.user_ids, b.user_ids);
  EXPECT_EQ(a.sender_name, b.sender_name);
  EXPECT_EQ(a.sender_role, b.sender_role);
  EXPECT_EQ(a.receipt, b.receipt);
  EXPECT_EQ(a.correlation, b.correlation);
}

TEST(BusCodec, EveryKindRoundTrips) {
  for (auto kind :
       {BusEvent::Kind::kPublish, BusEvent::Kind::kPublishToUsers, BusEvent::Kind::kSendToUser,
        BusEvent::Kind::kUnsubscribeUser, BusEvent::Kind::kCloseUserSessions,
        BusEvent::Kind::kCloseLoginSessions, BusEvent::Kind::kRoutingCommand,
        BusEvent::Kind::kRoutingReply, BusEvent::Kind::kRoomMembers, BusEvent::Kind::kAgentPresence,
        BusEvent::Kind::kViewRequest, BusEvent::Kind::kViewReply}) {
    BusEvent event = full_event();
    event.kind = kind;
    const auto decoded = decode_bus_event(encode_bus_event(event));
    ASSERT_TRUE(decoded.has_value());
    expect_same(*decoded, event);
  }
  const auto empty = decode_bus_event(encode_bus_event(BusEvent{}));
  ASSERT_TRUE(empty.has_value());
  expect_same(*empty, BusEvent{});
}

TEST(BusCodec, RefusesEveryTruncationAndTrailingBytes) {
  const std::string bytes = encode_bus_event(full_event());
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(decode_bus_event(std::string_view(bytes).substr(0, size)).has_value()) << size;
  }
  EXPECT_FALSE(decode_bus_event(bytes + "x").has_value());
}

TEST(BusCodec, RefusesWrongVersionKindAndLengths) {
  std::string bytes = encode_bus_event(full_event());
  std::string wrong_version = bytes;
  wrong_version[0] = '\x02';
  EXPECT_FALSE(decode_bus_event(wrong_version).has_value());
  // No kind 0, none past the last one.
  const char past_last = static_cast<char>(static_cast<int>(BusEvent::kLastKind) + 1);
  for (const char kind : {'\x00', past_last, '\xff'}) {
    std::string wrong_kind = bytes;
    wrong_kind[1] = kind;
    EXPECT_FALSE(decode_bus_event(wrong_kind).has_value());
  }
  // The origin's length claims 4 GiB.
  std::string long_field = bytes;
  long_field[2] = long_field[3] = long_field[4] = long_field[5] = '\xff';
  EXPECT_FALSE(decode_bus_event(long_field).has_value());
  // Too many user ids, and more than the bytes hold.
  BusEvent many;
  many.user_ids.assign(kMaxBusUserIds + 1, "u");
  EXPECT_FALSE(decode_bus_event(encode_bus_event(many)).has_value());
  std::string claims_more = encode_bus_event(BusEvent{});
  claims_more[claims_more.size() - 17] = '\x05';  // five user ids, none present
  EXPECT_FALSE(decode_bus_event(claims_more).has_value());
  EXPECT_FALSE(decode_bus_event(std::string(kMaxBusEventBytes + 1, '\x01')).has_value());
}

TEST(RedisUrl, ReadsHostPortCredentialsAndDatabase) {
  auto plain = parse_redis_url("redis://cache.example.com");
  ASSERT_TRUE(plain.error.empty()) << plain.error;
  EXPECT_EQ(plain.address.host, "cache.example.com");
  EXPECT_EQ(plain.address.port, 6379);
  EXPECT_EQ(plain.address.database, 0);

  auto full = parse_redis_url("redis://aicc:p%40ss:w@10.0.0.5:6380/2");
  ASSERT_TRUE(full.error.empty()) << full.error;
  EXPECT_EQ(full.address.username, "aicc");
  EXPECT_EQ(full.address.password, "p%40ss:w");
  EXPECT_EQ(full.address.host, "10.0.0.5");
  EXPECT_EQ(full.address.port, 6380);
  EXPECT_EQ(full.address.database, 2);

  auto password_only = parse_redis_url("redis://:secret@localhost:7000/");
  ASSERT_TRUE(password_only.error.empty()) << password_only.error;
  EXPECT_EQ(password_only.address.username, "");
  EXPECT_EQ(password_only.address.password, "secret");
  EXPECT_EQ(password_only.address.port, 7000);

  auto v6 = parse_redis_url("redis://[::1]:6390");
  ASSERT_TRUE(v6.error.empty()) << v6.error;
  EXPECT_EQ(v6.address.host, "::1");
  EXPECT_EQ(v6.address.port, 6390);
}

TEST(RedisUrl, RefusesWhatItCannotUseAndSaysWhy) {
  EXPECT_NE(parse_redis_url("rediss://h:6379").error.find("TLS"), std::string::npos);
  EXPECT_NE(parse_redis_url("http://h").error.find("redis://"), std::string::npos);
  EXPECT_NE(parse_redis_url("redis://h:0").error.find("port"), std::string::npos);
  EXPECT_NE(parse_redis_url("redis://h:99999").error.find("port"), std::string::npos);
  EXPECT_NE(parse_redis_url("redis://h:12x").error.find("port"), std::string::npos);
  EXPECT_NE(parse_redis_url("redis://h:6379/x").error.find("database"), std::string::npos);
  EXPECT_NE(parse_redis_url("redis://:6379").error.find("host"), std::string::npos);
}

}  // namespace
}  // namespace aicc::net
