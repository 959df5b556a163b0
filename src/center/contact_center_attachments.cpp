// Files in chats. POST /api/rooms/{id}/attachments takes one file from a member of the open room:
// its kind is read from its bytes (chat/attachments.hpp) and must agree with what the browser
// declared; its size is capped by the HTTP layer (attachments.max-bytes) and each user's uploads
// per minute here. A message then carries it (/app/room.send `attachments`, checked in rooms.cpp).
// GET /api/attachments/{id} serves a file to whoever may read its room (may_read_room: its
// customer, its agents, an agent serving that customer now, admins; anyone else gets 404, so ids
// cannot be probed), pictures inline for previews, everything else as a download, never as
// something the browser would run. Hashing, writing and reading files run on the blocking pool.
#include "auth/token_service.hpp"
#include "center/contact_center.hpp"
#include "center/service_util.hpp"
#include "util/random.hpp"

namespace aicc::center {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::size_t kMaxRateLimitedUsers = 10000;  // buckets kept before full ones are swept

// "image/png; charset=x" as "image/png", lower case; "" when absent.
std::string media_type(std::string_view header) {
  header = header.substr(0, header.find(';'));
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  std::string type(header);
  for (char& c : type) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (type == "image/jpg" || type == "image/pjpeg") type = "image/jpeg";
  return type;
}

json::object attachment_json(const chat::AttachmentRef& file) {
  return json::object{{"id", file.id},
                      {"name", file.name},
                      {"contentType", file.content_type},
                      {"size", file.size}};
}

}  // namespace

bool ContactCenter::upload_allowed(const std::string& user_id) {
  const auto now = util::TokenBucket::Clock::now();
  if (upload_buckets_.size() >= kMaxRateLimitedUsers) {
    for (auto it = upload_buckets_.begin(); it != upload_buckets_.end();) {
      it = it->second.full(now) ? upload_buckets_.erase(it) : std::next(it);
    }
  }
  const double per_minute = config_.attachments.uploads_per_minute;
  auto [it, added] = upload_buckets_.try_emplace(user_id, per_minute / 60.0, per_minute, now);
  return it->second.try_take(1, now);
}

asio::awaitable<Answer> ContactCenter::upload_attachment(Caller caller, std::string room_id,
                                                         std::string declared_type,
                                                         std::string name, std::string bytes) {
  if (caller.role != auth::Role::kCustomer && caller.role != auth::Role::kAgent)
    co_return error_answer(403, "forbidden", "only the room's customer and agent send files");
  // Who may: checked where the rooms' members are, on the service executor. Every try counts
  // against the rate, refused or not: garbage is not a way round the limit.
  auto admit = [this, user_id = caller.user_id, room_id]() -> Answer {
    if (std::string refusal = rooms_.members().refusal(room_id, user_id); !refusal.empty())
      return error_answer(403, "not_participant", refusal);
    if (!upload_allowed(user_id)) {
      return error_answer(429, "rate_limited",
                          "too many files in a minute (attachments.uploads-per-minute); wait a "
                          "little");
    }
    return Answer{.status = 200};
  };
  Answer admitted = co_await on_service(std::move(admit));
  if (admitted.status != 200) co_return admitted;
  // What it is, and keeping it: on the blocking pool (hashing and writing megabytes).
  auto work = [this, caller = std::move(caller), room_id = std::move(room_id),
               declared_type = std::move(declared_type), name = std::move(name),
               bytes = std::move(bytes)]() -> Answer {
    if (bytes.empty()) return error_answer(400, "bad_request", "the file is empty");
    const auto kind = chat::sniff_content_type(bytes);
    if (!kind) {
      return error_answer(415, "unsupported_type",
                          "only pictures (PNG, JPEG, GIF, WebP), PDF documents and plain text "
                          "files are taken, recognised by their content; this file is none of "
                          "them");
    }
    const std::string declared = media_type(declared_type);
    // Text is text whatever the browser calls it (text/csv, text/markdown).
    const bool agrees = declared.empty() || declared == "application/octet-stream" ||
                        declared == *kind ||
                        (*kind == "text/plain" && declared.starts_with("text/"));
    if (!agrees) {
      return error_answer(415, "type_mismatch",
                          "the file says it is " + declared.substr(0, 64) + " but its content is " +
                              std::string(*kind));
    }
    chat::AttachmentRecord record{.file = {.id = "f_" + util::random_hex(16),
                                           .name = chat::safe_file_name(name, *kind),
                                           .content_type = std::string(*kind),
                                           .size = static_cast<std::int64_t>(bytes.size())},
                                  .room_id = room_id,
                                  .uploader_id = caller.user_id,
                                  .sha256 = auth::sha256_hex(bytes),
                                  .created_at = now_ms()};
    if (!store_.add_attachment(record, bytes))
      return error_answer(409, "room_closed", "the room is closed");
    return json_answer(201, json::object{{"attachment", attachment_json(record.file)}});
  };
  co_return co_await on_blocking(std::move(work));
}

asio::awaitable<Answer> ContactCenter::attachment(Caller caller, std::string id) {
  auto work = [this, caller = std::move(caller), id = std::move(id)]() -> Answer {
    const auto record = store_.find_attachment(id);
    const auto room = record ? store_.find_room(record->room_id) : std::nullopt;
    if (!room || !may_read_room(caller, *room))
      return error_answer(404, "not_found", "no such file");
    auto bytes = store_.attachment_bytes(id);
    if (!bytes) return error_answer(404, "not_found", "no such file");
    const bool text = record->file.content_type == "text/plain";
    return Answer{.status = 200,
                  .body = std::move(*bytes),
                  .content_type = text ? "text/plain; charset=utf-8" : record->file.content_type,
                  .download_name = record->file.name,
                  .inline_file = chat::is_image(record->file.content_type)};
  };
  co_return co_await on_blocking(std::move(work));
}

}  // namespace aicc::center
