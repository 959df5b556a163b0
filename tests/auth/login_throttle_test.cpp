#include "auth/login_throttle.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

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

TEST(LoginThrottle, AnAttemptCountsFromItsStartAndOnlyTheLimitPassAtOnce) {
  util::MemorySharedState shared;
  LoginThrottle node1({3, 100, 60}, &shared);
  LoginThrottle node2({3, 100, 60}, &shared);
  const std::int64_t t0 = 3'000'000;
  // Five logins of one username begun at once on two nodes, none checked yet: three pass.
  std::vector<LoginThrottle::Attempt> attempts;
  for (int i = 0; i < 5; ++i)
    attempts.push_back((i % 2 ? node1 : node2).begin("kim", "1.1.1.1", t0));
  EXPECT_EQ(
      std::count_if(attempts.begin(), attempts.end(), [](const auto& a) { return !a.id.empty(); }),
      3);
  EXPECT_EQ(attempts[3].retry_after, 60);
  // One of them was not a wrong password after all (say the store failed): it does not count.
  node1.abandoned("kim", "1.1.1.1", attempts[0]);
  EXPECT_FALSE(node2.begin("kim", "1.1.1.1", t0 + 1).id.empty());
  EXPECT_TRUE(node2.begin("kim", "1.1.1.1", t0 + 1).id.empty());
  // A success clears the username, and does not count for the address.
  node2.succeeded("kim", "1.1.1.1", attempts[1]);
  EXPECT_FALSE(node1.begin("kim", "1.1.1.1", t0 + 2).id.empty());
}

TEST(LoginThrottle, SuccessesDoNotFillTheAddressesLimit) {
  LoginThrottle throttle({5, 3, 60});
  for (int i = 0; i < 10; ++i) {
    const std::string user = "user" + std::to_string(i);
    const auto attempt = throttle.begin(user, "10.0.0.1", 100 + i);
    ASSERT_FALSE(attempt.id.empty()) << i;  // an office behind one address signing in
    throttle.succeeded(user, "10.0.0.1", attempt);
  }
  for (int i = 0; i < 3; ++i) throttle.begin("guess" + std::to_string(i), "10.0.0.1", 200);
  EXPECT_GT(throttle.begin("one-more", "10.0.0.1", 201).retry_after, 0);
}

TEST(LoginThrottle, ConcurrentAttemptsOnManyThreadsNeverPassTheLimit) {
  util::MemorySharedState shared;
  LoginThrottle throttle({5, 1000, 60}, &shared);
  std::atomic<int> passed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 10; ++j) {
        if (!throttle.begin("kim", "2.2.2.2", 5000).id.empty()) passed.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(passed.load(), 5);
}

}  // namespace aicc::auth
