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

// What an HTTP route answers: a status and a body, JSON unless it says otherwise.
struct Answer {
  unsigned status = 200;
  std::string body{};
  std::string content_type = "application/json";
  std::string download_name{};  // not empty: a file to save under this name (Content-Disposition)
  bool inline_file = false;     // with download_name: shown in the page (a picture), not saved
};

}  // namespace aicc::center
