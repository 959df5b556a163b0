#include "stomp/message.hpp"

#include "stomp/encoder.hpp"

namespace aicc::stomp {
namespace {

void append_header(std::string& out, std::string_view name, std::string_view value,
                   Version version) {
  append_escaped(out, name, version);
  out.push_back(':');
  append_escaped(out, value, version);
  out.push_back('\n');
}

std::string build_tail(const std::string& destination, std::string_view content_type,
                       std::string_view body, const std::vector<Header>& extra, Version version) {
  std::string tail;
  tail.reserve(destination.size() + content_type.size() + body.size() + 64);
  append_header(tail, "destination", destination, version);
  if (!content_type.empty()) append_header(tail, "content-type", content_type, version);
  append_header(tail, "content-length", std::to_string(body.size()), version);
  for (const Header& header : extra) append_header(tail, header.name, header.value, version);
  tail.push_back('\n');
  tail.append(body);
  tail.push_back('\0');
  return tail;
}

}  // namespace

std::shared_ptr<const Message> make_message(std::string destination, std::string_view content_type,
                                            std::string_view body,
                                            const std::vector<Header>& extra_headers,
                                            std::uint64_t seq) {
  auto message = std::make_shared<Message>();
  message->seq = seq;
  bool escape_free = is_escape_free(destination) && is_escape_free(content_type);
  for (const Header& header : extra_headers) {
    escape_free = escape_free && is_escape_free(header.name) && is_escape_free(header.value);
  }
  if (escape_free) {
    message->tails[0] = build_tail(destination, content_type, body, extra_headers, Version::k12);
  } else {
    message->per_version = true;
    for (Version version : {Version::k10, Version::k11, Version::k12}) {
      message->tails[static_cast<std::size_t>(version)] =
          build_tail(destination, content_type, body, extra_headers, version);
    }
  }
  message->destination = std::move(destination);
  return message;
}

}  // namespace aicc::stomp
