#include "util/thread_name.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

// Thread names are read back with a Linux call; elsewhere name_this_thread() does nothing.
#if defined(__linux__)
namespace aicc::util {
namespace {

std::string name_of_this_thread() {
  char name[64] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

TEST(ThreadName, NamesTheCallingThreadOnly) {
  const std::string before = name_of_this_thread();
  std::string seen;
  std::thread worker([&seen] {
    name_this_thread("aicc-test");
    seen = name_of_this_thread();
  });
  worker.join();
  EXPECT_EQ(seen, "aicc-test");
  EXPECT_EQ(name_of_this_thread(), before);
}

TEST(ThreadName, CutsALongNameToWhatTheKernelKeeps) {
  std::string seen;
  std::thread worker([&seen] {
    name_this_thread("aicc-a-name-much-longer-than-fifteen");
    seen = name_of_this_thread();
  });
  worker.join();
  EXPECT_EQ(seen, "aicc-a-name-muc");
}

}  // namespace
}  // namespace aicc::util
#endif  // __linux__
