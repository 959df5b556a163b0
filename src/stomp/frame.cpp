#include "stomp/frame.hpp"

#include <array>
#include <utility>

namespace aicc::stomp {
namespace {

struct CommandName {
  Command command;
  std::string_view name;
};

constexpr std::array<CommandName, 15> kCommandNames{{
    {Command::kConnect, "CONNECT"},
    {Command::kStomp, "STOMP"},
    {Command::kConnected, "CONNECTED"},
    {Command::kSend, "SEND"},
    {Command::kSubscribe, "SUBSCRIBE"},
    {Command::kUnsubscribe, "UNSUBSCRIBE"},
    {Command::kAck, "ACK"},
    {Command::kNack, "NACK"},
    {Command::kBegin, "BEGIN"},
    {Command::kCommit, "COMMIT"},
    {Command::kAbort, "ABORT"},
    {Command::kDisconnect, "DISCONNECT"},
    {Command::kMessage, "MESSAGE"},
    {Command::kReceipt, "RECEIPT"},
    {Command::kError, "ERROR"},
}};

}  // namespace

std::string_view to_string(Command command) {
  return kCommandNames[static_cast<std::size_t>(command)].name;
}

std::optional<Command> parse_command(std::string_view text) {
  for (const auto& entry : kCommandNames) {
    if (entry.name == text) return entry.command;
  }
  return std::nullopt;
}

std::string_view to_string(Version version) {
  switch (version) {
    case Version::k10:
      return "1.0";
    case Version::k11:
      return "1.1";
    case Version::k12:
      return "1.2";
  }
  return "1.2";
}

const std::string* Frame::find(std::string_view name) const {
  for (const auto& header : headers) {
    if (header.name == name) return &header.value;
  }
  return nullptr;
}

std::string_view Frame::get(std::string_view name, std::string_view fallback) const {
  const std::string* value = find(name);
  return value != nullptr ? std::string_view(*value) : fallback;
}

Frame& Frame::add(std::string name, std::string value) {
  headers.push_back({std::move(name), std::move(value)});
  return *this;
}

}  // namespace aicc::stomp
