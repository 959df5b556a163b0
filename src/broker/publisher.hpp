// How application code sends messages to clients, without knowing connections or threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aicc::broker {

class Publisher {
 public:
  virtual ~Publisher() = default;

  // Fan-out to every subscriber of a /topic/** destination.
  virtual void publish(std::string_view destination, std::string_view content_type,
                       std::string_view body) = 0;
  // Fan-out to those subscribers of a /topic/** destination whose session belongs to one of
  // `user_ids` (an offer goes to the agents it is meant for, not to every console listening).
  virtual void publish_to_users(std::string_view destination,
                                const std::vector<std::string>& user_ids,
                                std::string_view content_type, std::string_view body) = 0;
  // Fan-out of one message of a sequenced stream (a room): `seq` lets a subscriber that is
  // catching up with since-seq drop what its replay already gave it.
  virtual void publish_in_stream(std::string_view destination, std::string_view content_type,
                                 std::string_view body, std::uint64_t seq) = 0;
  // To every session of `user_id` subscribed to "/user" + destination (destination is
  // "/queue/..."); nobody else receives it.
  virtual void send_to_user(std::string_view user_id, std::string_view destination,
                            std::string_view content_type, std::string_view body) = 0;
  // Ends the subscriptions that every session of `user_id` has to `destination` (a room the user
  // no longer belongs to), without telling the client: later publishes no longer reach them.
  virtual void unsubscribe_user(std::string_view user_id, std::string_view destination) = 0;
};

}  // namespace aicc::broker
