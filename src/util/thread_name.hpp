// Names the calling thread, so that `top -H`, `ps -L`, perf and a debugger tell the server's
// threads apart (I/O, contact center, room writer, checkpoints, bus).
#pragma once

#include <string_view>

namespace aicc::util {

// Linux keeps 15 bytes of a thread's name: a longer one is cut there. Does nothing elsewhere.
void name_this_thread(std::string_view name);

}  // namespace aicc::util
