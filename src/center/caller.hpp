// Who asks the contact center (from a verified token) and what an HTTP route answers.
#pragma once

#include <cstddef>
#include <string>

#include "auth/user.hpp"

namespace aicc::center {

inline constexpr std::size_t kMaxMessageBytes = 4000;  // one chat or bot message, UTF-8 bytes

struct Caller {
  std::string user_id;
  auth::Role role = auth::Role::kCustomer;
  std::string name;
};

// What an HTTP route answers: a status and a JSON body.
struct Answer {
  unsigned status = 200;
  std::string body;  // JSON
};

}  // namespace aicc::center
