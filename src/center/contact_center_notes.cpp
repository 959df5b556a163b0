// Private notes of rooms (see contact_center.hpp): an agent writes one in their own room; it is
// stored and sent to the room's agent on /user/queue/agent/notes, never to the room's topic, which
// the customer reads. A transfer leaves a note of its own (contact_center_routing.cpp), and the
// agent who gets a room gets its notes with the assignment and in GET /api/agent/rooms.
#include <boost/json/serialize.hpp>

#include "broker/domain_error.hpp"
#include "center/contact_center.hpp"
#include "center/service_util.hpp"
#include "center/wire_json.hpp"
#include "util/random.hpp"

namespace aicc::center {

namespace json = boost::json;

void ContactCenter::add_note_handlers(broker::AppRouter& router) {
  router.add_subscription("/user/queue/agent/notes");
  router.add("/app/room.note", [this](const broker::AppMessage& message) -> broker::AppResult {
    auto body = object_of(message.body);
    auto room_id = body ? text_field(*body, "roomId", kMaxClientIdBytes) : std::nullopt;
    auto text = body ? chat_text_field(*body, "text", kMaxMessageBytes) : std::nullopt;
    if (text) mask_personal_data(*text);
    auto client_message_id =
        body ? text_field(*body, "clientMessageId", kMaxClientIdBytes) : std::nullopt;
    if (!room_id || room_id->empty() || !text || text->empty() || !client_message_id) {
      broker::send_domain_error(publisher_, message.sender.user_id, "bad_request",
                                "roomId and text (at most 4000 bytes, no control characters "
                                "but tab and line breaks) are required; "
                                "clientMessageId at most 128 bytes",
                                message.frame);
      return broker::AppResult::refused();
    }
    chat::NoteRecord note;
    // A retry after a reconnect (same clientMessageId) finds the id taken: stored once.
    note.id = client_message_id->empty() ? "n_" + util::random_hex(12)
                                         : "n_" + message.sender.user_id + "." + *client_message_id;
    note.room_id = *room_id;
    note.author_id = message.sender.user_id;
    note.author_name = message.sender.name;
    note.text = *text;
    return on_request(message, "room note",
                      [this, note = std::move(note),
                       client_message_id = *client_message_id](Request& request) mutable {
                        const auto members = rooms_.members().find(note.room_id);
                        if (!members || members->agent_id != note.author_id) {
                          refuse(request, "not_participant",
                                 "only the agent who has this open room writes its notes");
                          return;
                        }
                        note.created_at = now_ms();
                        store_.add_note(note);
                        json::object body = note_json(note);
                        if (!client_message_id.empty()) body["clientMessageId"] = client_message_id;
                        publisher_.send_to_user(note.author_id, "/queue/agent/notes",
                                                "application/json", json::serialize(body));
                      });
  });
}

}  // namespace aicc::center
