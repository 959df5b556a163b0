#include "center/service_util.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>
#include <stdexcept>

#include "broker/domain_error.hpp"
#include "util/random.hpp"
#include "util/time.hpp"
#include "util/utf8.hpp"

namespace aicc::center {

namespace json = boost::json;

chat::Millis now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string timestamp_of(chat::Millis ms) {
  return util::rfc3339(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

Answer json_answer(unsigned status, const json::value& body) {
  return Answer{status, json::serialize(body)};
}

Answer error_answer(unsigned status, std::string_view code, std::string_view message) {
  return json_answer(status, json::object{{"error", code}, {"message", message}});
}

std::optional<json::object> object_of(std::string_view body) {
  if (body.empty()) return json::object{};
  boost::system::error_code error;
  json::parse_options options;
  options.max_depth = 8;
  json::value value = json::parse(body, error, {}, options);
  if (error || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

std::optional<std::string> text_field(const json::object& object, std::string_view name,
                                      std::size_t limit) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) return std::string();
  if (!value->is_string() || value->as_string().size() > limit) return std::nullopt;
  std::string text(value->as_string());
  if (!util::is_valid_utf8(text)) return std::nullopt;
  return text;
}

bool has_control_characters(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f;
  });
}

std::optional<std::string> chat_text_field(const json::object& object, std::string_view name,
                                           std::size_t limit) {
  auto text = text_field(object, name, limit);
  if (text && has_control_characters(*text)) return std::nullopt;
  return text;
}

std::optional<std::vector<std::string>> id_list(const json::object& object, std::string_view name,
                                                std::size_t limit) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) return std::vector<std::string>{};
  if (!value->is_array() || value->as_array().size() > limit) return std::nullopt;
  std::vector<std::string> ids;
  for (const json::value& item : value->as_array()) {
    if (!item.is_string()) return std::nullopt;
    const std::string_view id = item.as_string();
    const bool server_made = !id.empty() && id.size() <= kMaxClientIdBytes &&
                             std::all_of(id.begin(), id.end(), [](char c) {
                               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                      (c >= '0' && c <= '9') || c == '_' || c == '-';
                             });
    if (!server_made) return std::nullopt;
    ids.emplace_back(id);
  }
  return ids;
}

util::Result<BotMessageBody, std::string> parse_bot_message(std::string_view body) {
  boost::system::error_code error;
  json::parse_options options;
  options.max_depth = 8;
  const json::value value = json::parse(body, error, {}, options);
  if (error || !value.is_object())
    return util::unexpected(std::string("body must be a JSON object"));
  const json::object& object = value.as_object();
  const json::value* message = object.if_contains("message");
  if (message == nullptr || !message->is_string()) {
    return util::unexpected(std::string("\"message\" must be a string"));
  }
  BotMessageBody out;
  out.message = std::string(message->as_string());
  if (has_control_characters(out.message)) {
    return util::unexpected(
        std::string("\"message\" must not hold control characters (but tab and line breaks)"));
  }
  if (const json::value* id = object.if_contains("clientMessageId");
      id != nullptr && !id->is_null()) {
    if (!id->is_string())
      return util::unexpected(std::string("\"clientMessageId\" must be a string"));
    out.client_message_id = std::string(id->as_string());
  }
  if (const json::value* lang = object.if_contains("lang"); lang != nullptr && !lang->is_null()) {
    const bool tag = lang->is_string() && !lang->as_string().empty() &&
                     lang->as_string().size() <= 16 &&
                     std::all_of(lang->as_string().begin(), lang->as_string().end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-';
                     });
    if (!tag) {
      return util::unexpected(
          std::string("\"lang\" must be a language tag (letters, digits, '-'; at most 16)"));
    }
    out.lang = std::string(lang->as_string());
  }
  if (const json::value* stream = object.if_contains("stream");
      stream != nullptr && !stream->is_null()) {
    if (!stream->is_bool())
      return util::unexpected(std::string("\"stream\" must be true or false"));
    out.stream = stream->as_bool();
  }
  if (out.message.empty()) return util::unexpected(std::string("\"message\" is empty"));
  if (out.message.size() > kMaxMessageBytes)
    return util::unexpected(std::string("\"message\" is over 4000 bytes"));
  if (out.client_message_id.size() > kMaxClientIdBytes) {
    return util::unexpected(std::string("\"clientMessageId\" is over 128 bytes"));
  }
  return out;
}

bool parse_int(std::string_view text, std::int64_t& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc{} && end == text.data() + text.size();
}

Answer failed_answer(std::string_view what, const std::exception& error) {
  spdlog::error("{} failed: {}", what, error.what());
  return error_answer(503, "store_unavailable",
                      "the service could not read or write its data; try again shortly");
}

void ContactCenter::refuse(Request& request, std::string_view code, std::string_view message) {
  request.refused = true;
  broker::send_domain_error(publisher_, request.user_id, code, message, request.cause);
}

void ContactCenter::request_failed(Request& request, std::string_view what,
                                   const std::exception& error) {
  spdlog::error("{} of user {} failed: {}", what, request.user_id, error.what());
  metrics_.error("store_unavailable");
  try {
    request.refused = true;
    broker::send_domain_error(publisher_, request.user_id, "store_unavailable",
                              "not saved: the service could not store it; send it again shortly",
                              request.cause);
  } catch (const std::exception& e) {
    spdlog::error("could not answer the failed {}: {}", what, e.what());
  }
  request.completion.refused();
}

stomp::Frame cause_of(const stomp::Frame& frame) {
  stomp::Frame cause;
  if (const std::string* receipt = frame.find("receipt")) cause.add("receipt", *receipt);
  if (const std::string* request = frame.find("request-id")) cause.add("request-id", *request);
  return cause;
}

std::variant<chat::BusinessHours, std::string> business_hours(const config::Config& config) {
  return chat::BusinessHours::parse(config.hours.weekly, config.hours.holidays,
                                    config.hours.timezone);
}

chat::RoutingOptions routing_options(const config::Config& config) {
  chat::RoutingOptions options;
  options.mode = chat::parse_routing_mode(config.routing.mode).value_or(chat::RoutingMode::kHybrid);
  options.auto_assign_after = std::chrono::seconds(config.routing.auto_assign_after);
  options.agent_grace = std::chrono::seconds(config.routing.agent_grace);
  options.max_rooms_per_agent = config.routing.max_rooms_per_agent;
  if (config.routing.max_wait > 0) options.max_wait = std::chrono::seconds(config.routing.max_wait);
  auto hours = business_hours(config);
  if (auto* refusal = std::get_if<std::string>(&hours))
    throw std::runtime_error("hours: " + *refusal);
  if (!std::get<chat::BusinessHours>(hours).always_open())
    options.hours = std::move(std::get<chat::BusinessHours>(hours));
  options.new_request_id = [] { return "q_" + util::random_hex(12); };
  options.new_room_id = [] { return "r_" + util::random_hex(12); };
  return options;
}

}  // namespace aicc::center
