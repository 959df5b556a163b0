#include "chat/bot_protocol.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <system_error>
#include <utility>

#include "chat/personal_data.hpp"
#include "util/utf8.hpp"

namespace aicc::chat {
namespace {

namespace json = boost::json;
using util::unexpected;

constexpr int kMaxDepth = 16;  // a bot's answer is flat; deeper nesting is garbage or an attack

BotBodyProblem problem(BotBodyError code, std::string message) {
  return BotBodyProblem{code, std::move(message)};
}

// `text` with each byte that does not start a valid UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view text) {
  if (util::is_valid_utf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 16);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    const std::size_t length = lead < 0x80             ? 1
                               : (lead & 0xE0) == 0xC0 ? 2
                               : (lead & 0xF0) == 0xE0 ? 3
                               : (lead & 0xF8) == 0xF0 ? 4
                                                       : 0;
    if (length > 0 && pos + length <= text.size() &&
        util::is_valid_utf8(text.substr(pos, length))) {
      out.append(text.substr(pos, length));
      pos += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++pos;
    }
  }
  return out;
}

// The body as a JSON object, after the size, UTF-8 and depth checks.
util::Result<json::object, BotBodyProblem> parse_object(std::string_view body,
                                                        std::string_view what) {
  if (body.size() > kBotBodyLimit) {
    return unexpected(
        problem(BotBodyError::kTooLarge, std::string(what) + " is over the limit of 65536 bytes"));
  }
  if (!util::is_valid_utf8(body)) {
    return unexpected(problem(BotBodyError::kBadUtf8, std::string(what) + " is not valid UTF-8"));
  }
  json::parse_options options;
  options.max_depth = kMaxDepth;
  std::error_code ec;
  json::value value = json::parse(body, ec, json::storage_ptr(), options);
  if (ec) {
    return unexpected(
        problem(BotBodyError::kBadJson, std::string(what) + " is not JSON: " + ec.message()));
  }
  if (!value.is_object()) {
    return unexpected(problem(BotBodyError::kNotObject, std::string(what) + " is not an object"));
  }
  return std::move(value.as_object());
}

// A string field: required ones must be present, non-empty and within `limit` bytes; optional
// ones may be absent or null (nullopt), and if present obey the same rules.
util::Result<std::optional<std::string>, BotBodyProblem> string_field(const json::object& object,
                                                                      std::string_view name,
                                                                      bool required,
                                                                      std::size_t limit) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) {
    if (required) {
      return unexpected(problem(BotBodyError::kMissingField, std::string(name) + " is missing"));
    }
    return std::optional<std::string>{};
  }
  if (!value->is_string()) {
    return unexpected(problem(BotBodyError::kWrongType, std::string(name) + " must be a string"));
  }
  const json::string& text = value->get_string();
  if (text.empty()) {
    return unexpected(problem(BotBodyError::kBadValue, std::string(name) + " must not be empty"));
  }
  if (text.size() > limit) {
    return unexpected(problem(BotBodyError::kBadValue, std::string(name) + " is longer than " +
                                                           std::to_string(limit) + " bytes"));
  }
  return std::optional<std::string>(std::string(text));
}

// `needHuman`: absent or null is false.
util::Result<bool, BotBodyProblem> bool_field(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) return false;
  if (!value->is_bool()) {
    return unexpected(
        problem(BotBodyError::kWrongType, std::string(name) + " must be true or false"));
  }
  return value->get_bool();
}

// The answer fields shared by the reply and the webhook; `botMessage` already known present.
util::Result<BotReply, BotBodyProblem> read_reply(const json::object& object) {
  auto message = string_field(object, "botMessage", true, kBotBodyLimit);
  if (!message) return unexpected(message.error());
  if ((*message)->find_first_not_of(" \t\r\n") == std::string::npos) {
    return unexpected(problem(BotBodyError::kBadValue, "botMessage must not be blank"));
  }
  auto need_human = bool_field(object, "needHuman");
  if (!need_human) return unexpected(need_human.error());
  auto category = string_field(object, "category", false, kBotCategoryLimit);
  if (!category) return unexpected(category.error());
  auto reply_to = string_field(object, "replyTo", false, kBotIdLimit);
  if (!reply_to) return unexpected(reply_to.error());
  BotReply reply;
  reply.answer.bot_message = std::move(**message);
  reply.answer.need_human = *need_human;
  reply.answer.category = category->value_or(std::string());
  reply.reply_to = std::move(*reply_to);
  return reply;
}

}  // namespace

