// Destination names and the rules for who may use which.
//
// Clients SEND only to /app/** (application handlers); they SUBSCRIBE to /topic/** (fan-out),
// /queue/** (point-to-point) and /user/queue/** (their own queue: a message to a user reaches all
// of that user's sessions and nobody else's). Anything else is refused with a reason.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace aicc::broker {

enum class DestinationKind {
  kTopic,      // /topic/**
  kQueue,      // /queue/**
  kUserQueue,  // /user/queue/** as written by a client: resolves to that user's own queue
  kApp,        // /app/**
};

inline constexpr std::size_t kMaxDestinationBytes = 512;

struct Classified {
  bool ok = false;
  DestinationKind kind = DestinationKind::kTopic;
  std::string error;  // why it was refused, when !ok
};

// Checks the shape of a destination (absolute, no empty or dot segments, printable, bounded) and
// says which kind it is.
Classified classify(std::string_view destination);

// The same, plus the direction rules: clients send only to kApp and subscribe only to the others.
Classified check_send(std::string_view destination);
Classified check_subscribe(std::string_view destination);

// "/user/queue/x" -> "/queue/x", the name under which messages are addressed to a user.
std::string_view strip_user_prefix(std::string_view destination);

}  // namespace aicc::broker
