// The history of rooms for the consoles: GET /api/history/rooms lists rooms by the filters of
// center/history_query.hpp, newest first and paged by cursor (an agent sees the rooms they had,
// a supervisor every room); GET /api/history/rooms.csv exports the same list for a spreadsheet;
// GET /api/history/rooms/{id} gives one room's record with its private notes, for the transcript
// (its messages come from GET /api/conversations/{id}/messages). All read the store only, so any
// node answers them.
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <unordered_map>

#include "center/contact_center.hpp"
#include "center/history_query.hpp"
#include "center/service_util.hpp"
#include "center/wire_json.hpp"
#include "util/csv.hpp"

namespace aicc::center {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::size_t kMaxExportRows = 10000;  // one CSV export, rooms
constexpr std::size_t kExportPage = 500;       // rooms read from the store at a time
constexpr std::size_t kNotesInRecord = 500;

bool staff(const Caller& caller) {
  return caller.role == auth::Role::kAgent || caller.role == auth::Role::kAdmin;
}

std::string name_of(const std::unordered_map<std::string, std::string>& names,
                    const std::string& id) {
  const auto found = names.find(id);
  return found == names.end() ? std::string() : found->second;
}

json::object room_summary_json(const chat::RoomSummary& summary,
                               const std::unordered_map<std::string, std::string>& names) {
  const chat::RoomRecord& room = summary.room;
  json::object item{{"roomId", room.id},
                    {"conversationId", room.conversation_id},
                    {"customerId", room.customer_id},
                    {"customerName", room.customer_name},
                    {"agentId", room.agent_id},
                    {"agentName", name_of(names, room.agent_id)},
                    {"category", room.category},
                    {"createdAt", timestamp_of(room.created_at)},
                    {"lastSeq", summary.last_seq}};
  if (room.closed_at) {
    item["closedAt"] = timestamp_of(*room.closed_at);
    item["closedBy"] = room.closed_by;
  }
  if (summary.score) {
    item["rating"] = json::object{{"score", *summary.score}, {"comment", summary.rating_comment}};
  }
  return item;
}

}  // namespace

bool ContactCenter::may_read_room(const Caller& caller, const chat::RoomRecord& room) {
  switch (caller.role) {
    case auth::Role::kAdmin:
      return true;
    case auth::Role::kCustomer:
      return room.customer_id == caller.user_id;
    case auth::Role::kAgent:
      break;
  }
  if (room.agent_id == caller.user_id) return true;
  const auto had = store_.room_agents(room.id);
  if (std::find(had.begin(), had.end(), caller.user_id) != had.end()) return true;
  const auto rooms = store_.rooms_of_conversation(room.conversation_id);
  return std::any_of(rooms.begin(), rooms.end(), [&](const chat::RoomRecord& other) {
    return !other.closed_at && other.agent_id == caller.user_id;
  });
}

std::unordered_map<std::string, std::string> ContactCenter::agent_names() {
  std::unordered_map<std::string, std::string> names;
  for (const chat::AgentRecord& agent : store_.load_agents())
    names[agent.agent.id] = agent.agent.display_name;
  return names;
}

// The store's query for `caller`, or the refusal: staff only; an agent's own rooms only.
std::variant<chat::RoomQuery, Answer> ContactCenter::history_query_for(
    const Caller& caller, const std::map<std::string, std::string>& parameters) {
  if (!staff(caller)) return error_answer(403, "forbidden", "agents and supervisors only");
  auto parsed = parse_history_query(parameters);
  if (auto* refusal = std::get_if<std::string>(&parsed)) {
    return error_answer(400, "bad_request", *refusal);
  }
  chat::RoomQuery query = std::move(std::get<chat::RoomQuery>(parsed));
  if (caller.role == auth::Role::kAgent) {
    if (!query.agent_id.empty() && query.agent_id != caller.user_id)
      return error_answer(403, "forbidden", "agents see the history of their own chats only");
    query.agent_id = caller.user_id;
  }
  return query;
}