std::string_view to_string(BotBodyError error) {
  switch (error) {
    case BotBodyError::kBadStatus:
      return "bad_status";
    case BotBodyError::kTooLarge:
      return "too_large";
    case BotBodyError::kBadUtf8:
      return "bad_utf8";
    case BotBodyError::kBadJson:
      return "bad_json";
    case BotBodyError::kNotObject:
      return "not_object";
    case BotBodyError::kMissingField:
      return "missing_field";
    case BotBodyError::kWrongType:
      return "wrong_type";
    case BotBodyError::kBadValue:
      return "bad_value";
  }
  return "unknown";
}

std::string make_chat_request(const BotChatRequest& request) {
  json::object body;
  body["sessionId"] = valid_utf8(request.session_id);
  body["customerId"] = valid_utf8(request.customer_id);
  // What leaves for the bot carries no phone number, address or identifier (personal_data.hpp).
  body["message"] = redact_for_bot(valid_utf8(request.message));
  if (!request.message_id.empty()) body["messageId"] = valid_utf8(request.message_id);
  if (!request.lang.empty()) body["lang"] = valid_utf8(request.lang);
  return json::serialize(body);
}

util::Result<std::optional<BotReply>, BotBodyProblem> parse_chat_reply(int http_status,
                                                                       std::string_view body) {
  if (http_status < 200 || http_status > 299) {
    return unexpected(
        problem(BotBodyError::kBadStatus, "bot answered HTTP " + std::to_string(http_status)));
  }
  // A bot that answers by webhook only may acknowledge with an empty 2xx.
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    if (body.size() > kBotBodyLimit) {
      return unexpected(
          problem(BotBodyError::kTooLarge, "bot reply is over the limit of 65536 bytes"));
    }
    return std::optional<BotReply>{};
  }
  auto object = parse_object(body, "bot reply");
  if (!object) return unexpected(object.error());
  const json::value* message = object->if_contains("botMessage");
  if (message == nullptr || message->is_null()) return std::optional<BotReply>{};
  auto reply = read_reply(*object);
  if (!reply) return unexpected(reply.error());
  return std::optional<BotReply>(std::move(*reply));
}

