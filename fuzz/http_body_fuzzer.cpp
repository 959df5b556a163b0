// libFuzzer target for the JSON bodies of the HTTP API and of the STOMP application messages that
// share their parsers: the auth routes' bodies (http/json_body.hpp), the contact center's request
// bodies (center/service_util.hpp: object_of, text_field, parse_bot_message), the canned
// responses PUT (chat/canned_responses.hpp) and what an external bot sends back, by HTTP reply or
// webhook (chat/bot_protocol.hpp).
//
// Input layout: the first byte picks the parser, the rest is the body.
//   0: auth body (parse_object_body with the 8 KiB limit, then its string members)
//   1: contact center body (object_of, text_field)
//   2: bot message (parse_bot_message)
//   3: canned responses
//   4: bot webhook
//   5: bot reply to POST /api/chat, HTTP 200 (6: HTTP 204, 7: HTTP 500)
// Other values wrap around. So a seed starting with '3' is a canned responses body.
//
// Besides the sanitizers, it checks that
//   - a refusal carries a status of 400 or 413 (413 exactly for bodies over the limit), a code
//     and a message;
//   - what is accepted respects every documented limit (lengths, counts, UTF-8, uniqueness);
//   - what is accepted, serialized again, parses to the same result (a round trip);
//   - object_of() and parse_object_body() agree on which bodies are JSON objects.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>

#include "center/service_util.hpp"
#include "chat/bot_protocol.hpp"
#include "chat/canned_responses.hpp"
#include "fuzz_check.hpp"
#include "http/json_body.hpp"
#include "util/utf8.hpp"

