#include "util/random.hpp"

#include <gtest/gtest.h>

#include <set>

namespace aicc::util {
namespace {

TEST(TimeOrderedId, SortsByTimeAndKeepsItsShape) {
  const std::string early = time_ordered_id("m_", 1'700'000'000'000);
  const std::string later = time_ordered_id("m_", 1'700'000'000'001);
  EXPECT_LT(early, later);
  EXPECT_LT(time_ordered_id("m_", 0x0fffffffffff - 1), time_ordered_id("m_", 0x0fffffffffff));
  ASSERT_EQ(early.size(), 2u + 11u + 16u);
  EXPECT_TRUE(early.starts_with("m_18bcfe56800"));  // 1.7e12 ms in 11 hex digits
  for (char c : early.substr(2)) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << c;
  EXPECT_EQ(time_ordered_id("x", -5).substr(0, 12), "x00000000000");
}

TEST(TimeOrderedId, IdsOfOneMillisecondDiffer) {
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.insert(time_ordered_id("m_", 42));
  EXPECT_EQ(ids.size(), 10000u);
}

}  // namespace
}  // namespace aicc::util