namespace {

// The fields of one part of a streamed answer, from a part of an HTTP stream or a webhook call.
util::Result<BotStreamPart, BotBodyProblem> read_stream_part(const json::object& object) {
  BotStreamPart part;
  if (const json::value* delta = object.if_contains("delta"); delta && !delta->is_null()) {
    if (!delta->is_string()) {
      return unexpected(problem(BotBodyError::kWrongType, "delta must be a string"));
    }
    if (delta->get_string().size() > kBotStreamDeltaLimit) {
      return unexpected(
          problem(BotBodyError::kBadValue,
                  "delta is longer than " + std::to_string(kBotStreamDeltaLimit) + " bytes"));
    }
    part.delta = std::string(delta->get_string());
  }
  auto final = bool_field(object, "final");
  if (!final) return unexpected(final.error());
  part.final = *final;
  auto retract = bool_field(object, "retract");
  auto need_human = bool_field(object, "needHuman");
  if (!retract) return unexpected(retract.error());
  if (!need_human) return unexpected(need_human.error());
  auto category = string_field(object, "category", false, kBotCategoryLimit);
  if (!category) return unexpected(category.error());
  auto message = string_field(object, "botMessage", false, kBotStreamTextLimit);
  if (!message) return unexpected(message.error());
  if (!part.final && (*retract || *need_human || *category || *message)) {
    return unexpected(problem(BotBodyError::kBadValue,
                              "retract, needHuman, category and botMessage belong to the final "
                              "part"));
  }
  if (*message && (**message).find_first_not_of(" \t\r\n") == std::string::npos) {
    return unexpected(problem(BotBodyError::kBadValue, "botMessage must not be blank"));
  }
  part.retract = *retract;
  part.need_human = *need_human;
  part.category = category->value_or(std::string());
  part.bot_message = std::move(*message);
  return part;
}

// `answerId` and `part` of a webhook call carrying one part of a streamed answer.
util::Result<BotWebhookPart, BotBodyProblem> read_webhook_part(const json::object& object) {
  auto answer_id = string_field(object, "answerId", true, kBotAnswerIdLimit);
  if (!answer_id) return unexpected(answer_id.error());
  for (const char c : **answer_id) {
    const bool allowed =
        std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':';
    if (!allowed) {
      return unexpected(
          problem(BotBodyError::kBadValue, "answerId may hold only letters, digits and - _ . :"));
    }
  }
  const json::value* number = object.if_contains("part");
  if (number == nullptr || number->is_null()) {
    return unexpected(problem(BotBodyError::kMissingField, "part is missing"));
  }
  const auto value = number->if_int64();
  const auto unsigned_value = number->if_uint64();
  std::int64_t part_number = value ? *value : unsigned_value ? -1 : 0;
  if (!value && !unsigned_value) {
    return unexpected(problem(BotBodyError::kWrongType, "part must be an integer"));
  }
  if (part_number < 1 || part_number > static_cast<std::int64_t>(kBotStreamPartLimit)) {
    return unexpected(problem(BotBodyError::kBadValue,
                              "part must be from 1 to " + std::to_string(kBotStreamPartLimit)));
  }
  auto part = read_stream_part(object);
  if (!part) return unexpected(part.error());
  return BotWebhookPart{std::move(**answer_id), part_number, std::move(*part)};
}

}  // namespace

util::Result<BotWebhook, BotBodyProblem> parse_webhook_body(std::string_view body) {
  auto object = parse_object(body, "webhook body");
  if (!object) return unexpected(object.error());
  auto session_id = string_field(*object, "sessionId", true, kBotIdLimit);
  if (!session_id) return unexpected(session_id.error());
  auto customer_id = string_field(*object, "customerId", true, kBotIdLimit);
  if (!customer_id) return unexpected(customer_id.error());
  if (object->contains("answerId")) {
    auto part = read_webhook_part(*object);
    if (!part) return unexpected(part.error());
    auto reply_to = string_field(*object, "replyTo", false, kBotIdLimit);
    if (!reply_to) return unexpected(reply_to.error());
    BotWebhook webhook{std::move(**session_id), std::move(**customer_id), {}, std::move(*part)};
    webhook.reply.reply_to = std::move(*reply_to);
    return webhook;
  }
  auto reply = read_reply(*object);
  if (!reply) return unexpected(reply.error());
  return BotWebhook{std::move(**session_id), std::move(**customer_id), std::move(*reply)};
}

util::Result<BotStreamPart, BotBodyProblem> parse_stream_part(std::string_view body) {
  if (body.size() > kBotBodyLimit) {
    return unexpected(problem(BotBodyError::kTooLarge, "a part is over the limit of 65536 bytes"));
  }
  if (!util::is_valid_utf8(body)) {
    return unexpected(problem(BotBodyError::kBadUtf8, "a part is not UTF-8"));
  }
  auto object = parse_object(body, "a part");
  if (!object) return unexpected(object.error());
  return read_stream_part(*object);
}

BotAnswer bot_unavailable_answer(std::string_view lang) {
  return BotAnswer{
      is_english(lang)
          ? "Sorry, the assistant is having a problem. Would you like to talk to an agent?"
          : "죄송합니다. 봇 서비스에 문제가 있습니다. 상담사 연결을 요청하시겠습니까?",
      true, std::string(kCategoryBotUnavailable)};
}

}  // namespace aicc::chat
