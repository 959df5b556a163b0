// A published message, encoded once and shared by every subscriber it goes to.
//
// A MESSAGE frame is "MESSAGE\n" + per-delivery headers (subscription, message-id, ack) + the part
// every subscriber shares (destination, content-type, content-length, extra headers, blank line,
// body, NUL). The shared part is built once per publish; each delivery only adds its small head.
// Header escaping differs between STOMP versions, so a message whose headers need escaping keeps
// one shared part per version; the usual message needs none and keeps one.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stomp/frame.hpp"

namespace aicc::stomp {

struct Message {
  std::string destination;  // as subscribers see it, e.g. "/user/queue/errors"
  std::uint64_t seq = 0;    // position in its stream (a room's messages), for replay; 0: none
  // Shared frame tail per version; when all three are the same only tails[0] is filled.
  std::array<std::string, 3> tails;
  bool per_version = false;

  const std::string& tail_for(Version version) const {
    return per_version ? tails[static_cast<std::size_t>(version)] : tails[0];
  }
};

std::shared_ptr<const Message> make_message(std::string destination, std::string_view content_type,
                                            std::string_view body,
                                            const std::vector<Header>& extra_headers = {},
                                            std::uint64_t seq = 0);

// One unit of outbound bytes: `head`, then `*shared` if set. Heads are small and per delivery;
// `shared` points into a Message used by many connections at once, never modified.
struct Outbound {
  std::string head;
  std::shared_ptr<const std::string> shared;

  std::size_t size() const { return head.size() + (shared ? shared->size() : 0); }
};

}  // namespace aicc::stomp
