#include "broker/registry.hpp"

namespace aicc::broker {

std::string user_key(std::string_view user_id, std::string_view user_destination) {
  std::string key;
  key.reserve(user_id.size() + 1 + user_destination.size());
  key.append(user_id);
  key.push_back('\0');
  key.append(user_destination);
  return key;
}

}  // namespace aicc::broker
