#include "app/lobby.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "broker/domain_error.hpp"
#include "util/time.hpp"

namespace aicc::app {

namespace json = boost::json;

void add_lobby_handlers(broker::AppRouter& router, broker::Publisher& publisher) {
  router.add_subscription("/topic/chat");
  router.add("/app/chat.send",
             [&publisher](const broker::AppMessage& message) -> broker::AppResult {
               boost::system::error_code error;
               const json::value body = json::parse(message.body, error);
               const json::string* content = nullptr;
               if (!error && body.is_object()) {
                 if (const json::value* field = body.as_object().if_contains("content"))
                   content = field->if_string();
               }
               if (content == nullptr) {
                 broker::send_domain_error(publisher, message.sender.user_id, "bad_request",
                                           "body must be a JSON object with a string \"content\"",
                                           message.frame);
                 return broker::AppResult::refused();
               }
               if (content->size() > kMaxLobbyMessageBytes) {
                 broker::send_domain_error(publisher, message.sender.user_id, "too_large",
                                           "content is longer than 4000 bytes", message.frame);
                 return broker::AppResult::refused();
               }
               const std::string& sender =
                   message.sender.name.empty() ? message.sender.user_id : message.sender.name;
               json::object out{{"sender", sender},
                                {"content", *content},
                                {"timestamp", util::rfc3339(std::chrono::system_clock::now())}};
               publisher.publish("/topic/chat", "application/json", json::serialize(out));
               return broker::AppResult::done();
             });
}

}  // namespace aicc::app
