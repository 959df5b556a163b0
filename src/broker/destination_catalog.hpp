// Every STOMP destination of the server, in one list: what a client may SEND to and SUBSCRIBE to,
// the roles that may, the rate class a SEND counts against, and the shape of what travels there.
//
// The AppRouter takes a destination's roles and rate class from this list when a feature registers
// its handler or subscription, and refuses to register a destination the list does not have; the
// server refuses to start while a listed destination has no registration. The same list is
// published in /api/openapi.json (`x-stomp-destinations`) and docs/PROTOCOL.md shows it as tables,
// which a test keeps equal to it: the code, the served document and the docs cannot drift apart.
#pragma once

#include <span>
#include <string_view>

#include "auth/destination_policy.hpp"

namespace aicc::broker {

// Which send-rate limit a destination counts against (config `limits.*`).
enum class RateClass {
  kChat,   // what people type in conversations: generous
  kLobby,  // the open demo lobby, fanned out to everybody: strict
};

enum class Direction {
  kSend,       // a client SENDs to it (/app/**); the server answers or acts
  kSubscribe,  // a client SUBSCRIBEs to it; the server sends there
};

struct DestinationSpec {
  // The destination; a family names its variable last segment in braces ("/topic/room/{roomId}")
  // and is registered by its prefix ("/topic/room/").
  std::string_view name{};
  Direction direction = Direction::kSend;
  auth::Roles roles{};
  RateClass rate = RateClass::kChat;  // kSend only
  // A narrower rule than the roles, checked by the handler or the subscription guard; may be empty.
  std::string_view only{};
  // The JSON a client sends (kSend) or the messages it gets (kSubscribe).
  std::string_view payload{};
  std::string_view effect{};  // kSend: what the server does with it
  // Answered by the STOMP connection itself (net/stomp_connection.cpp), not by a feature's handler.
  bool answered_by_connection = false;
};

// The server's destinations, SENDs first, each name once per direction.
std::span<const DestinationSpec> destination_catalog();

// "/topic/room/{roomId}" -> "/topic/room/": what a family is registered and matched by.
std::string_view registration_pattern(std::string_view name);

// The entry of `catalog` whose name or registration pattern is `destination`, or nullptr.
const DestinationSpec* find_destination_spec(std::span<const DestinationSpec> catalog,
                                             std::string_view destination, Direction direction);

std::string_view to_string(Direction direction);
std::string_view to_string(RateClass rate);

}  // namespace aicc::broker
