#include "http/upload_gate.hpp"

#include <gtest/gtest.h>

namespace aicc::http {
namespace {

TEST(UploadGate, AdmitsWithinTheBudgetAndTheUsersShare) {
  UploadGate gate(100, 2);
  auto a = gate.admit("kim", 40);
  auto b = gate.admit("kim", 40);
  ASSERT_TRUE(a.ticket && b.ticket);
  const auto third = gate.admit("kim", 1);  // kim has two in flight
  EXPECT_FALSE(third.ticket);
  EXPECT_EQ(third.refusal, UploadGate::Refusal::kUserBusy);
  const auto large = gate.admit("lee", 21);  // 80 + 21 > 100
  EXPECT_FALSE(large.ticket);
  EXPECT_EQ(large.refusal, UploadGate::Refusal::kBusy);
  EXPECT_TRUE(gate.admit("lee", 20).ticket);  // and released at once
}

TEST(UploadGate, ATicketGivesItsShareBackWhenDone) {
  UploadGate gate(100, 1);
  {
    auto a = gate.admit("kim", 100);
    ASSERT_TRUE(a.ticket);
    EXPECT_FALSE(gate.admit("lee", 1).ticket);
    EXPECT_FALSE(gate.admit("kim", 0).ticket);
    auto moved = std::move(*a.ticket);  // the share moves with it, once
    a.ticket.reset();
    EXPECT_FALSE(gate.admit("lee", 1).ticket);
  }
  EXPECT_TRUE(gate.admit("lee", 100).ticket);
  EXPECT_TRUE(gate.admit("kim", 100).ticket);
}

}  // namespace
}  // namespace aicc::http
