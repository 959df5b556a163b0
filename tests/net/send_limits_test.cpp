#include "net/send_limits.hpp"

#include <gtest/gtest.h>

namespace aicc::net {
namespace {

using std::chrono::milliseconds;
using Clock = SendAllowance::Clock;

const Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);

TEST(SendAllowance, BothFramesAndBytesMustHaveRoom) {
  SendAllowance allowance(config::SendRateConfig{10, 3, 1000, 1000}, t0);
  EXPECT_EQ(allowance.admit(400, t0), milliseconds(0));
  EXPECT_EQ(allowance.admit(400, t0), milliseconds(0));
  // Frames left (1) but not bytes (200 of 400): refused, and nothing is counted.
  EXPECT_EQ(allowance.admit(400, t0), milliseconds(200));
  EXPECT_EQ(allowance.admit(100, t0), milliseconds(0));  // the frame was not taken above
  // Bytes left (100) but no frames.
  EXPECT_EQ(allowance.admit(0, t0), milliseconds(100));
}

TEST(UserSendLimits, OneUsersConnectionsShareOneAllowance) {
  config::LimitsConfig limits;
  limits.chat = {1, 2, 1 << 20, 1 << 20};
  UserSendLimits users(limits);
  EXPECT_EQ(users.admit("u1", broker::RateClass::kChat, 10, t0), milliseconds(0));
  EXPECT_EQ(users.admit("u1", broker::RateClass::kChat, 10, t0), milliseconds(0));
  EXPECT_GT(users.admit("u1", broker::RateClass::kChat, 10, t0).count(), 0);
  // Another user, and the same user's lobby allowance, are counted apart.
  EXPECT_EQ(users.admit("u2", broker::RateClass::kChat, 10, t0), milliseconds(0));
  EXPECT_EQ(users.admit("u1", broker::RateClass::kLobby, 10, t0), milliseconds(0));
}

TEST(UserSendLimits, TheLobbyIsStricterByDefault) {
  config::LimitsConfig limits;
  UserSendLimits users(limits);
  int lobby = 0;
  int chat = 0;
  for (int i = 0; i < 100; ++i) {
    if (users.admit("u", broker::RateClass::kLobby, 10, t0).count() == 0) ++lobby;
    if (users.admit("u", broker::RateClass::kChat, 10, t0).count() == 0) ++chat;
  }
  EXPECT_EQ(lobby, limits.lobby.send_burst);
  EXPECT_EQ(chat, limits.chat.send_burst);
  EXPECT_LT(lobby, chat);
}

TEST(UserSendLimits, IdleUsersAreForgotten) {
  config::LimitsConfig limits;
  UserSendLimits users(limits);
  for (int i = 0; i < 1000; ++i) {
    users.admit("u" + std::to_string(i), broker::RateClass::kChat, 10, t0);
  }
  EXPECT_EQ(users.tracked(), 1000u);
  users.admit("late", broker::RateClass::kChat, 10, t0 + std::chrono::minutes(10));
  EXPECT_EQ(users.tracked(), 1u);
}

}  // namespace
}  // namespace aicc::net