asio::awaitable<Answer> ContactCenter::room_history(Caller caller,
                                                    std::map<std::string, std::string> parameters) {
  auto query = history_query_for(caller, parameters);
  if (auto* refusal = std::get_if<Answer>(&query)) co_return std::move(*refusal);
  auto work = [this, query = std::move(std::get<chat::RoomQuery>(query))]() mutable {
    const std::size_t page = query.limit;
    query.limit = page + 1;  // one more tells whether there is a next page
    auto found = store_.search_rooms(query);
    const bool more = found.size() > page;
    if (more) found.resize(page);
    const auto names = agent_names();
    json::array rooms;
    for (const chat::RoomSummary& summary : found)
      rooms.push_back(room_summary_json(summary, names));
    json::value next = nullptr;
    if (more) next = json::value(history_cursor(found.back().room));
    return json_answer(200, json::object{{"rooms", std::move(rooms)}, {"next", std::move(next)}});
  };
  co_return co_await on_blocking(std::move(work));
}

asio::awaitable<Answer> ContactCenter::room_history_csv(
    Caller caller, std::map<std::string, std::string> parameters) {
  auto query = history_query_for(caller, parameters);
  if (auto* refusal = std::get_if<Answer>(&query)) co_return std::move(*refusal);
  auto work = [this, query = std::move(std::get<chat::RoomQuery>(query))]() mutable {
    const auto names = agent_names();
    // A byte order mark, so that spreadsheets read the UTF-8 (Korean names and comments) right.
    std::string csv = "\xEF\xBB\xBF";
    util::append_csv_row(
        csv, {"room_id", "created_at", "closed_at", "customer_id", "customer_name", "agent_id",
              "agent_name", "category", "messages", "rating", "rating_comment", "closed_by"});
    std::size_t rows = 0;
    query.limit = kExportPage;
    while (rows < kMaxExportRows) {
      query.limit = std::min(kExportPage, kMaxExportRows - rows);
      const auto found = store_.search_rooms(query);
      for (const chat::RoomSummary& summary : found) {
        const chat::RoomRecord& room = summary.room;
        util::append_csv_row(
            csv, {room.id, timestamp_of(room.created_at),
                  room.closed_at ? timestamp_of(*room.closed_at) : std::string(), room.customer_id,
                  room.customer_name, room.agent_id, name_of(names, room.agent_id), room.category,
                  std::to_string(summary.last_seq),
                  summary.score ? std::to_string(*summary.score) : std::string(),
                  summary.rating_comment, room.closed_at ? room.closed_by : std::string()});
      }
      rows += found.size();
      if (found.size() < query.limit) break;
      query.before = std::pair{found.back().room.created_at, found.back().room.id};
    }
    Answer answer{.status = 200,
                  .body = std::move(csv),
                  .content_type = "text/csv; charset=utf-8",
                  .download_name = "conversations.csv"};
    return answer;
  };
  co_return co_await on_blocking(std::move(work));
}

asio::awaitable<Answer> ContactCenter::room_record(Caller caller, std::string room_id) {
  if (!staff(caller)) co_return error_answer(403, "forbidden", "agents and supervisors only");
  auto work = [this, caller = std::move(caller), room_id = std::move(room_id)] {
    const auto room = store_.find_room(room_id);
    // One the caller may not read is not there for them (ids are not to be probed).
    if (!room || !may_read_room(caller, *room))
      return error_answer(404, "not_found", "no such room");
    chat::RoomSummary summary{.room = *room, .last_seq = store_.last_seq(room->id)};
    if (auto rating = store_.find_rating(room->id)) {
      summary.score = rating->score;
      summary.rating_comment = rating->comment;
    }
    json::array notes;
    for (const chat::NoteRecord& note : store_.room_notes(room->id, kNotesInRecord))
      notes.push_back(note_json(note));
    return json_answer(200, json::object{{"room", room_summary_json(summary, agent_names())},
                                         {"notes", std::move(notes)}});
  };
  co_return co_await on_blocking(std::move(work));
}

}  // namespace aicc::center
