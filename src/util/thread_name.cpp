#include "util/thread_name.hpp"

#include <algorithm>
#include <string>

#if defined(__linux__)
#include <pthread.h>
#endif

namespace aicc::util {

void name_this_thread(std::string_view name) {
#if defined(__linux__)
  constexpr std::size_t kMaxNameBytes = 15;  // the kernel's TASK_COMM_LEN less the terminator
  const std::string cut(name.substr(0, std::min(name.size(), kMaxNameBytes)));
  pthread_setname_np(pthread_self(), cut.c_str());
#else
  (void)name;
#endif
}

}  // namespace aicc::util
