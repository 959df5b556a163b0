#include "broker/destination.hpp"

namespace aicc::broker {
namespace {

bool starts_with_segment(std::string_view destination, std::string_view prefix) {
  return destination.size() > prefix.size() && destination.substr(0, prefix.size()) == prefix;
}

Classified refuse(std::string error) {
  return Classified{false, DestinationKind::kTopic, std::move(error)};
}

}  // namespace

Classified classify(std::string_view destination) {
  if (destination.empty()) return refuse("missing destination");
  if (destination.size() > kMaxDestinationBytes) return refuse("destination too long");
  if (destination.front() != '/') return refuse("destination must start with '/'");
  std::size_t segment_start = 1;
  for (std::size_t i = 1; i <= destination.size(); ++i) {
    if (i == destination.size() || destination[i] == '/') {
      const std::string_view segment = destination.substr(segment_start, i - segment_start);
      if (segment.empty() || segment == "." || segment == "..") {
        return refuse("destination has an empty or dot segment");
      }
      segment_start = i + 1;
      continue;
    }
    const auto c = static_cast<unsigned char>(destination[i]);
    if (c < 0x21 || c == 0x7F || c == '*' || c == '#') {
      return refuse("destination has a control, space or wildcard character");
    }
  }
  if (starts_with_segment(destination, "/topic/")) return {true, DestinationKind::kTopic, {}};
  if (starts_with_segment(destination, "/queue/")) return {true, DestinationKind::kQueue, {}};
  if (starts_with_segment(destination, "/user/queue/"))
    return {true, DestinationKind::kUserQueue, {}};
  if (starts_with_segment(destination, "/app/")) return {true, DestinationKind::kApp, {}};
  return refuse("unknown destination prefix (use /app/, /topic/, /queue/ or /user/queue/)");
}

Classified check_send(std::string_view destination) {
  Classified result = classify(destination);
  if (result.ok && result.kind != DestinationKind::kApp) {
    return refuse("clients may only send to /app/ destinations");
  }
  return result;
}

Classified check_subscribe(std::string_view destination) {
  Classified result = classify(destination);
  if (result.ok && result.kind == DestinationKind::kApp) {
    return refuse("cannot subscribe to an /app/ destination");
  }
  return result;
}

std::string_view strip_user_prefix(std::string_view destination) {
  constexpr std::string_view kUser = "/user";
  if (destination.substr(0, kUser.size()) == kUser) destination.remove_prefix(kUser.size());
  return destination;
}

}  // namespace aicc::broker