namespace {

namespace json = boost::json;
namespace chat = aicc::chat;

constexpr std::size_t kAuthLimit = 8 * 1024;
constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

// Equal JSON, but for the last bits of a double: Boost.JSON (before 1.83) does not round every
// long decimal mantissa correctly, so a number of 100 digits, printed and read again, may come
// back one or two units in the last place away. The API reads no such number; strings, structure
// and every other value must round-trip exactly.
bool same_json(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double();
    const double y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-15 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.is_object() && b.is_object()) {
    const json::object& left = a.get_object();
    const json::object& right = b.get_object();
    if (left.size() != right.size()) return false;
    for (const auto& member : left) {
      const json::value* other = right.if_contains(member.key());
      if (other == nullptr || !same_json(member.value(), *other)) return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    const json::array& left = a.get_array();
    const json::array& right = b.get_array();
    if (left.size() != right.size()) return false;
    for (std::size_t i = 0; i < left.size(); ++i) {
      if (!same_json(left[i], right[i])) return false;
    }
    return true;
  }
  return a == b;
}

void check_refusal(const aicc::http::BodyRefusal& refusal) {
  FUZZ_CHECK(refusal.status == 400 || refusal.status == 413);
  FUZZ_CHECK(refusal.code == (refusal.status == 413 ? "too_large" : "bad_request"));
  FUZZ_CHECK(!refusal.message.empty());
}

void fuzz_auth_body(std::string_view body) {
  const auto parsed = aicc::http::parse_object_body(body, kAuthLimit);
  if (!parsed) {
    check_refusal(parsed.error());
    FUZZ_CHECK((parsed.error().status == 413) == (body.size() > kAuthLimit));
    return;
  }
  FUZZ_CHECK(body.size() <= kAuthLimit);
  // Serialized again, the object reads back equal (within any size limit: escapes may grow it).
  const auto again = aicc::http::parse_object_body(json::serialize(*parsed), kUnlimited);
  FUZZ_CHECK(again.has_value() && same_json(*again, *parsed));

  for (const char* name : {"username", "password", "displayName", "refreshToken"}) {
    const auto member = aicc::http::string_member(*parsed, name);
    const json::value* value = parsed->if_contains(name);
    if (value == nullptr || value->is_null()) {
      FUZZ_CHECK(member.has_value() && !member->has_value());
    } else if (value->is_string()) {
      FUZZ_CHECK(member.has_value() && **member == std::string_view(value->as_string()));
      FUZZ_CHECK(aicc::util::is_valid_utf8(**member));
    } else {
      FUZZ_CHECK(!member.has_value());
      check_refusal(member.error());
      FUZZ_CHECK(member.error().message.find(name) != std::string::npos);
    }
  }
}

void fuzz_center_body(std::string_view body) {
  const auto object = aicc::center::object_of(body);
  const auto reference = aicc::http::parse_object_body(body, kUnlimited);
  FUZZ_CHECK(object.has_value() == reference.has_value());
  if (!object) return;
  FUZZ_CHECK(*object == *reference);
  for (const char* name : {"text", "reason", "status"}) {
    const auto text = aicc::center::text_field(*object, name, 64);
    if (!text) continue;
    FUZZ_CHECK(text->size() <= 64 && aicc::util::is_valid_utf8(*text));
  }
}

void fuzz_bot_message(std::string_view body) {
  const auto parsed = aicc::center::parse_bot_message(body);
  if (!parsed) {
    FUZZ_CHECK(!parsed.error().empty());
    return;
  }
  FUZZ_CHECK(!parsed->message.empty() && parsed->message.size() <= aicc::center::kMaxMessageBytes);
  FUZZ_CHECK(parsed->client_message_id.size() <= aicc::center::kMaxClientIdBytes);
  FUZZ_CHECK(aicc::util::is_valid_utf8(parsed->message) &&
             aicc::util::is_valid_utf8(parsed->client_message_id));
  json::object again{{"message", parsed->message}};
  if (!parsed->client_message_id.empty()) again["clientMessageId"] = parsed->client_message_id;
  const auto back = aicc::center::parse_bot_message(json::serialize(again));
  FUZZ_CHECK(back.has_value() && back->message == parsed->message &&
             back->client_message_id == parsed->client_message_id);
}

void fuzz_canned(std::string_view body) {
  const auto parsed = chat::parse_canned_responses(body);
  if (!parsed) {
    const chat::CannedError& error = parsed.error();
    FUZZ_CHECK(error.status == 400 || error.status == 413);
    FUZZ_CHECK(error.code == (error.status == 413 ? "too_large" : "bad_request"));
    FUZZ_CHECK(!error.message.empty());
    FUZZ_CHECK((error.status == 413) == (body.size() > chat::kMaxCannedBody));
    return;
  }
  FUZZ_CHECK(body.size() <= chat::kMaxCannedBody);
  FUZZ_CHECK(parsed->size() <= chat::kMaxCannedResponses);
  std::set<std::string> shortcuts;
  json::array responses;
  for (const chat::CannedInput& entry : *parsed) {
    FUZZ_CHECK(chat::valid_shortcut(entry.shortcut));
    FUZZ_CHECK(shortcuts.insert(entry.shortcut).second);
    FUZZ_CHECK(!entry.text.empty() && entry.text.size() <= chat::kMaxCannedTextBytes);
    FUZZ_CHECK(aicc::util::is_valid_utf8(entry.text));
    responses.push_back(json::object{{"shortcut", entry.shortcut}, {"text", entry.text}});
  }
  const std::string again = json::serialize(json::object{{"responses", std::move(responses)}});
  if (again.size() > chat::kMaxCannedBody) return;
  const auto back = chat::parse_canned_responses(again);
  FUZZ_CHECK(back.has_value() && back->size() == parsed->size());
  for (std::size_t i = 0; i < parsed->size(); ++i) {
    FUZZ_CHECK((*back)[i].shortcut == (*parsed)[i].shortcut);
    FUZZ_CHECK((*back)[i].text == (*parsed)[i].text);
  }
}

void check_problem(const chat::BotBodyProblem& problem, std::string_view body) {
  FUZZ_CHECK(!problem.message.empty());
  FUZZ_CHECK(chat::to_string(problem.code) != "unknown");
  FUZZ_CHECK((problem.code == chat::BotBodyError::kTooLarge) ==
             (body.size() > chat::kBotBodyLimit));
}

// The reply's fields as a JSON object, to parse again.
json::object reply_json(const chat::BotReply& reply) {
  json::object out{{"botMessage", reply.answer.bot_message},
                   {"needHuman", reply.answer.need_human}};
  if (!reply.answer.category.empty()) out["category"] = reply.answer.category;
  if (reply.reply_to) out["replyTo"] = *reply.reply_to;
  return out;
}

void check_reply(const chat::BotReply& reply) {
  FUZZ_CHECK(reply.answer.bot_message.find_first_not_of(" \t\r\n") != std::string::npos);
  FUZZ_CHECK(reply.answer.bot_message.size() <= chat::kBotBodyLimit);
  FUZZ_CHECK(reply.answer.category.size() <= chat::kBotCategoryLimit);
  FUZZ_CHECK(!reply.reply_to ||
             (!reply.reply_to->empty() && reply.reply_to->size() <= chat::kBotIdLimit));
  FUZZ_CHECK(aicc::util::is_valid_utf8(reply.answer.bot_message) &&
             aicc::util::is_valid_utf8(reply.answer.category));
}

bool same_reply(const chat::BotReply& a, const chat::BotReply& b) {
  return a.answer.bot_message == b.answer.bot_message &&
         a.answer.need_human == b.answer.need_human && a.answer.category == b.answer.category &&
         a.reply_to == b.reply_to;
}

void fuzz_webhook(std::string_view body) {
  const auto parsed = chat::parse_webhook_body(body);
  if (!parsed) {
    check_problem(parsed.error(), body);
    return;
  }
  FUZZ_CHECK(body.size() <= chat::kBotBodyLimit);
  FUZZ_CHECK(!parsed->session_id.empty() && parsed->session_id.size() <= chat::kBotIdLimit);
  FUZZ_CHECK(!parsed->customer_id.empty() && parsed->customer_id.size() <= chat::kBotIdLimit);
  check_reply(parsed->reply);
  json::object again = reply_json(parsed->reply);
  again["sessionId"] = parsed->session_id;
  again["customerId"] = parsed->customer_id;
  const std::string text = json::serialize(again);
  if (text.size() > chat::kBotBodyLimit) return;
  const auto back = chat::parse_webhook_body(text);
  FUZZ_CHECK(back.has_value() && back->session_id == parsed->session_id &&
             back->customer_id == parsed->customer_id && same_reply(back->reply, parsed->reply));
}

void fuzz_chat_reply(int status, std::string_view body) {
  const auto parsed = chat::parse_chat_reply(status, body);
  if (status < 200 || status > 299) {
    FUZZ_CHECK(!parsed.has_value() && parsed.error().code == chat::BotBodyError::kBadStatus);
    return;
  }
  if (!parsed) {
    check_problem(parsed.error(), body);
    return;
  }
  FUZZ_CHECK(body.size() <= chat::kBotBodyLimit);
  if (!parsed->has_value()) return;  // the answer comes by webhook
  check_reply(**parsed);
  const std::string text = json::serialize(reply_json(**parsed));
  if (text.size() > chat::kBotBodyLimit) return;
  const auto back = chat::parse_chat_reply(status, text);
  FUZZ_CHECK(back.has_value() && back->has_value() && same_reply(**back, **parsed));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  switch ((data[0] - '0') & 7) {
    case 0:
      fuzz_auth_body(body);
      break;
    case 1:
      fuzz_center_body(body);
      break;
    case 2:
      fuzz_bot_message(body);
      break;
    case 3:
      fuzz_canned(body);
      break;
    case 4:
      fuzz_webhook(body);
      break;
    case 5:
      fuzz_chat_reply(200, body);
      break;
    case 6:
      fuzz_chat_reply(204, body);
      break;
    default:
      fuzz_chat_reply(500, body);
      break;
  }
  return 0;
}
