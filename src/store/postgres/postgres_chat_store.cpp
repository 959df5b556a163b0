#include "store/postgres/postgres_chat_store.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>
#include <utility>

#include "store/columns.hpp"

namespace aicc::store::postgres {
namespace {

using chat::AppendResult;
using chat::AppendStatus;
using chat::Audit;
using chat::AuditCandidate;
using chat::AuditEntry;
using chat::AuditEvent;
using chat::AuditQuery;
using chat::CandidateVerdict;
using chat::CannedResponse;
using chat::ConversationRecord;
using chat::LeftMessageRecord;
using chat::MessageRecord;
using chat::Millis;
using chat::NoteRecord;
using chat::RatingOutcome;
using chat::RatingRecord;
using chat::RatingSummary;
using chat::RequestRecord;
using chat::RoomRecord;
using chat::RoomSummary;
using chat::StreamInfo;
using chat::StreamKind;

constexpr std::string_view kChatComponent = "chat";

// The schema, one step per released change. Never edit a released step: add the next one.
// Times are unix milliseconds; "none" is '' for strings and NULL for times.
constexpr std::array kChatMigrations = {
    Migration{1,
              "conversations, messages, rooms, routing records, audit log, left messages, "
              "ratings, canned responses",
              R"sql(
CREATE TABLE streams (
  id       BYTEA PRIMARY KEY,  -- a conversation id or a room id: one id space for both
  kind     TEXT NOT NULL CHECK (kind IN ('conversation', 'room')),
  last_seq BIGINT NOT NULL DEFAULT 0  -- seq of the newest message; appends lock this row
);

CREATE TABLE conversations (
  id          BYTEA PRIMARY KEY REFERENCES streams (id),
  customer_id BYTEA NOT NULL UNIQUE,  -- one conversation per customer
  created_at  BIGINT NOT NULL
);

CREATE TABLE rooms (
  id              BYTEA PRIMARY KEY REFERENCES streams (id),
  conversation_id BYTEA NOT NULL REFERENCES conversations (id),
  request_id      BYTEA NOT NULL,
  customer_id     BYTEA NOT NULL,
  agent_id        BYTEA NOT NULL,  -- '' while it waits in the queue again
  created_at      BIGINT NOT NULL,
  closed_at       BIGINT,          -- NULL while open
  closed_by       BYTEA NOT NULL   -- '' for the server, or while open
);
CREATE INDEX rooms_conversation ON rooms (conversation_id, created_at, id);
CREATE INDEX rooms_open ON rooms (created_at, id) WHERE closed_at IS NULL;

CREATE TABLE messages (
  stream_id         BYTEA NOT NULL REFERENCES streams (id),
  seq               BIGINT NOT NULL CHECK (seq >= 1),  -- 1, 2, 3, ... per stream, no gaps
  message_id        BYTEA NOT NULL UNIQUE,
  client_message_id BYTEA NOT NULL,  -- '' when the sender gave none
  sender_id         BYTEA NOT NULL,
  sender_role       TEXT NOT NULL CHECK (sender_role IN ('CUSTOMER', 'AGENT', 'BOT', 'SYSTEM')),
  text              BYTEA NOT NULL,
  created_at        BIGINT NOT NULL,
  reply_to          BYTEA NOT NULL,  -- message_id of the customer message a bot answer answers
  PRIMARY KEY (stream_id, seq)
);
-- A retry of the same sender is found, not stored again.
CREATE UNIQUE INDEX messages_client_id ON messages (stream_id, sender_id, client_message_id)
  WHERE client_message_id <> '';
-- One answer per customer message, even when the bot both replies and calls the webhook.
CREATE UNIQUE INDEX messages_reply_to ON messages (reply_to) WHERE reply_to <> '';

CREATE TABLE routing_requests (
  id               BYTEA PRIMARY KEY,
  customer_id      BYTEA NOT NULL,
  customer_name    BYTEA NOT NULL,
  category         BYTEA NOT NULL,
  reason           BYTEA NOT NULL,
  last_bot_message BYTEA NOT NULL,
  requested_at     BIGINT NOT NULL,
  requeued_at      BIGINT,         -- NULL unless waiting after a requeue
  room_id          BYTEA NOT NULL,  -- '' until first assigned
  agent_id         BYTEA NOT NULL,  -- '' while waiting
  agent_name       BYTEA NOT NULL,
  mode             TEXT NOT NULL CHECK (mode IN ('manual', 'auto'))
);
CREATE TABLE routing_rejections (
  request_id BYTEA NOT NULL REFERENCES routing_requests (id) ON DELETE CASCADE,
  agent_id   BYTEA NOT NULL,
  PRIMARY KEY (request_id, agent_id)
);

CREATE TABLE audit_log (
  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- never reused
  at            BIGINT NOT NULL,
  event         TEXT NOT NULL,  -- chat::to_string(AuditEvent)
  request_id    BYTEA NOT NULL,
  agent_id      BYTEA NOT NULL,
  from_agent_id BYTEA NOT NULL,
  reason        BYTEA NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_request ON audit_log (request_id);
CREATE INDEX audit_log_agent ON audit_log (agent_id);
CREATE INDEX audit_log_from_agent ON audit_log (from_agent_id);
CREATE TABLE audit_candidates (
  audit_id     BIGINT NOT NULL REFERENCES audit_log (id) ON DELETE CASCADE,
  position     BIGINT NOT NULL,  -- 0, 1, 2, ... as the engine listed them
  agent_id     BYTEA NOT NULL,
  verdict      TEXT NOT NULL,    -- chat::to_string(CandidateVerdict)
  active_rooms BIGINT NOT NULL,
  PRIMARY KEY (audit_id, position)
);

CREATE TABLE left_messages (
  id              BYTEA PRIMARY KEY,
  customer_id     BYTEA NOT NULL,
  customer_name   BYTEA NOT NULL,
  conversation_id BYTEA NOT NULL,
  request_id      BYTEA NOT NULL,
  category        BYTEA NOT NULL,
  contact         BYTEA NOT NULL,
  text            BYTEA NOT NULL,
  created_at      BIGINT NOT NULL,
  handled_at      BIGINT,          -- NULL while open
  handled_by      BYTEA NOT NULL   -- '' while open
);
CREATE INDEX left_messages_all ON left_messages (created_at, id);
CREATE INDEX left_messages_open ON left_messages (created_at, id) WHERE handled_at IS NULL;

CREATE TABLE ratings (
  room_id     BYTEA PRIMARY KEY REFERENCES rooms (id),  -- once per room
  customer_id BYTEA NOT NULL,
  agent_id    BYTEA NOT NULL,
  score       BIGINT NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment     BYTEA NOT NULL,
  created_at  BIGINT NOT NULL
);

CREATE TABLE canned_responses (
  agent_id BYTEA NOT NULL,
  position BIGINT NOT NULL,  -- 0, 1, 2, ... in the order the agent saved them
  id       BYTEA NOT NULL UNIQUE,
  shortcut BYTEA NOT NULL,
  text     BYTEA NOT NULL,
  PRIMARY KEY (agent_id, position),
  UNIQUE (agent_id, shortcut)
);
)sql"},
    Migration{2, "the routing authority's lease and epoch", R"sql(
CREATE TABLE routing_authority (
  id          INTEGER PRIMARY KEY CHECK (id = 1),  -- one row: the authority
  holder      BYTEA NOT NULL,   -- node id
  epoch       BIGINT NOT NULL,  -- one more at each change of holder
  lease_until BIGINT NOT NULL   -- unix ms
);
)sql"},
    Migration{3, "agents: logged in or not, and the status they chose", R"sql(
CREATE TABLE routing_agents (
  agent_id   BYTEA PRIMARY KEY,
  agent_name BYTEA NOT NULL,
  online     BOOLEAN NOT NULL,  -- logged in
  status     BYTEA NOT NULL     -- available, away
);
)sql"},
    Migration{4, "consult requests found by customer (the bot is silent while one is open)", R"sql(
CREATE INDEX routing_requests_by_customer ON routing_requests (customer_id);
)sql"},
    Migration{5, "each message keeps its sender's display name; private notes of rooms", R"sql(
ALTER TABLE messages ADD COLUMN sender_name BYTEA NOT NULL DEFAULT ''::bytea;

CREATE TABLE room_notes (
  id            BYTEA PRIMARY KEY,
  room_id       BYTEA NOT NULL REFERENCES rooms (id),
  kind          TEXT NOT NULL CHECK (kind IN ('note', 'transfer')),
  author_id     BYTEA NOT NULL,
  author_name   BYTEA NOT NULL,
  to_agent_id   BYTEA NOT NULL,  -- transfers: '' for back to the queue
  to_agent_name BYTEA NOT NULL,
  text          BYTEA NOT NULL,
  created_at    BIGINT NOT NULL
);
CREATE INDEX room_notes_room ON room_notes (room_id, created_at, id);
)sql"},
    Migration{6, "where each customer is: page, referrer, language, browser", R"sql(
CREATE TABLE customer_context (
  customer_id BYTEA PRIMARY KEY,
  page_url    BYTEA NOT NULL,
  page_title  BYTEA NOT NULL,
  referrer    BYTEA NOT NULL,
  lang        BYTEA NOT NULL,
  user_agent  BYTEA NOT NULL,
  member_id   BYTEA NOT NULL,  -- '' for a guest
  updated_at  BIGINT NOT NULL
);
)sql"},
    Migration{7, "the history: rooms keep their category and customer name", R"sql(
ALTER TABLE rooms ADD COLUMN category BYTEA NOT NULL DEFAULT ''::bytea;
ALTER TABLE rooms ADD COLUMN customer_name BYTEA NOT NULL DEFAULT ''::bytea;
CREATE INDEX rooms_created ON rooms (created_at, id);
CREATE INDEX rooms_agent ON rooms (agent_id, created_at);
CREATE INDEX rooms_customer ON rooms (customer_id, created_at);
CREATE INDEX room_notes_transfers ON room_notes (author_id, room_id) WHERE kind = 'transfer';
)sql"},
    Migration{8, "attachments: files uploaded into rooms, carried by their messages", R"sql(
-- The bytes live here, so every node of a cluster reads every file.
CREATE TABLE attachments (
  id           BYTEA PRIMARY KEY,
  room_id      BYTEA NOT NULL REFERENCES rooms (id),
  uploader_id  BYTEA NOT NULL,
  name         BYTEA NOT NULL,
  content_type BYTEA NOT NULL,
  size         BIGINT NOT NULL CHECK (size >= 0),
  sha256       BYTEA NOT NULL,
  created_at   BIGINT NOT NULL,
  content      BYTEA NOT NULL
);
CREATE INDEX attachments_room ON attachments (room_id, created_at);
-- chat::encode_attachments() of the files a message carries; '' for none.
ALTER TABLE messages ADD COLUMN attachments BYTEA NOT NULL DEFAULT ''::bytea;
)sql"},
    Migration{9, "every agent who had a room", R"sql(
-- Every agent a room was ever assigned to (first assignment, transfers, a requeue's next agent),
-- kept by a trigger whatever writes the room: the history's agent filter and who may read a room.
CREATE TABLE room_agents (
  room_id  BYTEA NOT NULL REFERENCES rooms (id),
  agent_id BYTEA NOT NULL,
  PRIMARY KEY (room_id, agent_id)
);
CREATE INDEX room_agents_agent ON room_agents (agent_id, room_id);
INSERT INTO room_agents (room_id, agent_id)
  SELECT id, agent_id FROM rooms WHERE agent_id <> ''::bytea ON CONFLICT DO NOTHING;
INSERT INTO room_agents (room_id, agent_id)
  SELECT room_id, author_id FROM room_notes WHERE kind = 'transfer' AND author_id <> ''::bytea
  ON CONFLICT DO NOTHING;
INSERT INTO room_agents (room_id, agent_id)
  SELECT room_id, to_agent_id FROM room_notes WHERE kind = 'transfer' AND to_agent_id <> ''::bytea
  ON CONFLICT DO NOTHING;
CREATE FUNCTION aicc_remember_room_agent() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.agent_id <> ''::bytea THEN
    INSERT INTO room_agents (room_id, agent_id) VALUES (NEW.id, NEW.agent_id)
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER rooms_agent_remember AFTER INSERT OR UPDATE OF agent_id ON rooms
  FOR EACH ROW EXECUTE FUNCTION aicc_remember_room_agent();
)sql"},
    Migration{10, "customers' ratings of the bot's answers", R"sql(
CREATE TABLE bot_ratings (
  message_id      BYTEA PRIMARY KEY,  -- the bot's answer, rated once
  conversation_id BYTEA NOT NULL,
  customer_id     BYTEA NOT NULL,
  score           BIGINT NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment         BYTEA NOT NULL,
  created_at      BIGINT NOT NULL
);
CREATE INDEX bot_ratings_by_time ON bot_ratings (created_at);
CREATE INDEX bot_ratings_by_customer ON bot_ratings (customer_id);
)sql"},
};

// read_message() reads the columns in this order.
constexpr std::string_view kSelectByClientId =
    "SELECT stream_id, seq, message_id, client_message_id, sender_id, sender_role, text, "
    "created_at, reply_to, sender_name, attachments FROM messages WHERE stream_id = $1 AND "
    "sender_id = $2 "
    "AND client_message_id = $3 AND client_message_id <> ''";
constexpr std::string_view kSelectAnswer =
    "SELECT stream_id, seq, message_id, client_message_id, sender_id, sender_role, text, "
    "created_at, reply_to, sender_name, attachments FROM messages WHERE reply_to = $1 AND reply_to "
    "<> ''";
constexpr std::string_view kSelectAfter =
    "SELECT stream_id, seq, message_id, client_message_id, sender_id, sender_role, text, "
    "created_at, reply_to, sender_name, attachments FROM messages WHERE stream_id = $1 AND seq > "
    "$2 ORDER BY "
    "seq LIMIT $3";

// read_conversation() reads the columns in this order.
constexpr std::string_view kSelectConversationById =
    "SELECT id, customer_id, created_at FROM conversations WHERE id = $1";
constexpr std::string_view kSelectConversationByCustomer =
    "SELECT id, customer_id, created_at FROM conversations WHERE customer_id = $1";

// read_room() reads the columns in this order.
constexpr std::string_view kSelectRoom =
    "SELECT id, conversation_id, request_id, customer_id, agent_id, created_at, closed_at, "
    "closed_by, category, customer_name FROM rooms WHERE id = $1";
constexpr std::string_view kSelectOpenRooms =
    "SELECT id, conversation_id, request_id, customer_id, agent_id, created_at, closed_at, "
    "closed_by, category, customer_name FROM rooms WHERE closed_at IS NULL ORDER BY created_at, id";
constexpr std::string_view kSelectRoomsOfConversation =
    "SELECT id, conversation_id, request_id, customer_id, agent_id, created_at, closed_at, "
    "closed_by, category, customer_name FROM rooms WHERE conversation_id = $1 ORDER BY created_at, "
    "id";

// read_left_message() reads the columns in this order.
constexpr std::string_view kSelectOpenLeft =
    "SELECT id, customer_id, customer_name, conversation_id, request_id, category, contact, "
    "text, created_at, handled_at, handled_by FROM left_messages WHERE handled_at IS NULL "
    "ORDER BY created_at, id LIMIT $1";
constexpr std::string_view kSelectAllLeft =
    "SELECT id, customer_id, customer_name, conversation_id, request_id, category, contact, "
    "text, created_at, handled_at, handled_by FROM left_messages ORDER BY created_at, id "
    "LIMIT $1";

MessageRecord read_message(const Rows& rows, int row) {
  MessageRecord message;
  message.stream_id = rows.text(row, 0);
  message.seq = rows.integer(row, 1);
  message.message_id = rows.text(row, 2);
  message.client_message_id = rows.text(row, 3);
  message.sender_id = rows.text(row, 4);
  const std::string role = rows.text(row, 5);
  const auto parsed = chat::parse_sender_role(role);
  if (!parsed) {
    throw std::runtime_error("messages row " + message.message_id +
                             " has an unknown sender role: " + role);
  }
  message.sender_role = *parsed;
  message.text = rows.text(row, 6);
  message.created_at = rows.integer(row, 7);
  message.reply_to = rows.text(row, 8);
  message.sender_name = rows.text(row, 9);
  message.attachments = chat::decode_attachments(rows.text(row, 10));
  return message;
}

std::vector<MessageRecord> read_messages_of(const Rows& rows) {
  std::vector<MessageRecord> messages;
  messages.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) messages.push_back(read_message(rows, i));
  return messages;
}

ConversationRecord read_conversation(const Rows& rows, int row) {
  return ConversationRecord{.id = rows.text(row, 0),
                            .customer_id = rows.text(row, 1),
                            .created_at = rows.integer(row, 2)};
}

std::optional<Millis> optional_time(const Rows& rows, int row, int column) {
  if (rows.is_null(row, column)) return std::nullopt;
  return rows.integer(row, column);
}

RoomRecord read_room(const Rows& rows, int row) {
  return RoomRecord{.id = rows.text(row, 0),
                    .conversation_id = rows.text(row, 1),
                    .request_id = rows.text(row, 2),
                    .customer_id = rows.text(row, 3),
                    .agent_id = rows.text(row, 4),
                    .created_at = rows.integer(row, 5),
                    .closed_at = optional_time(rows, row, 6),
                    .closed_by = rows.text(row, 7),
                    .category = rows.text(row, 8),
                    .customer_name = rows.text(row, 9)};
}

std::vector<RoomRecord> read_rooms(const Rows& rows) {
  std::vector<RoomRecord> rooms;
  for (int i = 0; i < rows.size(); ++i) rooms.push_back(read_room(rows, i));
  return rooms;
}

LeftMessageRecord read_left_message(const Rows& rows, int row) {
  return LeftMessageRecord{.id = rows.text(row, 0),
                           .customer_id = rows.text(row, 1),
                           .customer_name = rows.text(row, 2),
                           .conversation_id = rows.text(row, 3),
                           .request_id = rows.text(row, 4),
                           .category = rows.text(row, 5),
                           .contact = rows.text(row, 6),
                           .text = rows.text(row, 7),
                           .created_at = rows.integer(row, 8),
                           .handled_at = optional_time(rows, row, 9),
                           .handled_by = rows.text(row, 10)};
}

std::optional<MessageRecord> find_by_client_id(Connection& db, const MessageRecord& message) {
  if (message.client_message_id.empty()) return std::nullopt;
  const Rows rows = db.query(kSelectByClientId, "look for a repeated client message id")
                        .text(message.stream_id)
                        .text(message.sender_id)
                        .text(message.client_message_id)
                        .run();
  if (rows.empty()) return std::nullopt;
  return read_message(rows, 0);
}

std::optional<MessageRecord> find_answer(Connection& db, const std::string& reply_to) {
  if (reply_to.empty()) return std::nullopt;
  const Rows rows = db.query(kSelectAnswer, "look for an answer to a message").text(reply_to).run();
  if (rows.empty()) return std::nullopt;
  return read_message(rows, 0);
}

AppendResult append_in(Connection& db, const MessageRecord& message);

// Runs an append (its own transaction) once more when it failed on a unique index: another
// stream's writer took the same client id or answer between our look and our insert (the lock is
// per stream; reply_to is unique over all of them). It was rolled back; the look now finds it.
template <class Append>
auto again_if_taken(Append append) {
  try {
    return append();
  } catch (const Error& e) {
    if (!e.unique_violation()) throw;
    return append();
  }
}

AppendResult append_once(Connection& db, const MessageRecord& message) {
  Transaction transaction(db);
  AppendResult result = append_in(db, message);
  if (result.status == AppendStatus::kStored) transaction.commit();
  return result;
}

// A group commit: the streams' rows are locked first, in the order of their ids, so that two
// batches (on two nodes) that share streams never wait for each other in a cycle.
std::vector<AppendResult> append_batch(Connection& db, std::span<const MessageRecord> messages) {
  std::vector<std::string> streams;
  for (const MessageRecord& message : messages) streams.push_back(message.stream_id);
  std::sort(streams.begin(), streams.end());
  streams.erase(std::unique(streams.begin(), streams.end()), streams.end());
  Transaction transaction(db);
  for (const std::string& stream : streams) {
    db.query("SELECT 1 FROM streams WHERE id = $1 FOR UPDATE", "lock the stream of new messages")
        .text(stream)
        .run();
  }
  std::vector<AppendResult> results;
  results.reserve(messages.size());
  for (const MessageRecord& message : messages) results.push_back(append_in(db, message));
  transaction.commit();
  return results;
}

// append_message() inside the caller's transaction.
AppendResult append_in(Connection& db, const MessageRecord& message) {
  // The stream's row is the queue of its writers, on every node: whoever holds it takes the next
  // seq. Everything below is read after the lock was granted, so it sees the previous writer's
  // committed message (READ COMMITTED takes a fresh snapshot per statement).
  const Rows stream = db.query(
                            "SELECT s.last_seq, r.closed_at IS NOT NULL FROM streams s "
                            "LEFT JOIN rooms r ON r.id = s.id WHERE s.id = $1 FOR UPDATE OF s",
                            "lock the stream of a new message")
                          .text(message.stream_id)
                          .run();
  if (stream.empty()) return AppendResult{.status = AppendStatus::kUnknownStream};
  // A retry is answered before the stream's state is looked at, so a message stored just before
  // its room closed is still acknowledged.
  if (auto first = find_by_client_id(db, message)) {
    return AppendResult{.status = AppendStatus::kDuplicate, .message = std::move(*first)};
  }
  if (auto answer = find_answer(db, message.reply_to)) {
    return AppendResult{.status = AppendStatus::kAlreadyAnswered, .message = std::move(*answer)};
  }
  if (stream.boolean(0, 1)) return AppendResult{.status = AppendStatus::kStreamClosed};
  MessageRecord stored = message;
  stored.seq = stream.integer(0, 0) + 1;
  db.query(
        "INSERT INTO messages (stream_id, seq, message_id, client_message_id, sender_id, "
        "sender_role, text, created_at, reply_to, sender_name, attachments) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        "store a message")
      .text(stored.stream_id)
      .integer(stored.seq)
      .text(stored.message_id)
      .text(stored.client_message_id)
      .text(stored.sender_id)
      .label(chat::to_string(stored.sender_role))
      .text(stored.text)
      .integer(stored.created_at)
      .text(stored.reply_to)
      .text(stored.sender_name)
      .text(chat::encode_attachments(stored.attachments))
      .run();
  db.query("UPDATE streams SET last_seq = $2 WHERE id = $1", "advance the seq of a stream")
      .text(stored.stream_id)
      .integer(stored.seq)
      .run();
  return AppendResult{.status = AppendStatus::kStored, .message = std::move(stored)};
}

void write_agent(Connection& db, const chat::AgentRecord& record) {
  db.query(
        "INSERT INTO routing_agents (agent_id, agent_name, online, status) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (agent_id) DO UPDATE SET agent_name = excluded.agent_name, "
        "online = excluded.online, status = excluded.status",
        "store an agent")
      .text(record.agent.id)
      .text(record.agent.display_name)
      .boolean(record.online)
      .text(chat::to_string(record.status))
      .run();
}

void write_request(Connection& db, const RequestRecord& record) {
  auto upsert = db.query(
      "INSERT INTO routing_requests (id, customer_id, customer_name, category, reason, "
      "last_bot_message, requested_at, requeued_at, room_id, agent_id, agent_name, mode) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
      "ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, "
      "customer_name = excluded.customer_name, category = excluded.category, "
      "reason = excluded.reason, last_bot_message = excluded.last_bot_message, "
      "requested_at = excluded.requested_at, requeued_at = excluded.requeued_at, "
      "room_id = excluded.room_id, agent_id = excluded.agent_id, "
      "agent_name = excluded.agent_name, mode = excluded.mode",
      "store a routing request");
  upsert.text(record.id)
      .text(record.customer.id)
      .text(record.customer.display_name)
      .text(record.details.category)
      .text(record.details.reason)
      .text(record.details.last_bot_message)
      .integer(record.requested_at);
  if (record.requeued_at) {
    upsert.integer(*record.requeued_at);
  } else {
    upsert.null_integer();
  }
  upsert.text(record.room_id)
      .text(record.agent.id)
      .text(record.agent.display_name)
      .label(chat::to_string(record.mode))
      .run();
  db.query("DELETE FROM routing_rejections WHERE request_id = $1",
           "replace the rejections of a routing request")
      .text(record.id)
      .run();
  for (const auto& agent_id : record.rejected_by) {
    // DO NOTHING: the engine keeps the list free of duplicates, but a repeat must not fail.
    db.query(
          "INSERT INTO routing_rejections (request_id, agent_id) VALUES ($1, $2) "
          "ON CONFLICT DO NOTHING",
          "store a rejection of a routing request")
        .text(record.id)
        .text(agent_id)
        .run();
  }
}

bool delete_request(Connection& db, const std::string& request_id) {
  // The rejections go with it (ON DELETE CASCADE).
  return db.query("DELETE FROM routing_requests WHERE id = $1", "delete a routing request")
             .text(request_id)
             .run()
             .affected() == 1;
}

std::int64_t write_audit(Connection& db, const Audit& audit) {
  const Rows inserted =
      db.query(
            "INSERT INTO audit_log (at, event, request_id, agent_id, from_agent_id, reason) "
            "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            "append to the audit log")
          .integer(audit.at)
          .label(chat::to_string(audit.event))
          .text(audit.request_id)
          .text(audit.agent_id)
          .text(audit.from_agent_id)
          .text(audit.reason)
          .run();
  const std::int64_t id = inserted.integer(0, 0);
  std::int64_t position = 0;
  for (const auto& candidate : audit.candidates) {
    db.query(
          "INSERT INTO audit_candidates (audit_id, position, agent_id, verdict, active_rooms) "
          "VALUES ($1, $2, $3, $4, $5)",
          "append a candidate to the audit log")
        .integer(id)
        .integer(position++)
        .text(candidate.agent_id)
        .label(chat::to_string(candidate.verdict))
        .integer(candidate.active_rooms)
        .run();
  }
  return id;
}

// False, writing nothing, when the id is taken or the conversation is not the customer's.
bool insert_room(Connection& db, const RoomRecord& room) {
  {
    const Rows owner = db.query("SELECT customer_id FROM conversations WHERE id = $1",
                                "find the conversation of a new room")
                           .text(room.conversation_id)
                           .run();
    if (owner.empty() || owner.text(0, 0) != room.customer_id) return false;
  }
  if (db.query("INSERT INTO streams (id, kind) VALUES ($1, 'room') ON CONFLICT DO NOTHING",
               "create a room stream")
          .text(room.id)
          .run()
          .affected() != 1) {
    return false;  // a room's or a conversation's id already
  }
  db.query(
        "INSERT INTO rooms (id, conversation_id, request_id, customer_id, agent_id, "
        "created_at, closed_at, closed_by, category, customer_name) VALUES ($1, $2, $3, $4, $5, "
        "$6, NULL, '', $7, $8)",
        "create a room")
      .text(room.id)
      .text(room.conversation_id)
      .text(room.request_id)
      .text(room.customer_id)
      .text(room.agent_id)
      .integer(room.created_at)
      .text(room.category)
      .text(room.customer_name)
      .run();
  return true;
}

bool update_room_agent(Connection& db, const std::string& room_id, const std::string& agent_id) {
  return db.query("UPDATE rooms SET agent_id = $2 WHERE id = $1 AND closed_at IS NULL",
                  "change the agent of a room")
             .text(room_id)
             .text(agent_id)
             .run()
             .affected() == 1;
}

bool room_exists(Connection& db, const std::string& room_id) {
  return !db.query("SELECT 1 FROM rooms WHERE id = $1", "look for a room")
              .text(room_id)
              .run()
              .empty();
}

}  // namespace

PostgresChatStore::PostgresChatStore(std::shared_ptr<Pool> pool, std::shared_ptr<Pool> lease_pool)
    : pool_(std::move(pool)), lease_pool_(lease_pool ? std::move(lease_pool) : pool_) {
  pool_->with([](Connection& db) { db.migrate(kChatComponent, kChatMigrations); });
}

int PostgresChatStore::latest_schema_version() { return static_cast<int>(kChatMigrations.size()); }

int PostgresChatStore::schema_version() {
  return pool_->with([](Connection& db) { return db.schema_version(kChatComponent); });
}

// Conversations

ConversationRecord PostgresChatStore::get_or_create_conversation(const std::string& customer_id,
                                                                 const std::string& new_id,
                                                                 Millis now) {
  return pool_->with([&](Connection& db) {
    // Nearly every call finds the conversation.
    {
      const Rows rows = db.query(kSelectConversationByCustomer, "find a customer's conversation")
                            .text(customer_id)
                            .run();
      if (!rows.empty()) return read_conversation(rows, 0);
    }
    {
      Transaction transaction(db);
      // A taken id fails here on the primary key: ids are random, so that is a bug worth an error.
      db.query("INSERT INTO streams (id, kind) VALUES ($1, 'conversation')",
               "create a conversation stream")
          .text(new_id)
          .run();
      // Of two nodes creating the customer's conversation at once, the second waits here for
      // the first to commit and then inserts nothing.
      const bool created =
          db.query(
                "INSERT INTO conversations (id, customer_id, created_at) VALUES ($1, $2, $3) "
                "ON CONFLICT (customer_id) DO NOTHING",
                "create a conversation")
              .text(new_id)
              .text(customer_id)
              .integer(now)
              .run()
              .affected() == 1;
      if (created) {
        transaction.commit();
        return ConversationRecord{.id = new_id, .customer_id = customer_id, .created_at = now};
      }
    }  // rolled back: the stream row goes too
    const Rows rows = db.query(kSelectConversationByCustomer, "find a customer's conversation")
                          .text(customer_id)
                          .run();
    if (rows.empty()) throw std::runtime_error("PostgreSQL chat store: conversation vanished");
    return read_conversation(rows, 0);
  });
}

std::optional<ConversationRecord> PostgresChatStore::find_conversation(const std::string& id) {
  return pool_->with([&](Connection& db) -> std::optional<ConversationRecord> {
    const Rows rows = db.query(kSelectConversationById, "find a conversation").text(id).run();
    if (rows.empty()) return std::nullopt;
    return read_conversation(rows, 0);
  });
}

std::optional<ConversationRecord> PostgresChatStore::conversation_of_customer(
    const std::string& customer_id) {
  return pool_->with([&](Connection& db) -> std::optional<ConversationRecord> {
    const Rows rows = db.query(kSelectConversationByCustomer, "find a customer's conversation")
                          .text(customer_id)
                          .run();
    if (rows.empty()) return std::nullopt;
    return read_conversation(rows, 0);
  });
}

std::optional<StreamInfo> PostgresChatStore::find_stream(const std::string& id) {
  return pool_->with([&](Connection& db) -> std::optional<StreamInfo> {
    const Rows rows =
        db.query(
              "SELECT s.kind, coalesce(c.customer_id, r.customer_id, ''::bytea), "
              "coalesce(c.id, r.conversation_id, ''::bytea), coalesce(r.agent_id, ''::bytea), "
              "r.closed_at IS NOT NULL, s.last_seq "
              "FROM streams s LEFT JOIN conversations c ON c.id = s.id "
              "LEFT JOIN rooms r ON r.id = s.id WHERE s.id = $1",
              "find a stream")
            .text(id)
            .run();
    if (rows.empty()) return std::nullopt;
    return StreamInfo{
        .id = id,
        .kind = rows.text(0, 0) == "room" ? StreamKind::kRoom : StreamKind::kConversation,
        .customer_id = rows.text(0, 1),
        .conversation_id = rows.text(0, 2),
        .agent_id = rows.text(0, 3),
        .closed = rows.boolean(0, 4),
        .last_seq = rows.integer(0, 5)};
  });
}

// Messages

AppendResult PostgresChatStore::append_message(const MessageRecord& message) {
  return pool_->with(
      [&](Connection& db) { return again_if_taken([&] { return append_once(db, message); }); });
}

std::vector<AppendResult> PostgresChatStore::append_messages(
    std::span<const MessageRecord> messages) {
  if (messages.empty()) return {};
  return pool_->with(
      [&](Connection& db) { return again_if_taken([&] { return append_batch(db, messages); }); });
}

std::vector<MessageRecord> PostgresChatStore::read_messages(const std::string& stream_id,
                                                            std::int64_t after_seq,
                                                            std::size_t limit) {
  if (limit == 0) return {};
  return pool_->with([&](Connection& db) {
    return read_messages_of(db.query(kSelectAfter, "read the messages of a stream")
                                .text(stream_id)
                                .integer(after_seq)
                                .integer(limit_value(limit))
                                .run());
  });
}

std::int64_t PostgresChatStore::last_seq(const std::string& stream_id) {
  return pool_->with([&](Connection& db) {
    const Rows rows =
        db.query("SELECT last_seq FROM streams WHERE id = $1", "read the last seq of a stream")
            .text(stream_id)
            .run();
    return rows.empty() ? std::int64_t{0} : rows.integer(0, 0);
  });
}

// Rooms

bool PostgresChatStore::create_room(const RoomRecord& room) {
  return pool_->with([&](Connection& db) {
    Transaction transaction(db);
    if (!insert_room(db, room)) return false;
    transaction.commit();
    return true;
  });
}

std::optional<RoomRecord> PostgresChatStore::find_room(const std::string& id) {
  return pool_->with([&](Connection& db) -> std::optional<RoomRecord> {
    const Rows rows = db.query(kSelectRoom, "find a room").text(id).run();
    if (rows.empty()) return std::nullopt;
    return read_room(rows, 0);
  });
}

bool PostgresChatStore::set_room_agent(const std::string& room_id, const std::string& agent_id) {
  return pool_->with([&](Connection& db) { return update_room_agent(db, room_id, agent_id); });
}

bool PostgresChatStore::close_room(const std::string& room_id, const std::string& closed_by,
                                   Millis now) {
  return pool_->with([&](Connection& db) {
    Transaction transaction(db);
    // The stream's row first, as an append takes it: a message is stored before the close or
    // refused after it, never stored after a close that it did not see.
    db.query("SELECT 1 FROM streams WHERE id = $1 FOR UPDATE", "lock the stream of a room")
        .text(room_id)
        .run();
    // One statement: of two closes at once (from any nodes), exactly one finds the room open.
    const bool closed = db.query(
                              "UPDATE rooms SET closed_at = $2, closed_by = $3 "
                              "WHERE id = $1 AND closed_at IS NULL",
                              "close a room")
                            .text(room_id)
                            .integer(now)
                            .text(closed_by)
                            .run()
                            .affected() == 1;
    transaction.commit();
    return closed;
  });
}

std::vector<RoomRecord> PostgresChatStore::open_rooms() {
  return pool_->with([&](Connection& db) {
    return read_rooms(db.query(kSelectOpenRooms, "list the open rooms").run());
  });
}

std::vector<std::string> PostgresChatStore::idle_rooms(Millis before, std::size_t limit) {
  if (limit == 0) return {};
  return pool_->with([&](Connection& db) {
    const Rows rows =
        db.query(
              "SELECT r.id FROM rooms r WHERE r.closed_at IS NULL AND coalesce((SELECT "
              "m.created_at FROM messages m WHERE m.stream_id = r.id ORDER BY m.seq DESC "
              "LIMIT 1), r.created_at) < $1 ORDER BY r.created_at, r.id LIMIT $2",
              "list the idle rooms")
            .integer(before)
            .integer(limit_value(limit))
            .run();
    std::vector<std::string> ids;
    for (int i = 0; i < rows.size(); ++i) ids.push_back(rows.text(i, 0));
    return ids;
  });
}

namespace {

// The history query. Filters not given bind as '' or 0 and drop out; the words make the only
// variable part (one prepared statement per count of words). Without an index for parts of words
// here, each word is looked for in the candidate rooms' messages, newest rooms first, until the
// page is full.
std::string room_search_sql(std::size_t words) {
  std::string sql =
      "SELECT r.id, r.conversation_id, r.request_id, r.customer_id, r.agent_id, r.created_at, "
      "r.closed_at, r.closed_by, r.category, r.customer_name, (SELECT coalesce(max(m.seq), 0) "
      "FROM messages m WHERE m.stream_id = r.id), g.score, g.comment FROM rooms r LEFT JOIN "
      "ratings g ON g.room_id = r.id WHERE r.created_at >= $1 AND r.created_at < $2 AND ($3 = "
      "''::bytea OR r.id IN (SELECT a.room_id FROM room_agents a WHERE a.agent_id = $3)) AND ($4 "
      "= ''::bytea OR r.customer_id = $4) AND ($5 = "
      "''::bytea OR r.category = $5) AND ($6 = 0 OR ($6 = 1 AND r.closed_at IS NULL) OR ($6 = 2 "
      "AND r.closed_at IS NOT NULL)) AND ($7 = 0 OR g.score >= $7) AND ($8 = 0 OR g.score <= $8) "
      "AND (NOT $9 OR g.score IS NULL) AND ($10::bigint IS NULL OR r.created_at < $10 OR "
      "(r.created_at = $10 AND r.id < $11))";
  for (std::size_t i = 0; i < words; ++i) {
    sql +=
        " AND EXISTS (SELECT 1 FROM messages m WHERE m.stream_id = r.id AND "
        "strpos(lower(convert_from(m.text, 'UTF8')), lower($" +
        std::to_string(13 + i) + ")) > 0)";
  }
  return sql + " ORDER BY r.created_at DESC, r.id DESC LIMIT $12";
}

}  // namespace

std::vector<RoomSummary> PostgresChatStore::search_rooms(const chat::RoomQuery& query) {
  if (query.limit == 0) return {};
  return pool_->with([&](Connection& db) {
    const std::string sql = room_search_sql(query.words.size());  // the query keeps a view of it
    auto select = db.query(sql, "search the rooms");
    select.integer(query.from)
        .integer(query.to)
        .text(query.agent_id)
        .text(query.customer_id)
        .text(query.category)
        .integer(static_cast<int>(query.state))
        .integer(query.min_score)
        .integer(query.max_score)
        .boolean(query.unrated);
    if (query.before) {
      select.integer(query.before->first).text(query.before->second);
    } else {
      select.null_integer().text("");
    }
    select.integer(limit_value(query.limit));
    for (const std::string& word : query.words) select.label(word);
    const Rows rows = select.run();
    std::vector<RoomSummary> rooms;
    for (int i = 0; i < rows.size(); ++i) {
      RoomSummary summary{.room = read_room(rows, i), .last_seq = rows.integer(i, 10)};
      if (!rows.is_null(i, 11)) {
        summary.score = static_cast<int>(rows.integer(i, 11));
        summary.rating_comment = rows.text(i, 12);
      }
      rooms.push_back(std::move(summary));
    }
    return rooms;
  });
}

std::vector<std::string> PostgresChatStore::room_agents(const std::string& room_id) {
  return pool_->with([&](Connection& db) {
    const Rows rows =
        db.query("SELECT agent_id FROM room_agents WHERE room_id = $1 ORDER BY agent_id",
                 "list the agents of a room")
            .text(room_id)
            .run();
    std::vector<std::string> agents;
    for (int i = 0; i < rows.size(); ++i) agents.push_back(rows.text(i, 0));
    return agents;
  });
}

std::vector<RoomRecord> PostgresChatStore::rooms_of_conversation(
    const std::string& conversation_id) {
  return pool_->with([&](Connection& db) {
    return read_rooms(db.query(kSelectRoomsOfConversation, "list the rooms of a conversation")
                          .text(conversation_id)
                          .run());
  });
}

// Routing records

void PostgresChatStore::upsert_request(const RequestRecord& record) {
  pool_->with([&](Connection& db) {
    Transaction transaction(db);
    write_request(db, record);
    transaction.commit();
  });
}

bool PostgresChatStore::erase_request(const std::string& request_id) {
  return pool_->with([&](Connection& db) { return delete_request(db, request_id); });
}

std::vector<chat::AgentRecord> PostgresChatStore::load_agents() {
  return pool_->with([&](Connection& db) {
    const Rows rows = db.query(
                            "SELECT agent_id, agent_name, online, status FROM routing_agents "
                            "ORDER BY agent_id",
                            "read the agents")
                          .run();
    std::vector<chat::AgentRecord> agents;
    for (int i = 0; i < rows.size(); ++i) {
      agents.push_back(
          chat::AgentRecord{.agent = {.id = rows.text(i, 0), .display_name = rows.text(i, 1)},
                            .online = rows.boolean(i, 2),
                            .status = parse_column(kAgentStatuses, rows.text(i, 3),
                                                   "PostgreSQL chat store", "agent status")});
    }
    return agents;
  });
}

bool PostgresChatStore::has_open_request(const std::string& customer_id) {
  return pool_->with([&](Connection& db) {
    return !db.query("SELECT 1 FROM routing_requests WHERE customer_id = $1 LIMIT 1",
                     "look for a customer's open consult request")
                .text(customer_id)
                .run()
                .empty();
  });
}

std::vector<RequestRecord> PostgresChatStore::load_requests() {
  return pool_->with([&](Connection& db) {
    // One statement, so that the records and their rejections are one snapshot.
    const Rows rows = db.query(
                            "SELECT q.id, q.customer_id, q.customer_name, q.category, q.reason, "
                            "q.last_bot_message, q.requested_at, q.requeued_at, q.room_id, "
                            "q.agent_id, q.agent_name, q.mode, j.agent_id "
                            "FROM routing_requests q "
                            "LEFT JOIN routing_rejections j ON j.request_id = q.id "
                            "ORDER BY q.requested_at, q.id, j.agent_id",
                            "read the routing requests")
                          .run();
    std::vector<RequestRecord> records;
    for (int i = 0; i < rows.size(); ++i) {
      const std::string id = rows.text(i, 0);
      if (records.empty() || records.back().id != id) {
        RequestRecord record;
        record.id = id;
        record.customer = {.id = rows.text(i, 1), .display_name = rows.text(i, 2)};
        record.details = {.category = rows.text(i, 3),
                          .reason = rows.text(i, 4),
                          .last_bot_message = rows.text(i, 5)};
        record.requested_at = rows.integer(i, 6);
        record.requeued_at = optional_time(rows, i, 7);
        record.room_id = rows.text(i, 8);
        record.agent = {.id = rows.text(i, 9), .display_name = rows.text(i, 10)};
        record.mode = rows.text(i, 11) == chat::to_string(chat::AssignMode::kAuto)
                          ? chat::AssignMode::kAuto
                          : chat::AssignMode::kManual;
        records.push_back(std::move(record));
      }
      if (!rows.is_null(i, 12)) records.back().rejected_by.push_back(rows.text(i, 12));
    }
    return records;
  });
}

// Audit log

std::int64_t PostgresChatStore::append_audit(const Audit& audit) {
  return pool_->with([&](Connection& db) {
    Transaction transaction(db);
    const std::int64_t id = write_audit(db, audit);
    transaction.commit();
    return id;
  });
}

std::vector<AuditEntry> PostgresChatStore::query_audit(const AuditQuery& query) {
  if (query.limit == 0) return {};
  // Only the filters in use go into the SQL, so each variant can use its index; the parameters
  // are always the same six (unused ones are declared and ignored). The entries are picked first
  // (the limit counts entries), then joined with their candidates: one statement, one snapshot.
  std::string sql =
      "WITH picked AS (SELECT id, at, event, request_id, agent_id, from_agent_id, reason "
      "FROM audit_log WHERE at >= $1 AND at < $2";
  if (!query.request_id.empty()) sql += " AND request_id = $3";
  if (!query.agent_id.empty()) sql += " AND (agent_id = $4 OR from_agent_id = $4)";
  const std::string_view order = query.newest_first ? " DESC" : "";
  sql += query.newest_first ? " AND id < $5" : " AND id > $5";
  sql += " ORDER BY id";
  sql += order;
  sql +=
      " LIMIT $6) SELECT p.id, p.at, p.event, p.request_id, p.agent_id, p.from_agent_id, "
      "p.reason, c.agent_id, c.verdict, c.active_rooms FROM picked p "
      "LEFT JOIN audit_candidates c ON c.audit_id = p.id ORDER BY p.id";
  sql += order;
  sql += ", c.position";
  std::int64_t cursor = query.after_id;
  if (query.newest_first && cursor <= 0) cursor = std::numeric_limits<std::int64_t>::max();

  return pool_->with([&](Connection& db) {
    const Rows rows = db.query(sql, "query the audit log")
                          .integer(query.from)
                          .integer(query.to)
                          .text(query.request_id)
                          .text(query.agent_id)
                          .integer(cursor)
                          .integer(limit_value(query.limit))
                          .run();
    std::vector<AuditEntry> entries;
    for (int i = 0; i < rows.size(); ++i) {
      const std::int64_t id = rows.integer(i, 0);
      if (entries.empty() || entries.back().id != id) {
        AuditEntry entry;
        entry.id = id;
        entry.audit.at = rows.integer(i, 1);
        entry.audit.event =
            parse_column(kAuditEvents, rows.text(i, 2), "PostgreSQL chat store", "audit event");
        entry.audit.request_id = rows.text(i, 3);
        entry.audit.agent_id = rows.text(i, 4);
        entry.audit.from_agent_id = rows.text(i, 5);
        entry.audit.reason = rows.text(i, 6);
        entries.push_back(std::move(entry));
      }
      if (!rows.is_null(i, 8)) {
        entries.back().audit.candidates.push_back(AuditCandidate{
            .agent_id = rows.text(i, 7),
            .verdict = parse_column(kVerdicts, rows.text(i, 8), "PostgreSQL chat store",
                                    "audit candidate verdict"),
            .active_rooms = static_cast<int>(rows.integer(i, 9))});
      }
    }
    return entries;
  });
}

// Retention and erasure

namespace {

std::size_t affected(const Rows& rows) { return static_cast<std::size_t>(rows.affected()); }

// Removes `room_id` with all it holds, counting into `removed`.
void remove_room(Connection& db, const std::string& room_id, chat::RemovedCounts& removed) {
  removed.messages += affected(
      db.query("DELETE FROM messages WHERE stream_id = $1", "remove the messages of a room")
          .text(room_id)
          .run());
  removed.notes +=
      affected(db.query("DELETE FROM room_notes WHERE room_id = $1", "remove the notes of a room")
                   .text(room_id)
                   .run());
  removed.ratings +=
      affected(db.query("DELETE FROM ratings WHERE room_id = $1", "remove the rating of a room")
                   .text(room_id)
                   .run());
  removed.attachments +=
      affected(db.query("DELETE FROM attachments WHERE room_id = $1", "remove the files of a room")
                   .text(room_id)
                   .run());
  db.query("DELETE FROM room_agents WHERE room_id = $1", "remove the agents of a room")
      .text(room_id)
      .run();
  removed.rooms +=
      affected(db.query("DELETE FROM rooms WHERE id = $1", "remove a room").text(room_id).run());
  db.query("DELETE FROM streams WHERE id = $1", "remove the stream of a room").text(room_id).run();
}

}  // namespace

chat::RemovedCounts PostgresChatStore::purge_expired(const chat::RetentionCutoffs& cutoffs,
                                                     std::size_t limit) {
  return pool_->with([&](Connection& db) {
    chat::RemovedCounts removed;
    const auto batch = static_cast<std::int64_t>(limit);
    Transaction transaction(db);
    if (cutoffs.chats > 0) {
      // The batch's rooms are chosen once and locked; rooms another node's batch holds are
      // skipped, so nodes running the job at once share the work instead of colliding.
      const Rows rooms = db.query(
                               "SELECT id FROM rooms WHERE closed_at IS NOT NULL AND closed_at < "
                               "$1 ORDER BY closed_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
                               "choose the rooms past the retention cutoff")
                             .integer(cutoffs.chats)
                             .integer(batch)
                             .run();
      for (int i = 0; i < rooms.size(); ++i) remove_room(db, rooms.text(i, 0), removed);
      removed.messages += affected(
          db.query("DELETE FROM messages WHERE ctid IN (SELECT m.ctid FROM messages m JOIN "
                   "streams s ON s.id = m.stream_id WHERE s.kind = 'conversation' AND "
                   "m.created_at < $1 LIMIT $2)",
                   "remove bot messages past the retention cutoff")
              .integer(cutoffs.chats)
              .integer(batch)
              .run());
      removed.ratings +=
          affected(db.query("DELETE FROM bot_ratings WHERE message_id IN (SELECT message_id FROM "
                            "bot_ratings WHERE created_at < $1 ORDER BY created_at LIMIT $2)",
                            "remove ratings of bot answers past the retention cutoff")
                       .integer(cutoffs.chats)
                       .integer(batch)
                       .run());
      removed.left_messages += affected(
          db.query("DELETE FROM left_messages WHERE id IN (SELECT id FROM left_messages WHERE "
                   "created_at < $1 ORDER BY created_at, id LIMIT $2)",
                   "remove left messages past the retention cutoff")
              .integer(cutoffs.chats)
              .integer(batch)
              .run());
      removed.contexts += affected(
          db.query("DELETE FROM customer_context WHERE customer_id IN (SELECT customer_id FROM "
                   "customer_context WHERE updated_at < $1 LIMIT $2)",
                   "remove customers' context past the retention cutoff")
              .integer(cutoffs.chats)
              .integer(batch)
              .run());
    }
    if (cutoffs.attachments > 0) {
      removed.attachments +=
          affected(db.query("DELETE FROM attachments WHERE id IN (SELECT id FROM attachments WHERE "
                            "created_at < $1 ORDER BY created_at, id LIMIT $2)",
                            "remove files past the retention cutoff")
                       .integer(cutoffs.attachments)
                       .integer(batch)
                       .run());
    }
    if (cutoffs.audit > 0) {
      // The candidates go with their entries (ON DELETE CASCADE); affected() counts the entries.
      removed.audit_entries += affected(
          db.query("DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 "
                   "ORDER BY id LIMIT $2)",
                   "remove audit entries past the retention cutoff")
              .integer(cutoffs.audit)
              .integer(batch)
              .run());
    }
    transaction.commit();
    return removed;
  });
}

chat::ErasureResult PostgresChatStore::erase_customer(const std::string& customer_id) {
  return pool_->with([&](Connection& db) {
    chat::ErasureResult result;
    Transaction transaction(db);
    // The customer's conversation row is locked first: new rooms of theirs wait for this.
    const Rows conversation =
        db.query("SELECT id FROM conversations WHERE customer_id = $1 FOR UPDATE",
                 "lock a customer's conversation for an erasure")
            .text(customer_id)
            .run();
    const Rows open = db.query(
                            "SELECT EXISTS (SELECT 1 FROM routing_requests WHERE customer_id = "
                            "$1) OR EXISTS (SELECT 1 FROM rooms WHERE customer_id = $1 AND "
                            "closed_at IS NULL)",
                            "check for an open consult before an erasure")
                          .text(customer_id)
                          .run();
    if (open.boolean(0, 0)) {
      result.status = chat::ErasureStatus::kOpenConsult;
      return result;
    }
    chat::RemovedCounts& removed = result.removed;
    removed.audit_entries += affected(
        // Entries about their requests, and refusals sent to them (which name them as the
        // agent).
        db.query("DELETE FROM audit_log WHERE (request_id <> ''::bytea AND request_id IN (SELECT "
                 "request_id FROM rooms WHERE customer_id = $1)) OR agent_id = $1 OR "
                 "from_agent_id = $1",
                 "remove the audit entries about a customer")
            .text(customer_id)
            .run());
    const Rows rooms =
        db.query("SELECT id FROM rooms WHERE customer_id = $1", "find a customer's rooms")
            .text(customer_id)
            .run();
    for (int i = 0; i < rooms.size(); ++i) remove_room(db, rooms.text(i, 0), removed);
    if (!conversation.empty()) {
      const std::string id = conversation.text(0, 0);
      removed.messages += affected(
          db.query("DELETE FROM messages WHERE stream_id = $1", "remove a customer's bot messages")
              .text(id)
              .run());
      removed.conversations += affected(
          db.query("DELETE FROM conversations WHERE id = $1", "remove a customer's conversation")
              .text(id)
              .run());
      db.query("DELETE FROM streams WHERE id = $1", "remove a conversation's stream")
          .text(id)
          .run();
    }
    removed.ratings += affected(
        db.query("DELETE FROM ratings WHERE customer_id = $1", "remove a customer's ratings")
            .text(customer_id)
            .run());
    removed.ratings += affected(db.query("DELETE FROM bot_ratings WHERE customer_id = $1",
                                         "remove a customer's ratings of bot answers")
                                    .text(customer_id)
                                    .run());
    removed.left_messages += affected(db.query("DELETE FROM left_messages WHERE customer_id = $1",
                                               "remove a customer's left messages")
                                          .text(customer_id)
                                          .run());
    removed.contexts += affected(db.query("DELETE FROM customer_context WHERE customer_id = $1",
                                          "remove a customer's context")
                                     .text(customer_id)
                                     .run());
    transaction.commit();
    return result;
  });
}

// Customers' context

// Attachments

bool PostgresChatStore::add_attachment(const chat::AttachmentRecord& record,
                                       std::string_view bytes) {
  require_file_id(record.file.id);
  return pool_->with([&](Connection& db) {
    return db.query(
                 "INSERT INTO attachments (id, room_id, uploader_id, name, content_type, size, "
                 "sha256, created_at, content) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE "
                 "EXISTS (SELECT 1 FROM rooms WHERE id = $2 AND closed_at IS NULL) ON CONFLICT "
                 "DO NOTHING",
                 "store an attachment")
               .text(record.file.id)
               .text(record.room_id)
               .text(record.uploader_id)
               .text(record.file.name)
               .text(record.file.content_type)
               .integer(record.file.size)
               .text(record.sha256)
               .integer(record.created_at)
               .text(bytes)
               .run()
               .affected() == 1;
  });
}

std::optional<chat::AttachmentRecord> PostgresChatStore::find_attachment(const std::string& id) {
  return pool_->with([&](Connection& db) -> std::optional<chat::AttachmentRecord> {
    const Rows rows =
        db.query(
              "SELECT id, room_id, uploader_id, name, content_type, size, sha256, created_at FROM "
              "attachments WHERE id = $1",
              "find an attachment")
            .text(id)
            .run();
    if (rows.empty()) return std::nullopt;
    return chat::AttachmentRecord{.file = {.id = rows.text(0, 0),
                                           .name = rows.text(0, 3),
                                           .content_type = rows.text(0, 4),
                                           .size = rows.integer(0, 5)},
                                  .room_id = rows.text(0, 1),
                                  .uploader_id = rows.text(0, 2),
                                  .sha256 = rows.text(0, 6),
                                  .created_at = rows.integer(0, 7)};
  });
}

std::optional<std::string> PostgresChatStore::attachment_bytes(const std::string& id) {
  return pool_->with([&](Connection& db) -> std::optional<std::string> {
    const Rows rows =
        db.query("SELECT content FROM attachments WHERE id = $1", "read an attachment")
            .text(id)
            .run();
    if (rows.empty()) return std::nullopt;
    return rows.text(0, 0);
  });
}

void PostgresChatStore::set_customer_context(const chat::CustomerContext& context) {
  pool_->with([&](Connection& db) {
    db.query(
          "INSERT INTO customer_context (customer_id, page_url, page_title, referrer, lang, "
          "user_agent, member_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
          "ON CONFLICT (customer_id) DO UPDATE SET page_url = excluded.page_url, "
          "page_title = excluded.page_title, referrer = excluded.referrer, "
          "lang = excluded.lang, user_agent = excluded.user_agent, "
          "member_id = excluded.member_id, updated_at = excluded.updated_at",
          "store a customer's context")
        .text(context.customer_id)
        .text(context.page_url)
        .text(context.page_title)
        .text(context.referrer)
        .text(context.lang)
        .text(context.user_agent)
        .text(context.member_id)
        .integer(context.updated_at)
        .run();
  });
}

std::optional<chat::CustomerContext> PostgresChatStore::customer_context(
    const std::string& customer_id) {
  return pool_->with([&](Connection& db) -> std::optional<chat::CustomerContext> {
    const Rows rows = db.query(
                            "SELECT customer_id, page_url, page_title, referrer, lang, user_agent, "
                            "member_id, updated_at FROM customer_context WHERE customer_id = $1",
                            "read a customer's context")
                          .text(customer_id)
                          .run();
    if (rows.empty()) return std::nullopt;
    return chat::CustomerContext{.customer_id = rows.text(0, 0),
                                 .page_url = rows.text(0, 1),
                                 .page_title = rows.text(0, 2),
                                 .referrer = rows.text(0, 3),
                                 .lang = rows.text(0, 4),
                                 .user_agent = rows.text(0, 5),
                                 .member_id = rows.text(0, 6),
                                 .updated_at = rows.integer(0, 7)};
  });
}

// Notes

bool PostgresChatStore::add_note(const NoteRecord& note) {
  return pool_->with([&](Connection& db) {
    return db.query(
                 "INSERT INTO room_notes (id, room_id, kind, author_id, author_name, "
                 "to_agent_id, to_agent_name, text, created_at) "
                 "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 "
                 "WHERE EXISTS (SELECT 1 FROM rooms WHERE id = $2) ON CONFLICT DO NOTHING",
                 "store a note")
               .text(note.id)
               .text(note.room_id)
               .label(chat::to_string(note.kind))
               .text(note.author_id)
               .text(note.author_name)
               .text(note.to_agent_id)
               .text(note.to_agent_name)
               .text(note.text)
               .integer(note.created_at)
               .run()
               .affected() == 1;
  });
}

std::vector<NoteRecord> PostgresChatStore::room_notes(const std::string& room_id,
                                                      std::size_t limit) {
  if (limit == 0) return {};
  return pool_->with([&](Connection& db) {
    const Rows rows =
        db.query(
              "SELECT id, room_id, kind, author_id, author_name, to_agent_id, to_agent_name, "
              "text, created_at FROM room_notes WHERE room_id = $1 "
              "ORDER BY created_at, id LIMIT $2",
              "read the notes of a room")
            .text(room_id)
            .integer(limit_value(limit))
            .run();
    std::vector<NoteRecord> notes;
    for (int i = 0; i < rows.size(); ++i) {
      notes.push_back(
          NoteRecord{.id = rows.text(i, 0),
                     .room_id = rows.text(i, 1),
                     .kind = parse_column(kNoteKinds, rows.text(i, 2), "postgres", "note kind"),
                     .author_id = rows.text(i, 3),
                     .author_name = rows.text(i, 4),
                     .to_agent_id = rows.text(i, 5),
                     .to_agent_name = rows.text(i, 6),
                     .text = rows.text(i, 7),
                     .created_at = rows.integer(i, 8)});
    }
    return notes;
  });
}

// Left messages

bool PostgresChatStore::add_left_message(const LeftMessageRecord& message) {
  return pool_->with([&](Connection& db) {
    return db.query(
                 "INSERT INTO left_messages (id, customer_id, customer_name, conversation_id, "
                 "request_id, category, contact, text, created_at, handled_at, handled_by) "
                 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, '') ON CONFLICT DO NOTHING",
                 "store a left message")
               .text(message.id)
               .text(message.customer_id)
               .text(message.customer_name)
               .text(message.conversation_id)
               .text(message.request_id)
               .text(message.category)
               .text(message.contact)
               .text(message.text)
               .integer(message.created_at)
               .run()
               .affected() == 1;
  });
}

std::vector<LeftMessageRecord> PostgresChatStore::list_left_messages(bool include_handled,
                                                                     std::size_t limit) {
  if (limit == 0) return {};
  return pool_->with([&](Connection& db) {
    const Rows rows =
        db.query(include_handled ? kSelectAllLeft : kSelectOpenLeft, "list the left messages")
            .integer(limit_value(limit))
            .run();
    std::vector<LeftMessageRecord> messages;
    for (int i = 0; i < rows.size(); ++i) messages.push_back(read_left_message(rows, i));
    return messages;
  });
}

bool PostgresChatStore::handle_left_message(const std::string& id, const std::string& agent_id,
                                            Millis now) {
  return pool_->with([&](Connection& db) {
    // One statement: of two agents taking it at once, exactly one finds it still open.
    return db.query(
                 "UPDATE left_messages SET handled_at = $2, handled_by = $3 "
                 "WHERE id = $1 AND handled_at IS NULL",
                 "mark a left message handled")
               .text(id)
               .integer(now)
               .text(agent_id)
               .run()
               .affected() == 1;
  });
}

// Ratings

RatingOutcome PostgresChatStore::rate_room(const std::string& room_id,
                                           const std::string& customer_id, int score,
                                           const std::string& comment, Millis now) {
  if (score < chat::kMinScore || score > chat::kMaxScore) return RatingOutcome::kInvalidScore;
  return pool_->with([&](Connection& db) {
    // The rating takes the room's agent as the insert reads it; of two ratings at once exactly
    // one is inserted (ON CONFLICT on the room).
    const Rows room = db.query("SELECT customer_id, agent_id FROM rooms WHERE id = $1",
                               "find the room of a rating")
                          .text(room_id)
                          .run();
    // Someone else's room is answered like a missing one: it says nothing about other customers.
    if (room.empty() || room.text(0, 0) != customer_id) return RatingOutcome::kUnknownRoom;
    const bool stored =
        db.query(
              "INSERT INTO ratings (room_id, customer_id, agent_id, score, comment, created_at) "
              "SELECT id, customer_id, agent_id, $3, $4, $5 FROM rooms "
              "WHERE id = $1 AND customer_id = $2 ON CONFLICT (room_id) DO NOTHING",
              "store a rating")
            .text(room_id)
            .text(customer_id)
            .integer(score)
            .text(comment)
            .integer(now)
            .run()
            .affected() == 1;
    return stored ? RatingOutcome::kStored : RatingOutcome::kAlreadyRated;
  });
}

RatingSummary PostgresChatStore::rating_summary(Millis since) {
  return summarize_ratings("ratings", since);
}

RatingOutcome PostgresChatStore::rate_bot_answer(const std::string& message_id,
                                                 const std::string& customer_id, int score,
                                                 const std::string& comment, Millis now) {
  if (score < chat::kMinScore || score > chat::kMaxScore) return RatingOutcome::kInvalidScore;
  return pool_->with([&](Connection& db) {
    // Only a bot answer in the customer's own conversation; of two ratings at once exactly one
    // is inserted (ON CONFLICT on the answer).
    const Rows answer =
        db.query(
              "SELECT m.stream_id FROM messages m JOIN conversations c ON c.id = m.stream_id "
              "WHERE m.message_id = $1 AND m.sender_role = 'BOT' AND c.customer_id = $2",
              "find the bot answer of a rating")
            .text(message_id)
            .text(customer_id)
            .run();
    if (answer.empty()) return RatingOutcome::kUnknownRoom;
    const bool stored =
        db.query(
              "INSERT INTO bot_ratings (message_id, conversation_id, customer_id, score, "
              "comment, created_at) VALUES ($1, $2, $3, $4, $5, $6) "
              "ON CONFLICT (message_id) DO NOTHING",
              "store a rating of a bot answer")
            .text(message_id)
            .text(answer.text(0, 0))
            .text(customer_id)
            .integer(score)
            .text(comment)
            .integer(now)
            .run()
            .affected() == 1;
    return stored ? RatingOutcome::kStored : RatingOutcome::kAlreadyRated;
  });
}

RatingSummary PostgresChatStore::bot_rating_summary(Millis since) {
  return summarize_ratings("bot_ratings", since);
}

RatingSummary PostgresChatStore::summarize_ratings(std::string_view table, Millis since) {
  return pool_->with([&](Connection& db) {
    const Rows rows = db.query("SELECT count(*), coalesce(avg(score), 0)::double precision FROM " +
                                   std::string(table) + " WHERE created_at >= $1",
                               "summarize the ratings")
                          .integer(since)
                          .run();
    return RatingSummary{.count = rows.integer(0, 0), .average = rows.real(0, 1)};
  });
}

std::optional<RatingRecord> PostgresChatStore::find_rating(const std::string& room_id) {
  return pool_->with([&](Connection& db) -> std::optional<RatingRecord> {
    const Rows rows = db.query(
                            "SELECT room_id, customer_id, agent_id, score, comment, created_at "
                            "FROM ratings WHERE room_id = $1",
                            "find the rating of a room")
                          .text(room_id)
                          .run();
    if (rows.empty()) return std::nullopt;
    return RatingRecord{.room_id = rows.text(0, 0),
                        .customer_id = rows.text(0, 1),
                        .agent_id = rows.text(0, 2),
                        .score = static_cast<int>(rows.integer(0, 3)),
                        .comment = rows.text(0, 4),
                        .created_at = rows.integer(0, 5)};
  });
}

// Canned responses

std::vector<CannedResponse> PostgresChatStore::canned_responses(const std::string& agent_id) {
  return pool_->with([&](Connection& db) {
    const Rows rows = db.query(
                            "SELECT id, shortcut, text FROM canned_responses WHERE agent_id = $1 "
                            "ORDER BY position",
                            "read the canned responses of an agent")
                          .text(agent_id)
                          .run();
    std::vector<CannedResponse> responses;
    for (int i = 0; i < rows.size(); ++i) {
      responses.push_back(CannedResponse{
          .id = rows.text(i, 0), .shortcut = rows.text(i, 1), .text = rows.text(i, 2)});
    }
    return responses;
  });
}

void PostgresChatStore::replace_canned_responses(const std::string& agent_id,
                                                 const std::vector<CannedResponse>& responses) {
  pool_->with([&](Connection& db) {
    // One transaction: a reader sees the old list or the new one, and a refused entry (a repeated
    // shortcut or a taken id throws) rolls the whole replacement back.
    Transaction transaction(db);
    db.query("DELETE FROM canned_responses WHERE agent_id = $1",
             "clear the canned responses of an agent")
        .text(agent_id)
        .run();
    std::int64_t position = 0;
    for (const CannedResponse& response : responses) {
      db.query(
            "INSERT INTO canned_responses (agent_id, position, id, shortcut, text) "
            "VALUES ($1, $2, $3, $4, $5)",
            "store a canned response")
          .text(agent_id)
          .integer(position++)
          .text(response.id)
          .text(response.shortcut)
          .text(response.text)
          .run();
    }
    transaction.commit();
  });
}

void PostgresChatStore::ping() {
  pool_->with([](Connection& db) {
    db.query("SELECT count(*) FROM (SELECT 1 FROM messages LIMIT 1) AS one", "ping the store")
        .run();
  });
}

// Routing authority

std::optional<chat::AuthorityGrant> PostgresChatStore::claim_routing_authority(
    const std::string& node_id, Millis now, Millis lease) {
  return lease_pool_->with([&](Connection& db) -> std::optional<chat::AuthorityGrant> {
    Transaction transaction(db);
    // The row exists from here on; FOR UPDATE makes claims take turns, and waits for decisions
    // in flight (they hold it FOR SHARE) to commit under the epoch they checked.
    db.query(
          "INSERT INTO routing_authority (id, holder, epoch, lease_until) VALUES (1, $1, 0, 0) "
          "ON CONFLICT (id) DO NOTHING",
          "create the routing authority")
        .text(node_id)
        .run();
    const Rows row = db.query(
                           "SELECT holder, epoch, lease_until FROM routing_authority WHERE id = 1 "
                           "FOR UPDATE",
                           "read the routing authority")
                         .run();
    const std::string holder = row.text(0, 0);
    const std::int64_t epoch = row.integer(0, 1);
    const Millis lease_until = row.integer(0, 2);
    chat::AuthorityGrant grant{.epoch = epoch, .lease_until = now + lease};
    if (epoch == 0) {
      grant.epoch = 1;  // the first claim ever
    } else if (holder != node_id) {
      if (lease_until > now) return std::nullopt;
      grant.epoch = epoch + 1;
    }
    db.query("UPDATE routing_authority SET holder = $1, epoch = $2, lease_until = $3 WHERE id = 1",
             "claim the routing authority")
        .text(node_id)
        .integer(grant.epoch)
        .integer(grant.lease_until)
        .run();
    transaction.commit();
    return grant;
  });
}

bool PostgresChatStore::release_routing_authority(const std::string& node_id, std::int64_t epoch) {
  return lease_pool_->with([&](Connection& db) {
    // The epoch stays (so the next claim, its own included, counts a new one); the holder goes.
    return db.query(
                 "UPDATE routing_authority SET lease_until = 0, holder = '' "
                 "WHERE id = 1 AND holder = $1 AND epoch = $2",
                 "release the routing authority")
               .text(node_id)
               .integer(epoch)
               .run()
               .affected() == 1;
  });
}

bool PostgresChatStore::apply_routing_writes(std::int64_t epoch,
                                             const std::vector<chat::RoutingWrite>& writes) {
  return pool_->with([&](Connection& db) {
    Transaction transaction(db);
    // FOR SHARE: a claim (FOR UPDATE) waits until this decision committed, and a decision that
    // starts after a claim committed reads the new epoch and is refused.
    const Rows row = db.query("SELECT epoch FROM routing_authority WHERE id = 1 FOR SHARE",
                              "check the routing authority's epoch")
                         .run();
    if (row.empty() || row.integer(0, 0) != epoch) return false;
    for (const chat::RoutingWrite& write : writes) {
      std::visit(
          [&](const auto& w) {
            using W = std::decay_t<decltype(w)>;
            if constexpr (std::is_same_v<W, chat::StoreUpsert>) {
              write_request(db, w.record);
            } else if constexpr (std::is_same_v<W, chat::StoreErase>) {
              delete_request(db, w.request_id);
            } else if constexpr (std::is_same_v<W, chat::Audit>) {
              write_audit(db, w);
            } else if constexpr (std::is_same_v<W, chat::RoomAssignment>) {
              // An existing room gets its new agent (a closed one stays as it is); a new one is
              // created, and one that cannot be is a bug worth an error (and a rollback).
              if (!update_room_agent(db, w.room.id, w.room.agent_id) &&
                  !room_exists(db, w.room.id) && !insert_room(db, w.room)) {
                throw std::runtime_error("PostgreSQL chat store: room " + w.room.id +
                                         " can be neither created nor assigned");
              }
            } else if constexpr (std::is_same_v<W, chat::RoomUnassignment>) {
              update_room_agent(db, w.room_id, "");
            } else if constexpr (std::is_same_v<W, chat::StoreAgent>) {
              write_agent(db, w.record);
            }
          },
          write);
    }
    transaction.commit();
    return true;
  });
}

}  // namespace aicc::store::postgres
