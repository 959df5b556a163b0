#include "auth/login_throttle.hpp"

#include <gtest/gtest.h>

#include "../util/unreachable_shared_state.hpp"
#include "util/memory_shared_state.hpp"

namespace aicc::auth {

TEST(LoginThrottle, LocksAUsernameAfterItsLimitThenReleases) {
  LoginThrottle throttle({3, 100, 60});
  const std::int64_t t0 = 1'000'000;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(throttle.retry_after("kim", "1.1.1.1", t0 + i), 0);
    throttle.record_failure("kim", "1.1.1.1", t0 + i);
  }
  EXPECT_EQ(throttle.retry_after("kim", "2.2.2.2", t0 + 3),
            57);  // the first failure ages out at t0+60
  EXPECT_EQ(throttle.retry_after("lee", "1.1.1.1", t0 + 3), 0);  // other users are not locked
  EXPECT_EQ(throttle.retry_after("kim", "2.2.2.2", t0 + 60), 0);
}

TEST(LoginThrottle, LocksAnAddressTryingManyUsernames) {
  LoginThrottle throttle({100, 4, 60});
  const std::int64_t t0 = 5'000;
  for (int i = 0; i < 4; ++i) throttle.record_failure("user" + std::to_string(i), "6.6.6.6", t0);
  EXPECT_GT(throttle.retry_after("fresh-user", "6.6.6.6", t0 + 1), 0);
  EXPECT_EQ(throttle.retry_after("fresh-user", "7.7.7.7", t0 + 1), 0);
}

TEST(LoginThrottle, SuccessClearsTheUsernameOnly) {
  LoginThrottle throttle({2, 3, 60});
  throttle.record_failure("kim", "1.1.1.1", 100);
  throttle.record_failure("kim", "1.1.1.1", 101);
  throttle.record_success("kim");
  EXPECT_EQ(throttle.retry_after("kim", "9.9.9.9", 102), 0);
  throttle.record_failure("kim", "1.1.1.1", 103);
  EXPECT_GT(throttle.retry_after("other", "1.1.1.1", 104), 0);  // the address keeps its three
}

TEST(LoginThrottle, NodesSharingTheStateCountFailuresOnce) {
  util::MemorySharedState shared;  // what Redis is to several nodes
  LoginThrottle node1({3, 100, 60}, &shared);
  LoginThrottle node2({3, 100, 60}, &shared);
  LoginThrottle node3({3, 100, 60}, &shared);
  const std::int64_t t0 = 2'000'000;
  node1.record_failure("kim", "1.1.1.1", t0);
  node2.record_failure("kim", "2.2.2.2", t0 + 1);
  EXPECT_EQ(node3.retry_after("kim", "3.3.3.3", t0 + 2), 0);
  node3.record_failure("kim", "3.3.3.3", t0 + 2);
  // Three failures on three nodes: the limit of three, not three per node.
  EXPECT_EQ(node1.retry_after("kim", "4.4.4.4", t0 + 3), 57);
  EXPECT_EQ(node2.retry_after("kim", "4.4.4.4", t0 + 3), 57);
  node2.record_success("kim");
  EXPECT_EQ(node1.retry_after("kim", "4.4.4.4", t0 + 4), 0);
}

TEST(LoginThrottle, AnUnreachableStateIsAnErrorNeverAPass) {
  util::testing::UnreachableSharedState unreachable;
  LoginThrottle throttle({3, 100, 60}, &unreachable);
  EXPECT_THROW(throttle.retry_after("kim", "1.1.1.1", 10), util::SharedStateUnavailable);
  EXPECT_THROW(throttle.record_failure("kim", "1.1.1.1", 10), util::SharedStateUnavailable);
}

}  // namespace aicc::auth
