#include "app/lobby.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "util/time.hpp"

namespace aicc::app {
namespace {

namespace json = boost::json;

// Domain refusals go to the sender's own error queue; the connection stays open.
void refuse(broker::Publisher& publisher, const broker::AppMessage& message, std::string_view code,
            std::string_view text) {
  json::object error{{"code", code}, {"message", text}};
  if (const std::string* receipt = message.frame.find("receipt")) error["receiptId"] = *receipt;
  publisher.send_to_user(message.sender.user_id, "/queue/errors", "application/json", json::serialize(error));
}

}  // namespace

void add_lobby_handlers(broker::AppRouter& router, broker::Publisher& publisher) {
  router.add("/app/chat.send", [&publisher](const broker::AppMessage& message) -> std::string {
    boost::system::error_code error;
    const json::value body = json::parse(message.body, error);
    const json::string* content = nullptr;
    if (!error && body.is_object()) {
      if (const json::value* field = body.as_object().if_contains("content")) content = field->if_string();
    }
    if (content == nullptr) {
      refuse(publisher, message, "bad_request", "body must be a JSON object with a string \"content\"");
      return {};
    }
    if (content->size() > kMaxLobbyMessageBytes) {
      refuse(publisher, message, "too_large", "content is longer than 4000 bytes");
      return {};
    }
    const std::string& sender = message.sender.name.empty() ? message.sender.user_id : message.sender.name;
    json::object out{{"sender", sender},
                     {"content", *content},
                     {"timestamp", util::rfc3339(std::chrono::system_clock::now())}};
    publisher.publish("/topic/chat", "application/json", json::serialize(out));
    return {};
  });
}

}  // namespace aicc::app
