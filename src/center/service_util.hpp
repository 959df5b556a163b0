// Small helpers the contact center's files share: clocks, JSON answers, request-body fields, and
// on_service (the hand-over of HTTP work to the service executor).
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "center/contact_center.hpp"
#include "chat/routing.hpp"
#include "net/blocking_pool.hpp"
#include "stomp/frame.hpp"
#include "util/result.hpp"

namespace aicc::center {

chat::Millis now_ms();  // unix milliseconds
// The routing engine's options from the configuration (routing.*, hours.*); throws when the hours
// do not parse (checked at start-up first, see business_hours).
chat::RoutingOptions routing_options(const config::Config& config);
// The configured business hours, or why they do not parse.
std::variant<chat::BusinessHours, std::string> business_hours(const config::Config& config);
std::string timestamp_of(chat::Millis ms);  // RFC 3339, UTC, milliseconds

Answer json_answer(unsigned status, const boost::json::value& body);
Answer error_answer(unsigned status, std::string_view code, std::string_view message);

// A request body as a JSON object (an empty body is an empty object); nullopt when it is anything
// else or nested too deeply.
std::optional<boost::json::object> object_of(std::string_view body);
// A string field of at most `limit` bytes of UTF-8: "" when absent or null, nullopt when malformed.
std::optional<std::string> text_field(const boost::json::object& object, std::string_view name,
                                      std::size_t limit);
// A chat text (a message, a note, a reply): text_field, and no control character but tab, line
// feed and carriage return (a NUL or an escape sequence is never something a person wrote, and the
// history search reads texts as text).
std::optional<std::string> chat_text_field(const boost::json::object& object, std::string_view name,
                                           std::size_t limit);
bool has_control_characters(std::string_view text);
bool parse_int(std::string_view text, std::int64_t& out);
// An array of at most `limit` server-made ids (letters, digits, '_', '-'; 1 to 128 bytes): empty
// when absent or null, nullopt when anything else.
std::optional<std::vector<std::string>> id_list(const boost::json::object& object,
                                                std::string_view name, std::size_t limit);

inline constexpr std::size_t kMaxClientIdBytes = 128;  // a clientMessageId, bytes

// {message, clientMessageId?, lang?} of /app/bot.message and POST /api/bot/message: a message of
// 1 to kMaxMessageBytes bytes, an id of at most kMaxClientIdBytes ("" when absent or null) and the
// customer's page language, a language tag of letters, digits and '-' of at most 16 bytes ("" when
// absent or null).
struct BotMessageBody {
  std::string message;
  std::string client_message_id;
  std::string lang;
  bool stream = false;  // `stream: true`: the client shows answers growing (the built-in bot
                        // then types its answer out)
};
// The body checked, or a reason for people naming the field.
util::Result<BotMessageBody, std::string> parse_bot_message(std::string_view body);

// The headers a domain error refers back to (receipt, request-id), copied to outlive the frame.
stomp::Frame cause_of(const stomp::Frame& frame);

// The answer of an HTTP request whose work threw (the store failed), logged with `what`.
Answer failed_answer(std::string_view what, const std::exception& error);

// Defined here so that every file of the service can hand work to its executor.
template <class Work>
boost::asio::awaitable<Answer> ContactCenter::on_service(Work&& work) {
  // Not a coroutine itself: it hands a named task to co_spawn and returns what co_spawn returns.
  auto task = [this, work = std::forward<Work>(work)]() mutable -> boost::asio::awaitable<Answer> {
    commit_room_sends();  // room messages sent before this apply before it
    try {
      co_return work();
    } catch (const std::exception& e) {
      co_return failed_answer("HTTP request", e);
    }
  };
  return boost::asio::co_spawn(executor_, std::move(task), boost::asio::use_awaitable);
}

// Work that reads or writes much (files, searches, exports) runs on the blocking pool, so the
// service executor (routing, room messages) never waits for it; without a pool, on the service.
template <class Work>
boost::asio::awaitable<Answer> ContactCenter::on_blocking(Work&& work) {
  if (blocking_ == nullptr) return on_service(std::forward<Work>(work));
  // The task owns the work for as long as the pool runs it (run() keeps only a reference to what
  // it is given until it starts).
  auto task = [this, work = std::forward<Work>(work)]() mutable -> boost::asio::awaitable<Answer> {
    auto guarded = [&work]() -> Answer {
      try {
        return work();
      } catch (const std::exception& e) {
        return failed_answer("HTTP request", e);
      }
    };
    co_return co_await blocking_->run(std::move(guarded));
  };
  return boost::asio::co_spawn(executor_, std::move(task), boost::asio::use_awaitable);
}

template <class Work>
broker::AppResult ContactCenter::on_request(const broker::AppMessage& message,
                                            std::string_view what, Work work) {
  Request request{message.sender.user_id, cause_of(message.frame), message.defer(), false};
  boost::asio::post(executor_,
                    [this, request = std::move(request), work = std::move(work), what]() mutable {
                      commit_room_sends();  // room messages sent before this apply before it
                      try {
                        work(request);
                        if (!request.refused) request.completion.stored();
                      } catch (const std::exception& e) {
                        request_failed(request, what, e);
                      }
                    });
  return broker::AppResult::done();
}

template <class Work>
broker::AppResult ContactCenter::on_routing_request(const broker::AppMessage& message,
                                                    std::string_view what, Work work) {
  // Another node decides: the SEND goes there (contact_center_cluster.cpp).
  if (bus_ != nullptr && !lease_.held()) return forward_routing(message);
  return on_request(message, what, [this, work = std::move(work)](Request& request) mutable {
    if (!lease_.held()) {
      refuse(request, "routing_unavailable",
             "consult routing is not available on this node right now; try again shortly");
      return;
    }
    work(request);
  });
}

}  // namespace aicc::center
