// Application handlers for SEND frames to /app/** destinations.
//
// A feature registers one handler per destination. The handler gets who sent what and answers
// with an empty string, or with a reason to refuse the frame as a protocol fault (ERROR + close:
// malformed body, forbidden use). Domain refusals are not protocol faults; handlers send those to
// the user's /user/queue/errors themselves.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "stomp/engine.hpp"

namespace aicc::broker {

struct AppMessage {
  const stomp::Identity& sender;
  std::string_view session_id;
  std::string_view destination;
  std::string_view content_type;
  std::string_view body;
  const stomp::Frame& frame;  // for headers such as receipt or a request id
};

using AppHandler = std::function<std::string(const AppMessage&)>;

class AppRouter {
 public:
  void add(std::string destination, AppHandler handler) {
    handlers_[std::move(destination)] = std::move(handler);
  }
  const AppHandler* find(std::string_view destination) const {
    auto it = handlers_.find(destination);
    return it == handlers_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, AppHandler, std::less<>> handlers_;
};

}  // namespace aicc::broker
