#include "util/time.hpp"

#include <gtest/gtest.h>

namespace aicc::util {

TEST(Rfc3339, FormatsUtcWithMilliseconds) {
  const auto when = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764062577123));
  EXPECT_EQ(rfc3339(when), "2025-11-25T09:22:57.123Z");
}

}  // namespace aicc::util
