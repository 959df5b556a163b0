#include <cstring>

#include "net/bus.hpp"

namespace aicc::net {
namespace {

constexpr char kVersion = '\x01';

void put_u32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

void put_u64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

void put_field(std::string& out, std::string_view field) {
  put_u32(out, static_cast<std::uint32_t>(field.size()));
  out.append(field);
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}

  bool u8(std::uint8_t& value) {
    if (rest_.empty()) return false;
    value = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return true;
  }
  bool u32(std::uint32_t& value) {
    if (rest_.size() < 4) return false;
    value = 0;
    for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(rest_[i]);
    rest_.remove_prefix(4);
    return true;
  }
  bool u64(std::uint64_t& value) {
    if (rest_.size() < 8) return false;
    value = 0;
    for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(rest_[i]);
    rest_.remove_prefix(8);
    return true;
  }
  bool field(std::string& value) {
    std::uint32_t length = 0;
    if (!u32(length) || length > rest_.size()) return false;
    value.assign(rest_.substr(0, length));
    rest_.remove_prefix(length);
    return true;
  }
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace

std::string encode_bus_event(const BusEvent& event) {
  std::string out;
  out.reserve(64 + event.origin.size() + event.destination.size() + event.content_type.size() +
              event.body.size() + event.user_id.size() + event.login_id.size() +
              event.reason.size());
  out.push_back(kVersion);
  out.push_back(static_cast<char>(event.kind));
  put_field(out, event.origin);
  put_u64(out, static_cast<std::uint64_t>(event.sent_at_us));
  put_field(out, event.destination);
  put_field(out, event.content_type);
  put_field(out, event.body);
  put_u64(out, event.seq);
  put_field(out, event.user_id);
  put_field(out, event.login_id);
  put_field(out, event.reason);
  put_u32(out, static_cast<std::uint32_t>(event.user_ids.size()));
  for (const std::string& user : event.user_ids) put_field(out, user);
  put_field(out, event.sender_name);
  put_field(out, event.sender_role);
  put_field(out, event.receipt);
  put_field(out, event.correlation);
  return out;
}

std::optional<BusEvent> decode_bus_event(std::string_view bytes) {
  if (bytes.size() > kMaxBusEventBytes) return std::nullopt;
  Reader in(bytes);
  std::uint8_t version = 0;
  std::uint8_t kind = 0;
  if (!in.u8(version) || version != static_cast<std::uint8_t>(kVersion) || !in.u8(kind)) {
    return std::nullopt;
  }
  if (kind < static_cast<std::uint8_t>(BusEvent::Kind::kPublish) ||
      kind > static_cast<std::uint8_t>(BusEvent::kLastKind)) {
    return std::nullopt;
  }
  BusEvent event;
  event.kind = static_cast<BusEvent::Kind>(kind);
  std::uint32_t users = 0;
  std::uint64_t sent_at = 0;
  if (!in.field(event.origin) || !in.u64(sent_at) || !in.field(event.destination) ||
      !in.field(event.content_type) || !in.field(event.body) || !in.u64(event.seq) ||
      !in.field(event.user_id) || !in.field(event.login_id) || !in.field(event.reason) ||
      !in.u32(users) || users > kMaxBusUserIds) {
    return std::nullopt;
  }
  event.sent_at_us = static_cast<std::int64_t>(sent_at);
  event.user_ids.resize(users);
  for (std::string& user : event.user_ids) {
    if (!in.field(user)) return std::nullopt;
  }
  if (!in.field(event.sender_name) || !in.field(event.sender_role) || !in.field(event.receipt) ||
      !in.field(event.correlation) || !in.done()) {
    return std::nullopt;
  }
  return event;
}

std::string topic_channel(std::string_view destination) {
  return "topic:" + std::string(destination);
}

std::string user_channel(std::string_view user_id) { return "user:" + std::string(user_id); }

std::string node_channel(std::string_view node_id) { return "node:" + std::string(node_id); }

}  // namespace aicc::net
