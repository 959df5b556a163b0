#include "store/sqlite/sqlite_chat_store.hpp"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <limits>
#include <stdexcept>
#include <utility>

#include "store/columns.hpp"

namespace aicc::store::sqlite {
namespace {

// The WAL is checkpointed (on a thread of its own) once this many pages are in it: 16 MiB.
constexpr int kCheckpointPages = 4000;

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
// TEXT PRIMARY KEY columns are NOT NULL explicitly, because SQLite would otherwise accept NULL in
// them. Times are unix milliseconds; "none" is '' for strings and NULL for times.
constexpr std::array kChatMigrations = {
    Migration{1,
              "conversations, messages, rooms, routing records, audit log, left messages, ratings",
              R"sql(
CREATE TABLE streams (
  id   TEXT NOT NULL PRIMARY KEY,  -- a conversation id or a room id: one id space for both
  kind TEXT NOT NULL CHECK (kind IN ('conversation', 'room'))
) STRICT;

CREATE TABLE conversations (
  id          TEXT NOT NULL PRIMARY KEY REFERENCES streams (id),
  customer_id TEXT NOT NULL UNIQUE,  -- one conversation per customer
  created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE rooms (
  id              TEXT NOT NULL PRIMARY KEY REFERENCES streams (id),
  conversation_id TEXT NOT NULL REFERENCES conversations (id),
  request_id      TEXT NOT NULL,
  customer_id     TEXT NOT NULL,
  agent_id        TEXT NOT NULL,  -- '' while it waits in the queue again
  created_at      INTEGER NOT NULL,
  closed_at       INTEGER,        -- NULL while open
  closed_by       TEXT NOT NULL   -- '' for the server, or while open
) STRICT;
CREATE INDEX rooms_conversation ON rooms (conversation_id, created_at, id);
CREATE INDEX rooms_open ON rooms (created_at, id) WHERE closed_at IS NULL;

CREATE TABLE messages (
  stream_id         TEXT NOT NULL REFERENCES streams (id),
  seq               INTEGER NOT NULL CHECK (seq >= 1),  -- 1, 2, 3, ... per stream, no gaps
  message_id        TEXT NOT NULL UNIQUE,
  client_message_id TEXT NOT NULL,  -- '' when the sender gave none
  sender_id         TEXT NOT NULL,
  sender_role       TEXT NOT NULL CHECK (sender_role IN ('CUSTOMER', 'AGENT', 'BOT', 'SYSTEM')),
  text              TEXT NOT NULL,
  created_at        INTEGER NOT NULL,
  reply_to          TEXT NOT NULL,  -- message_id of the customer message a bot answer answers
  PRIMARY KEY (stream_id, seq)
) STRICT;
-- A retry of the same sender is found, not stored again.
CREATE UNIQUE INDEX messages_client_id ON messages (stream_id, sender_id, client_message_id)
  WHERE client_message_id <> '';
-- One answer per customer message, even when the bot both replies and calls the webhook.
CREATE UNIQUE INDEX messages_reply_to ON messages (reply_to) WHERE reply_to <> '';

CREATE TABLE routing_requests (
  id               TEXT NOT NULL PRIMARY KEY,
  customer_id      TEXT NOT NULL,
  customer_name    TEXT NOT NULL,
  category         TEXT NOT NULL,
  reason           TEXT NOT NULL,
  last_bot_message TEXT NOT NULL,
  requested_at     INTEGER NOT NULL,
  requeued_at      INTEGER,        -- NULL unless waiting after a requeue
  room_id          TEXT NOT NULL,  -- '' until first assigned
  agent_id         TEXT NOT NULL,  -- '' while waiting
  agent_name       TEXT NOT NULL,
  mode             TEXT NOT NULL CHECK (mode IN ('manual', 'auto'))
) STRICT;
CREATE TABLE routing_rejections (
  request_id TEXT NOT NULL REFERENCES routing_requests (id) ON DELETE CASCADE,
  agent_id   TEXT NOT NULL,
  PRIMARY KEY (request_id, agent_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_log (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: paging cursors stay valid
  at            INTEGER NOT NULL,
  event         TEXT NOT NULL,  -- chat::to_string(AuditEvent)
  request_id    TEXT NOT NULL,
  agent_id      TEXT NOT NULL,
  from_agent_id TEXT NOT NULL,
  reason        TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_request ON audit_log (request_id);
CREATE INDEX audit_log_agent ON audit_log (agent_id);
CREATE INDEX audit_log_from_agent ON audit_log (from_agent_id);
CREATE TABLE audit_candidates (
  audit_id     INTEGER NOT NULL REFERENCES audit_log (id) ON DELETE CASCADE,
  position     INTEGER NOT NULL,  -- 0, 1, 2, ... as the engine listed them
  agent_id     TEXT NOT NULL,
  verdict      TEXT NOT NULL,     -- chat::to_string(CandidateVerdict)
  active_rooms INTEGER NOT NULL,
  PRIMARY KEY (audit_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE left_messages (
  id              TEXT NOT NULL PRIMARY KEY,
  customer_id     TEXT NOT NULL,
  customer_name   TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  request_id      TEXT NOT NULL,
  category        TEXT NOT NULL,
  contact         TEXT NOT NULL,
  text            TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  handled_at      INTEGER,        -- NULL while open
  handled_by      TEXT NOT NULL   -- '' while open
) STRICT;
CREATE INDEX left_messages_all ON left_messages (created_at, id);
CREATE INDEX left_messages_open ON left_messages (created_at, id) WHERE handled_at IS NULL;

CREATE TABLE ratings (
  room_id     TEXT NOT NULL PRIMARY KEY REFERENCES rooms (id),  -- once per room
  customer_id TEXT NOT NULL,
  agent_id    TEXT NOT NULL,
  score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment     TEXT NOT NULL,
  created_at  INTEGER NOT NULL
) STRICT;
)sql"},
    Migration{2, "canned responses of agents", R"sql(
CREATE TABLE canned_responses (
  agent_id TEXT NOT NULL,
  position INTEGER NOT NULL,  -- 0, 1, 2, ... in the order the agent saved them
  id       TEXT NOT NULL UNIQUE,
  shortcut TEXT NOT NULL,
  text     TEXT NOT NULL,
  PRIMARY KEY (agent_id, position),
  UNIQUE (agent_id, shortcut)
) STRICT, WITHOUT ROWID;
)sql"},
    Migration{3, "the routing authority's lease and epoch", R"sql(
CREATE TABLE routing_authority (
  id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),  -- one row: the authority
  holder      TEXT NOT NULL,     -- node id
  epoch       INTEGER NOT NULL,  -- one more at each change of holder
  lease_until INTEGER NOT NULL   -- unix ms
) STRICT;
)sql"},
    Migration{4, "agents: logged in or not, and the status they chose", R"sql(
CREATE TABLE routing_agents (
  agent_id   TEXT NOT NULL PRIMARY KEY,
  agent_name TEXT NOT NULL,
  online     INTEGER NOT NULL,  -- 1: logged in
  status     TEXT NOT NULL      -- available, away
) STRICT, WITHOUT ROWID;
)sql"},
    Migration{5, "consult requests found by customer (the bot is silent while one is open)", R"sql(
CREATE INDEX routing_requests_by_customer ON routing_requests (customer_id);
)sql"},
    Migration{6, "each message keeps its sender's display name; private notes of rooms", R"sql(
ALTER TABLE messages ADD COLUMN sender_name TEXT NOT NULL DEFAULT '';

CREATE TABLE room_notes (
  id            TEXT NOT NULL PRIMARY KEY,
  room_id       TEXT NOT NULL REFERENCES rooms (id),
  kind          TEXT NOT NULL CHECK (kind IN ('note', 'transfer')),
  author_id     TEXT NOT NULL,
  author_name   TEXT NOT NULL,
  to_agent_id   TEXT NOT NULL,  -- transfers: '' for back to the queue
  to_agent_name TEXT NOT NULL,
  text          TEXT NOT NULL,
  created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX room_notes_room ON room_notes (room_id, created_at, id);
)sql"},
    Migration{7, "where each customer is: page, referrer, language, browser", R"sql(
CREATE TABLE customer_context (
  customer_id TEXT NOT NULL PRIMARY KEY,
  page_url    TEXT NOT NULL,
  page_title  TEXT NOT NULL,
  referrer    TEXT NOT NULL,
  lang        TEXT NOT NULL,
  user_agent  TEXT NOT NULL,
  member_id   TEXT NOT NULL,  -- '' for a guest
  updated_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
)sql"},
    Migration{8, "the history: rooms keep their category and customer name; room messages indexed",
              R"sql(
ALTER TABLE rooms ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE rooms ADD COLUMN customer_name TEXT NOT NULL DEFAULT '';
CREATE INDEX rooms_created ON rooms (created_at, id);
CREATE INDEX rooms_agent ON rooms (agent_id, created_at);
CREATE INDEX rooms_customer ON rooms (customer_id, created_at);
CREATE INDEX room_notes_transfers ON room_notes (author_id, room_id) WHERE kind = 'transfer';

-- The text of the rooms' messages (not the bot part), for the history search. Trigrams find any
-- part of a word, which Korean needs (a word carries its particles: "환불을", "환불은"); words
-- shorter than three characters are looked for without the index. Messages are never changed or
-- deleted, so an insert trigger keeps it whole.
CREATE VIRTUAL TABLE room_message_text USING fts5 (
  text, content = 'messages', content_rowid = 'rowid', tokenize = 'trigram'
);
INSERT INTO room_message_text (rowid, text)
  SELECT m.rowid, m.text FROM messages m JOIN streams s ON s.id = m.stream_id
  WHERE s.kind = 'room';
CREATE TRIGGER room_message_text_insert AFTER INSERT ON messages
  WHEN (SELECT kind FROM streams WHERE id = NEW.stream_id) = 'room'
BEGIN
  INSERT INTO room_message_text (rowid, text) VALUES (NEW.rowid, NEW.text);
END;
)sql"},
    Migration{9, "attachments: files uploaded into rooms, carried by their messages", R"sql(
-- The bytes are files in the attachments folder, named by id; this is what they are.
CREATE TABLE attachments (
  id           TEXT NOT NULL PRIMARY KEY,
  room_id      TEXT NOT NULL REFERENCES rooms (id),
  uploader_id  TEXT NOT NULL,
  name         TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size         INTEGER NOT NULL CHECK (size >= 0),
  sha256       TEXT NOT NULL,
  created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX attachments_room ON attachments (room_id, created_at);
-- chat::encode_attachments() of the files a message carries; '' for none.
ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '';
)sql"},
    Migration{10, "every agent who had a room; the word index keyed by stream", R"sql(
-- Every agent a room was ever assigned to (first assignment, transfers, a requeue's next agent),
-- kept by triggers whatever writes the room: the history's agent filter and who may read a room.
CREATE TABLE room_agents (
  room_id  TEXT NOT NULL REFERENCES rooms (id),
  agent_id TEXT NOT NULL,
  PRIMARY KEY (room_id, agent_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX room_agents_agent ON room_agents (agent_id, room_id);
INSERT OR IGNORE INTO room_agents (room_id, agent_id)
  SELECT id, agent_id FROM rooms WHERE agent_id <> '';
INSERT OR IGNORE INTO room_agents (room_id, agent_id)
  SELECT room_id, author_id FROM room_notes WHERE kind = 'transfer' AND author_id <> '';
INSERT OR IGNORE INTO room_agents (room_id, agent_id)
  SELECT room_id, to_agent_id FROM room_notes WHERE kind = 'transfer' AND to_agent_id <> '';
CREATE TRIGGER rooms_agent_insert AFTER INSERT ON rooms WHEN NEW.agent_id <> ''
BEGIN
  INSERT OR IGNORE INTO room_agents (room_id, agent_id) VALUES (NEW.id, NEW.agent_id);
END;
CREATE TRIGGER rooms_agent_update AFTER UPDATE OF agent_id ON rooms WHEN NEW.agent_id <> ''
BEGIN
  INSERT OR IGNORE INTO room_agents (room_id, agent_id) VALUES (NEW.id, NEW.agent_id);
END;

-- The word index of migration 8 followed the messages' implicit rowids, which VACUUM may
-- renumber: this one keeps each text with its stream instead.
DROP TRIGGER room_message_text_insert;
DROP TABLE room_message_text;
CREATE VIRTUAL TABLE room_text USING fts5 (text, stream_id UNINDEXED, tokenize = 'trigram');
INSERT INTO room_text (text, stream_id)
  SELECT m.text, m.stream_id FROM messages m JOIN streams s ON s.id = m.stream_id
  WHERE s.kind = 'room';
CREATE TRIGGER room_text_insert AFTER INSERT ON messages
  WHEN (SELECT kind FROM streams WHERE id = NEW.stream_id) = 'room'
BEGIN
  INSERT INTO room_text (text, stream_id) VALUES (NEW.text, NEW.stream_id);
END;
)sql"},
    Migration{11, "retention: seq goes on after old messages are deleted; files still to delete",
              R"sql(
-- The highest seq retention removed from the stream: the next message follows it even when no
-- message is left, so a client resuming after a seq it saw misses nothing.
ALTER TABLE streams ADD COLUMN purged_seq INTEGER NOT NULL DEFAULT 0;
-- Attachment files whose rows are deleted (retention, erasure) and whose file is still to go:
-- written in the deleting transaction, cleared as each file is removed, retried until then.
CREATE TABLE pending_file_removals (id TEXT NOT NULL PRIMARY KEY) STRICT;
)sql"},
    Migration{12, "room messages indexed by the store, one statement per transaction", R"sql(
-- FTS5 writes its pending terms out as a new segment at every statement savepoint, and with the
-- trigger every later statement of a transaction made one: a group commit of many messages wrote
-- as many segments. The store now indexes a transaction's room messages in one statement, last.
DROP TRIGGER room_text_insert;
)sql"},
    Migration{13, "customers' ratings of the bot's answers", R"sql(
CREATE TABLE bot_ratings (
  message_id      TEXT NOT NULL PRIMARY KEY,  -- the bot's answer, rated once
  conversation_id TEXT NOT NULL,
  customer_id     TEXT NOT NULL,
  score           INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment         TEXT NOT NULL,
  created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX bot_ratings_by_time ON bot_ratings (created_at);
CREATE INDEX bot_ratings_by_customer ON bot_ratings (customer_id);
)sql"},
};

// read_message() reads the columns in this order. The `<> ''` terms let SQLite use the partial
// unique indexes.
constexpr std::string_view kSelectByClientId =
    "SELECT stream_id, seq, message_id, client_message_id, sender_id, sender_role, text, "
    "created_at, reply_to, sender_name, attachments FROM messages WHERE stream_id = ?1 AND "
    "sender_id = ?2 "
    "AND client_message_id = ?3 AND client_message_id <> ''";
constexpr std::string_view kSelectAnswer =
    "SELECT stream_id, seq, message_id, client_message_id, sender_id, sender_role, text, "
    "created_at, reply_to, sender_name, attachments FROM messages WHERE reply_to = ?1 AND reply_to "
    "<> ''";
constexpr std::string_view kSelectAfter =
    "SELECT stream_id, seq, message_id, client_message_id, sender_id, sender_role, text, "
    "created_at, reply_to, sender_name, attachments FROM messages WHERE stream_id = ?1 AND seq > "
    "?2 ORDER BY "
    "seq LIMIT ?3";

constexpr std::string_view kLastSeq =
    "SELECT max(coalesce((SELECT max(seq) FROM messages WHERE stream_id = ?1), 0), "
    "coalesce((SELECT purged_seq FROM streams WHERE id = ?1), 0))";

// read_conversation() reads the columns in this order.
constexpr std::string_view kSelectConversationById =
    "SELECT id, customer_id, created_at FROM conversations WHERE id = ?1";
constexpr std::string_view kSelectConversationByCustomer =
    "SELECT id, customer_id, created_at FROM conversations WHERE customer_id = ?1";

// read_room() reads the columns in this order.
constexpr std::string_view kSelectRoom =
    "SELECT id, conversation_id, request_id, customer_id, agent_id, created_at, closed_at, "
    "closed_by, category, customer_name FROM rooms WHERE id = ?1";
constexpr std::string_view kSelectOpenRooms =
    "SELECT id, conversation_id, request_id, customer_id, agent_id, created_at, closed_at, "
    "closed_by, category, customer_name FROM rooms WHERE closed_at IS NULL ORDER BY created_at, id";
constexpr std::string_view kSelectRoomsOfConversation =
    "SELECT id, conversation_id, request_id, customer_id, agent_id, created_at, closed_at, "
    "closed_by, category, customer_name FROM rooms WHERE conversation_id = ?1 ORDER BY created_at, "
    "id";

// read_left_message() reads the columns in this order.
constexpr std::string_view kSelectOpenLeft =
    "SELECT id, customer_id, customer_name, conversation_id, request_id, category, contact, "
    "text, created_at, handled_at, handled_by FROM left_messages WHERE handled_at IS NULL "
    "ORDER BY created_at, id LIMIT ?1";
constexpr std::string_view kSelectAllLeft =
    "SELECT id, customer_id, customer_name, conversation_id, request_id, category, contact, "
    "text, created_at, handled_at, handled_by FROM left_messages ORDER BY created_at, id "
    "LIMIT ?1";

constexpr std::string_view kind_text(StreamKind kind) {
  return kind == StreamKind::kRoom ? "room" : "conversation";
}

MessageRecord read_message(const Statement& row) {
  MessageRecord message;
  message.stream_id = row.column_text(0);
  message.seq = row.column_int(1);
  message.message_id = row.column_text(2);
  message.client_message_id = row.column_text(3);
  message.sender_id = row.column_text(4);
  const std::string role = row.column_text(5);
  const auto parsed = chat::parse_sender_role(role);
  if (!parsed) {
    throw std::runtime_error("messages row " + message.message_id +
                             " has an unknown sender role: " + role);
  }
  message.sender_role = *parsed;
  message.text = row.column_text(6);
  message.created_at = row.column_int(7);
  message.reply_to = row.column_text(8);
  message.sender_name = row.column_text(9);
  message.attachments = chat::decode_attachments(row.column_text(10));
  return message;
}

ConversationRecord read_conversation(const Statement& row) {
  return ConversationRecord{
      .id = row.column_text(0), .customer_id = row.column_text(1), .created_at = row.column_int(2)};
}

std::optional<Millis> optional_time(const Statement& row, int index) {
  if (row.column_is_null(index)) return std::nullopt;
  return row.column_int(index);
}

void bind_optional_time(Statement& statement, int index, const std::optional<Millis>& time) {
  if (time) {
    statement.bind_int(index, *time);
  } else {
    statement.bind_null(index);
  }
}

RoomRecord read_room(const Statement& row) {
  return RoomRecord{.id = row.column_text(0),
                    .conversation_id = row.column_text(1),
                    .request_id = row.column_text(2),
                    .customer_id = row.column_text(3),
                    .agent_id = row.column_text(4),
                    .created_at = row.column_int(5),
                    .closed_at = optional_time(row, 6),
                    .closed_by = row.column_text(7),
                    .category = row.column_text(8),
                    .customer_name = row.column_text(9)};
}

LeftMessageRecord read_left_message(const Statement& row) {
  return LeftMessageRecord{.id = row.column_text(0),
                           .customer_id = row.column_text(1),
                           .customer_name = row.column_text(2),
                           .conversation_id = row.column_text(3),
                           .request_id = row.column_text(4),
                           .category = row.column_text(5),
                           .contact = row.column_text(6),
                           .text = row.column_text(7),
                           .created_at = row.column_int(8),
                           .handled_at = optional_time(row, 9),
                           .handled_by = row.column_text(10)};
}

std::vector<RoomRecord> read_rooms(Statement& select) {
  std::vector<RoomRecord> rooms;
  while (select.step()) rooms.push_back(read_room(select));
  return rooms;
}

}  // namespace

SqliteChatStore::SqliteChatStore(const std::string& path, const std::string& attachments_dir)
    : db_(path),
      attachments_(attachments_dir.empty() ? AttachmentFolder::beside(path)
                                           : std::filesystem::path(attachments_dir)) {
  db_.migrate(kChatComponent, kChatMigrations);
  // Room messages commit on the thread that routes: their commits must not stop to checkpoint.
  db_.checkpoint_in_background(kCheckpointPages);
}

int SqliteChatStore::latest_schema_version() { return static_cast<int>(kChatMigrations.size()); }

int SqliteChatStore::schema_version() {
  std::lock_guard lock(mutex_);
  return db_.schema_version(kChatComponent);
}

// Conversations

ConversationRecord SqliteChatStore::get_or_create_conversation(const std::string& customer_id,
                                                               const std::string& new_id,
                                                               Millis now) {
  std::lock_guard lock(mutex_);
  // Nearly every call finds the conversation: look without taking the write lock first.
  {
    auto select = db_.prepare(kSelectConversationByCustomer, "find a customer's conversation");
    select.bind_text(1, customer_id);
    if (select.step()) return read_conversation(select);
  }
  Transaction transaction(db_);
  // Again under the write lock: another process may have created it meanwhile.
  {
    auto select = db_.prepare(kSelectConversationByCustomer, "find a customer's conversation");
    select.bind_text(1, customer_id);
    if (select.step()) return read_conversation(select);
  }
  // A taken id fails here on the primary key: ids are random, so that is a bug worth an error.
  db_.prepare("INSERT INTO streams (id, kind) VALUES (?1, 'conversation')",
              "create a conversation stream")
      .bind_text(1, new_id)
      .run();
  db_.prepare("INSERT INTO conversations (id, customer_id, created_at) VALUES (?1, ?2, ?3)",
              "create a conversation")
      .bind_text(1, new_id)
      .bind_text(2, customer_id)
      .bind_int(3, now)
      .run();
  transaction.commit();
  return ConversationRecord{.id = new_id, .customer_id = customer_id, .created_at = now};
}

std::optional<ConversationRecord> SqliteChatStore::find_conversation(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(kSelectConversationById, "find a conversation");
  select.bind_text(1, id);
  if (!select.step()) return std::nullopt;
  return read_conversation(select);
}

std::optional<ConversationRecord> SqliteChatStore::conversation_of_customer(
    const std::string& customer_id) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(kSelectConversationByCustomer, "find a customer's conversation");
  select.bind_text(1, customer_id);
  if (!select.step()) return std::nullopt;
  return read_conversation(select);
}

std::optional<StreamInfo> SqliteChatStore::find_stream(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(
      "SELECT s.kind, coalesce(c.customer_id, r.customer_id, ''), "
      "coalesce(c.id, r.conversation_id, ''), coalesce(r.agent_id, ''), "
      "r.closed_at IS NOT NULL, "
      "max(s.purged_seq, (SELECT coalesce(max(m.seq), 0) FROM messages m WHERE m.stream_id = "
      "s.id)) "
      "FROM streams s LEFT JOIN conversations c ON c.id = s.id LEFT JOIN rooms r ON r.id = s.id "
      "WHERE s.id = ?1",
      "find a stream");
  select.bind_text(1, id);
  if (!select.step()) return std::nullopt;
  return StreamInfo{.id = id,
                    .kind = select.column_text(0) == kind_text(StreamKind::kRoom)
                                ? StreamKind::kRoom
                                : StreamKind::kConversation,
                    .customer_id = select.column_text(1),
                    .conversation_id = select.column_text(2),
                    .agent_id = select.column_text(3),
                    .closed = select.column_bool(4),
                    .last_seq = select.column_int(5)};
}

// Messages

std::optional<MessageRecord> SqliteChatStore::find_message_by_client_id(
    const MessageRecord& message) {
  if (message.client_message_id.empty()) return std::nullopt;
  auto select = db_.prepare(kSelectByClientId, "look for a repeated client message id");
  select.bind_text(1, message.stream_id)
      .bind_text(2, message.sender_id)
      .bind_text(3, message.client_message_id);
  if (!select.step()) return std::nullopt;
  return read_message(select);
}

std::optional<MessageRecord> SqliteChatStore::find_answer(const std::string& reply_to) {
  if (reply_to.empty()) return std::nullopt;
  auto select = db_.prepare(kSelectAnswer, "look for an answer to a message");
  select.bind_text(1, reply_to);
  if (!select.step()) return std::nullopt;
  return read_message(select);
}

AppendResult SqliteChatStore::append_message(const MessageRecord& message) {
  std::lock_guard lock(mutex_);
  // IMMEDIATE: the write lock is held from the first read on, so the seq read below is still the
  // last one when the row goes in, whichever thread or process appends at the same time.
  Transaction transaction(db_);
  unindexed_texts_.clear();
  AppendResult result = append_in_transaction(message);
  if (result.status == AppendStatus::kStored) {
    index_room_texts();
    transaction.commit();
  }
  return result;
}

std::vector<AppendResult> SqliteChatStore::append_messages(
    std::span<const MessageRecord> messages) {
  std::vector<AppendResult> results;
  results.reserve(messages.size());
  if (messages.empty()) return results;
  std::lock_guard lock(mutex_);
  Transaction transaction(db_);
  unindexed_texts_.clear();
  for (const MessageRecord& message : messages) results.push_back(append_in_transaction(message));
  index_room_texts();
  transaction.commit();
  return results;
}

void SqliteChatStore::index_room_texts() {
  if (unindexed_texts_.empty()) return;
  // One statement for the whole transaction (see migration 12): the texts as a JSON array.
  boost::json::array rows;
  rows.reserve(unindexed_texts_.size());
  for (const auto& [text, stream_id] : unindexed_texts_) rows.push_back({text, stream_id});
  db_.prepare(
         "INSERT INTO room_text (text, stream_id) "
         "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1)",
         "index the text of room messages")
      .bind_text(1, boost::json::serialize(rows))
      .run();
  unindexed_texts_.clear();
}

AppendResult SqliteChatStore::append_in_transaction(const MessageRecord& message) {
  bool in_room = false;
  // A retry is answered before the stream's state is looked at, so a message stored just before
  // its room closed is still acknowledged.
  if (auto first = find_message_by_client_id(message)) {
    return AppendResult{.status = AppendStatus::kDuplicate, .message = std::move(*first)};
  }
  if (auto answer = find_answer(message.reply_to)) {
    return AppendResult{.status = AppendStatus::kAlreadyAnswered, .message = std::move(*answer)};
  }
  {
    auto stream = db_.prepare(
        "SELECT r.closed_at IS NOT NULL, s.kind = 'room' FROM streams s "
        "LEFT JOIN rooms r ON r.id = s.id WHERE s.id = ?1",
        "find the stream of a new message");
    stream.bind_text(1, message.stream_id);
    if (!stream.step()) return AppendResult{.status = AppendStatus::kUnknownStream};
    if (stream.column_bool(0)) return AppendResult{.status = AppendStatus::kStreamClosed};
    in_room = stream.column_bool(1);
  }
  MessageRecord stored = message;
  {
    auto last = db_.prepare(kLastSeq, "read the last seq of a stream");
    last.bind_text(1, message.stream_id);
    stored.seq = (last.step() ? last.column_int(0) : 0) + 1;
  }
  db_.prepare(
         "INSERT INTO messages (stream_id, seq, message_id, client_message_id, sender_id, "
         "sender_role, text, created_at, reply_to, sender_name, attachments) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
         "store a message")
      .bind_text(1, stored.stream_id)
      .bind_int(2, stored.seq)
      .bind_text(3, stored.message_id)
      .bind_text(4, stored.client_message_id)
      .bind_text(5, stored.sender_id)
      .bind_text(6, chat::to_string(stored.sender_role))
      .bind_text(7, stored.text)
      .bind_int(8, stored.created_at)
      .bind_text(9, stored.reply_to)
      .bind_text(10, stored.sender_name)
      .bind_text(11, chat::encode_attachments(stored.attachments))
      .run();
  if (in_room) unindexed_texts_.emplace_back(stored.text, stored.stream_id);
  return AppendResult{.status = AppendStatus::kStored, .message = std::move(stored)};
}

std::vector<MessageRecord> SqliteChatStore::read_messages(const std::string& stream_id,
                                                          std::int64_t after_seq,
                                                          std::size_t limit) {
  std::vector<MessageRecord> messages;
  if (limit == 0) return messages;
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(kSelectAfter, "read the messages of a stream");
  select.bind_text(1, stream_id).bind_int(2, after_seq).bind_int(3, limit_value(limit));
  while (select.step()) messages.push_back(read_message(select));
  return messages;
}

std::int64_t SqliteChatStore::last_seq(const std::string& stream_id) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(kLastSeq, "read the last seq of a stream");
  select.bind_text(1, stream_id);
  return select.step() ? select.column_int(0) : 0;
}

// Rooms

bool SqliteChatStore::create_room(const RoomRecord& room) {
  std::lock_guard lock(mutex_);
  Transaction transaction(db_);
  if (!insert_room(room)) return false;
  transaction.commit();
  return true;
}

bool SqliteChatStore::insert_room(const RoomRecord& room) {
  {
    auto owner = db_.prepare("SELECT customer_id FROM conversations WHERE id = ?1",
                             "find the conversation of a new room");
    owner.bind_text(1, room.conversation_id);
    if (!owner.step() || owner.column_text(0) != room.customer_id) return false;
  }
  db_.prepare("INSERT INTO streams (id, kind) VALUES (?1, 'room') ON CONFLICT DO NOTHING",
              "create a room stream")
      .bind_text(1, room.id)
      .run();
  if (db_.changes() != 1) return false;  // a room's or a conversation's id already
  db_.prepare(
         "INSERT INTO rooms (id, conversation_id, request_id, customer_id, agent_id, created_at, "
         "closed_at, closed_by, category, customer_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, "
         "'', ?7, ?8)",
         "create a room")
      .bind_text(1, room.id)
      .bind_text(2, room.conversation_id)
      .bind_text(3, room.request_id)
      .bind_text(4, room.customer_id)
      .bind_text(5, room.agent_id)
      .bind_int(6, room.created_at)
      .bind_text(7, room.category)
      .bind_text(8, room.customer_name)
      .run();
  return true;
}

std::optional<RoomRecord> SqliteChatStore::find_room(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(kSelectRoom, "find a room");
  select.bind_text(1, id);
  if (!select.step()) return std::nullopt;
  return read_room(select);
}

bool SqliteChatStore::set_room_agent(const std::string& room_id, const std::string& agent_id) {
  std::lock_guard lock(mutex_);
  return update_room_agent(room_id, agent_id);
}

bool SqliteChatStore::room_exists(const std::string& room_id) {
  auto select = db_.prepare("SELECT 1 FROM rooms WHERE id = ?1", "look for a room");
  select.bind_text(1, room_id);
  return select.step();
}

bool SqliteChatStore::update_room_agent(const std::string& room_id, const std::string& agent_id) {
  db_.prepare("UPDATE rooms SET agent_id = ?2 WHERE id = ?1 AND closed_at IS NULL",
              "change the agent of a room")
      .bind_text(1, room_id)
      .bind_text(2, agent_id)
      .run();
  return db_.changes() == 1;
}

bool SqliteChatStore::close_room(const std::string& room_id, const std::string& closed_by,
                                 Millis now) {
  std::lock_guard lock(mutex_);
  // One statement: of two closes at once, exactly one finds the room still open.
  db_.prepare("UPDATE rooms SET closed_at = ?2, closed_by = ?3 WHERE id = ?1 AND closed_at IS NULL",
              "close a room")
      .bind_text(1, room_id)
      .bind_int(2, now)
      .bind_text(3, closed_by)
      .run();
  return db_.changes() == 1;
}

std::vector<RoomRecord> SqliteChatStore::open_rooms() {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(kSelectOpenRooms, "list the open rooms");
  return read_rooms(select);
}

std::vector<std::string> SqliteChatStore::idle_rooms(Millis before, std::size_t limit) {
  std::vector<std::string> ids;
  if (limit == 0) return ids;
  std::lock_guard lock(mutex_);
  // The newest message of each open room by its primary key (stream_id, seq).
  auto select = db_.prepare(
      "SELECT r.id FROM rooms r WHERE r.closed_at IS NULL AND coalesce((SELECT m.created_at FROM "
      "messages m WHERE m.stream_id = r.id ORDER BY m.seq DESC LIMIT 1), r.created_at) < ?1 "
      "ORDER BY r.created_at, r.id LIMIT ?2",
      "list the idle rooms");
  select.bind_int(1, before);
  select.bind_int(2, limit_value(limit));
  while (select.step()) ids.push_back(select.column_text(0));
  return ids;
}

namespace {

// The history query. Filters not given bind as '' or 0 and drop out; the words make the only
// variable part (at most one statement per count of each kind, so the statement cache stays
// small).
std::string room_search_sql(std::size_t indexed_words, std::size_t scanned_words) {
  std::string sql =
      "SELECT r.id, r.conversation_id, r.request_id, r.customer_id, r.agent_id, r.created_at, "
      "r.closed_at, r.closed_by, r.category, r.customer_name, (SELECT coalesce(max(m.seq), 0) "
      "FROM messages m WHERE m.stream_id = r.id), g.score, g.comment FROM rooms r LEFT JOIN "
      "ratings g ON g.room_id = r.id WHERE r.created_at >= ?1 AND r.created_at < ?2 AND (?3 = '' "
      "OR r.id IN (SELECT a.room_id FROM room_agents a WHERE a.agent_id = ?3)) AND (?4 = '' OR "
      "r.customer_id = ?4) AND (?5 = '' OR "
      "r.category = ?5) AND (?6 = 0 OR (?6 = 1 AND r.closed_at IS NULL) OR (?6 = 2 AND "
      "r.closed_at IS NOT NULL)) AND (?7 = 0 OR g.score >= ?7) AND (?8 = 0 OR g.score <= ?8) AND "
      "(?9 = 0 OR g.score IS NULL) AND (?10 IS NULL OR r.created_at < ?10 OR (r.created_at = ?10 "
      "AND r.id < ?11))";
  int parameter = 13;
  for (std::size_t i = 0; i < indexed_words; ++i) {
    sql += " AND r.id IN (SELECT stream_id FROM room_text WHERE room_text MATCH ?" +
           std::to_string(parameter++) + ")";
  }
  for (std::size_t i = 0; i < scanned_words; ++i) {
    sql += " AND EXISTS (SELECT 1 FROM messages m WHERE m.stream_id = r.id AND m.text LIKE ?" +
           std::to_string(parameter++) + " ESCAPE '\\')";
  }
  return sql + " ORDER BY r.created_at DESC, r.id DESC LIMIT ?12";
}

// A trigram MATCH query finding `word` as one phrase: anywhere, as written.
std::string fts_phrase(std::string_view word) {
  std::string phrase = "\"";
  for (const char c : word) {
    if (c == '"') phrase += '"';
    phrase += c;
  }
  return phrase + '"';
}

}  // namespace

std::vector<RoomSummary> SqliteChatStore::search_rooms(const chat::RoomQuery& query) {
  if (query.limit == 0) return {};
  const SearchWords words = split_search_words(query.words);
  std::lock_guard lock(mutex_);
  auto select =
      db_.prepare(room_search_sql(words.indexed.size(), words.scanned.size()), "search the rooms");
  select.bind_int(1, query.from)
      .bind_int(2, query.to)
      .bind_text(3, query.agent_id)
      .bind_text(4, query.customer_id)
      .bind_text(5, query.category)
      .bind_int(6, static_cast<int>(query.state))
      .bind_int(7, query.min_score)
      .bind_int(8, query.max_score)
      .bind_bool(9, query.unrated)
      .bind_int(12, limit_value(query.limit));
  if (query.before) {
    select.bind_int(10, query.before->first).bind_text(11, query.before->second);
  } else {
    select.bind_null(10).bind_text(11, "");
  }
  int parameter = 13;
  for (const std::string& word : words.indexed) select.bind_text(parameter++, fts_phrase(word));
  for (const std::string& word : words.scanned) select.bind_text(parameter++, like_anywhere(word));
  std::vector<RoomSummary> rooms;
  while (select.step()) {
    RoomSummary summary{.room = read_room(select), .last_seq = select.column_int(10)};
    if (!select.column_is_null(11)) {
      summary.score = static_cast<int>(select.column_int(11));
      summary.rating_comment = select.column_text(12);
    }
    rooms.push_back(std::move(summary));
  }
  return rooms;
}

std::vector<std::string> SqliteChatStore::room_agents(const std::string& room_id) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare("SELECT agent_id FROM room_agents WHERE room_id = ?1 ORDER BY agent_id",
                            "list the agents of a room");
  select.bind_text(1, room_id);
  std::vector<std::string> agents;
  while (select.step()) agents.push_back(select.column_text(0));
  return agents;
}

std::vector<RoomRecord> SqliteChatStore::rooms_of_conversation(const std::string& conversation_id) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(kSelectRoomsOfConversation, "list the rooms of a conversation");
  select.bind_text(1, conversation_id);
  return read_rooms(select);
}

// Routing records

void SqliteChatStore::upsert_request(const RequestRecord& record) {
  std::lock_guard lock(mutex_);
  Transaction transaction(db_);
  write_request(record);
  transaction.commit();
}

void SqliteChatStore::write_agent(const chat::AgentRecord& record) {
  auto upsert = db_.prepare(
      "INSERT INTO routing_agents (agent_id, agent_name, online, status) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (agent_id) DO UPDATE SET agent_name = excluded.agent_name, "
      "online = excluded.online, status = excluded.status",
      "store an agent");
  upsert.bind_text(1, record.agent.id)
      .bind_text(2, record.agent.display_name)
      .bind_int(3, record.online ? 1 : 0)
      .bind_text(4, chat::to_string(record.status))
      .run();
}

std::vector<chat::AgentRecord> SqliteChatStore::load_agents() {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(
      "SELECT agent_id, agent_name, online, status FROM routing_agents ORDER BY agent_id",
      "read the agents");
  std::vector<chat::AgentRecord> agents;
  while (select.step()) {
    agents.push_back(chat::AgentRecord{
        .agent = {.id = select.column_text(0), .display_name = select.column_text(1)},
        .online = select.column_int(2) != 0,
        .status = parse_column(kAgentStatuses, select.column_text(3), "SQLite chat store",
                               "agent status")});
  }
  return agents;
}

void SqliteChatStore::write_request(const RequestRecord& record) {
  auto upsert = db_.prepare(
      "INSERT INTO routing_requests (id, customer_id, customer_name, category, reason, "
      "last_bot_message, requested_at, requeued_at, room_id, agent_id, agent_name, mode) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
      "ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, "
      "customer_name = excluded.customer_name, category = excluded.category, "
      "reason = excluded.reason, last_bot_message = excluded.last_bot_message, "
      "requested_at = excluded.requested_at, requeued_at = excluded.requeued_at, "
      "room_id = excluded.room_id, agent_id = excluded.agent_id, "
      "agent_name = excluded.agent_name, mode = excluded.mode",
      "store a routing request");
  upsert.bind_text(1, record.id)
      .bind_text(2, record.customer.id)
      .bind_text(3, record.customer.display_name)
      .bind_text(4, record.details.category)
      .bind_text(5, record.details.reason)
      .bind_text(6, record.details.last_bot_message)
      .bind_int(7, record.requested_at);
  bind_optional_time(upsert, 8, record.requeued_at);
  upsert.bind_text(9, record.room_id)
      .bind_text(10, record.agent.id)
      .bind_text(11, record.agent.display_name)
      .bind_text(12, chat::to_string(record.mode))
      .run();
  db_.prepare("DELETE FROM routing_rejections WHERE request_id = ?1",
              "replace the rejections of a routing request")
      .bind_text(1, record.id)
      .run();
  for (const auto& agent_id : record.rejected_by) {
    // DO NOTHING: the engine keeps the list free of duplicates, but a repeat must not fail.
    db_.prepare(
           "INSERT INTO routing_rejections (request_id, agent_id) VALUES (?1, ?2) "
           "ON CONFLICT DO NOTHING",
           "store a rejection of a routing request")
        .bind_text(1, record.id)
        .bind_text(2, agent_id)
        .run();
  }
}

bool SqliteChatStore::erase_request(const std::string& request_id) {
  std::lock_guard lock(mutex_);
  return delete_request(request_id);
}

bool SqliteChatStore::delete_request(const std::string& request_id) {
  // The rejections go with it (ON DELETE CASCADE).
  db_.prepare("DELETE FROM routing_requests WHERE id = ?1", "delete a routing request")
      .bind_text(1, request_id)
      .run();
  return db_.changes() == 1;
}

bool SqliteChatStore::has_open_request(const std::string& customer_id) {
  std::lock_guard lock(mutex_);
  return db_
      .prepare("SELECT 1 FROM routing_requests WHERE customer_id = ?1 LIMIT 1",
               "look for a customer's open consult request")
      .bind_text(1, customer_id)
      .step();
}

std::vector<RequestRecord> SqliteChatStore::load_requests() {
  std::lock_guard lock(mutex_);
  // One statement, so that the records and their rejections are one snapshot: one row per
  // rejection (or one with NULL for a request that has none), the rejections of a request in a row.
  auto select = db_.prepare(
      "SELECT q.id, q.customer_id, q.customer_name, q.category, q.reason, q.last_bot_message, "
      "q.requested_at, q.requeued_at, q.room_id, q.agent_id, q.agent_name, q.mode, j.agent_id "
      "FROM routing_requests q LEFT JOIN routing_rejections j ON j.request_id = q.id "
      "ORDER BY q.requested_at, q.id, j.agent_id",
      "read the routing requests");
  std::vector<RequestRecord> records;
  while (select.step()) {
    const std::string id = select.column_text(0);
    if (records.empty() || records.back().id != id) {
      RequestRecord record;
      record.id = id;
      record.customer = {.id = select.column_text(1), .display_name = select.column_text(2)};
      record.details = {.category = select.column_text(3),
                        .reason = select.column_text(4),
                        .last_bot_message = select.column_text(5)};
      record.requested_at = select.column_int(6);
      record.requeued_at = optional_time(select, 7);
      record.room_id = select.column_text(8);
      record.agent = {.id = select.column_text(9), .display_name = select.column_text(10)};
      record.mode = select.column_text(11) == chat::to_string(chat::AssignMode::kAuto)
                        ? chat::AssignMode::kAuto
                        : chat::AssignMode::kManual;
      records.push_back(std::move(record));
    }
    if (!select.column_is_null(12)) records.back().rejected_by.push_back(select.column_text(12));
  }
  return records;
}

// Audit log

std::int64_t SqliteChatStore::append_audit(const Audit& audit) {
  std::lock_guard lock(mutex_);
  Transaction transaction(db_);
  const std::int64_t id = write_audit(audit);
  transaction.commit();
  return id;
}

std::int64_t SqliteChatStore::write_audit(const Audit& audit) {
  std::int64_t id = 0;
  {
    auto insert = db_.prepare(
        "INSERT INTO audit_log (at, event, request_id, agent_id, from_agent_id, reason) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        "append to the audit log");
    insert.bind_int(1, audit.at)
        .bind_text(2, chat::to_string(audit.event))
        .bind_text(3, audit.request_id)
        .bind_text(4, audit.agent_id)
        .bind_text(5, audit.from_agent_id)
        .bind_text(6, audit.reason);
    if (!insert.step()) throw std::runtime_error("SQLite chat store: audit insert returned no id");
    id = insert.column_int(0);
    insert.run();
  }
  std::int64_t position = 0;
  for (const auto& candidate : audit.candidates) {
    db_.prepare(
           "INSERT INTO audit_candidates (audit_id, position, agent_id, verdict, active_rooms) "
           "VALUES (?1, ?2, ?3, ?4, ?5)",
           "append a candidate to the audit log")
        .bind_int(1, id)
        .bind_int(2, position++)
        .bind_text(3, candidate.agent_id)
        .bind_text(4, chat::to_string(candidate.verdict))
        .bind_int(5, candidate.active_rooms)
        .run();
  }
  return id;
}

std::vector<AuditEntry> SqliteChatStore::query_audit(const AuditQuery& query) {
  std::vector<AuditEntry> entries;
  if (query.limit == 0) return entries;
  // Only the filters in use go into the SQL, so each variant can use its index; there are eight,
  // each prepared once and cached. The entries are picked first (the limit counts entries), then
  // joined with their candidates: one statement, so one snapshot, also against a purge.
  std::string sql =
      "WITH picked AS (SELECT id, at, event, request_id, agent_id, from_agent_id, reason "
      "FROM audit_log WHERE at >= ?1 AND at < ?2";
  if (!query.request_id.empty()) sql += " AND request_id = ?3";
  if (!query.agent_id.empty()) sql += " AND (agent_id = ?4 OR from_agent_id = ?4)";
  const std::string_view order = query.newest_first ? " DESC" : "";
  sql += query.newest_first ? " AND id < ?5" : " AND id > ?5";
  sql += " ORDER BY id";
  sql += order;
  sql +=
      " LIMIT ?6) SELECT p.id, p.at, p.event, p.request_id, p.agent_id, p.from_agent_id, "
      "p.reason, c.agent_id, c.verdict, c.active_rooms FROM picked p "
      "LEFT JOIN audit_candidates c ON c.audit_id = p.id ORDER BY p.id";
  sql += order;
  sql += ", c.position";
  std::int64_t cursor = query.after_id;
  if (query.newest_first && cursor <= 0) cursor = std::numeric_limits<std::int64_t>::max();

  std::lock_guard lock(mutex_);
  auto select = db_.prepare(sql, "query the audit log");
  select.bind_int(1, query.from).bind_int(2, query.to);
  if (!query.request_id.empty()) select.bind_text(3, query.request_id);
  if (!query.agent_id.empty()) select.bind_text(4, query.agent_id);
  select.bind_int(5, cursor).bind_int(6, limit_value(query.limit));
  while (select.step()) {
    const std::int64_t id = select.column_int(0);
    if (entries.empty() || entries.back().id != id) {
      AuditEntry entry;
      entry.id = id;
      entry.audit.at = select.column_int(1);
      entry.audit.event =
          parse_column(kAuditEvents, select.column_text(2), "SQLite chat store", "audit event");
      entry.audit.request_id = select.column_text(3);
      entry.audit.agent_id = select.column_text(4);
      entry.audit.from_agent_id = select.column_text(5);
      entry.audit.reason = select.column_text(6);
      entries.push_back(std::move(entry));
    }
    if (!select.column_is_null(8)) {
      entries.back().audit.candidates.push_back(
          AuditCandidate{.agent_id = select.column_text(7),
                         .verdict = parse_column(kVerdicts, select.column_text(8),
                                                 "SQLite chat store", "audit candidate verdict"),
                         .active_rooms = static_cast<int>(select.column_int(9))});
    }
  }
  return entries;
}

// Retention and erasure

namespace {

std::size_t changed(const Database& db) { return static_cast<std::size_t>(db.changes()); }
}  // namespace

void SqliteChatStore::remove_pending_files() {
  std::vector<std::string> pending;
  {
    std::lock_guard lock(mutex_);
    auto select = db_.prepare("SELECT id FROM pending_file_removals ORDER BY id LIMIT 10000",
                              "read the files still to delete");
    while (select.step()) pending.push_back(select.column_text(0));
  }
  // The files go outside the lock; a file that cannot be deleted stays listed for the next call.
  std::vector<std::string> removed;
  for (const std::string& id : pending) {
    if (attachments_.remove(id)) removed.push_back(id);
  }
  if (removed.empty()) return;
  std::lock_guard lock(mutex_);
  Transaction transaction(db_);
  for (const std::string& id : removed) {
    db_.prepare("DELETE FROM pending_file_removals WHERE id = ?1", "note a file deleted")
        .bind_text(1, id)
        .run();
  }
  transaction.commit();
}

void SqliteChatStore::remove_marked_rooms(chat::RemovedCounts& removed) {
  // The rooms to remove are in temp.marked_rooms. One statement per table for the whole batch:
  // the word index cannot look up by stream (stream_id is UNINDEXED), so it is read once. Their
  // files are listed to delete once this commits.
  db_.prepare(
         "INSERT OR IGNORE INTO pending_file_removals (id) SELECT id FROM attachments WHERE "
         "room_id IN (SELECT id FROM temp.marked_rooms)",
         "list the files of rooms to remove")
      .run();
  db_.prepare("DELETE FROM room_text WHERE stream_id IN (SELECT id FROM temp.marked_rooms)",
              "remove rooms from the word index")
      .run();
  db_.prepare("DELETE FROM messages WHERE stream_id IN (SELECT id FROM temp.marked_rooms)",
              "remove the messages of rooms")
      .run();
  removed.messages += changed(db_);
  db_.prepare("DELETE FROM room_notes WHERE room_id IN (SELECT id FROM temp.marked_rooms)",
              "remove the notes of rooms")
      .run();
  removed.notes += changed(db_);
  db_.prepare("DELETE FROM ratings WHERE room_id IN (SELECT id FROM temp.marked_rooms)",
              "remove the ratings of rooms")
      .run();
  removed.ratings += changed(db_);
  db_.prepare("DELETE FROM attachments WHERE room_id IN (SELECT id FROM temp.marked_rooms)",
              "remove the files of rooms")
      .run();
  removed.attachments += changed(db_);
  db_.prepare("DELETE FROM room_agents WHERE room_id IN (SELECT id FROM temp.marked_rooms)",
              "remove the agents of rooms")
      .run();
  db_.prepare("DELETE FROM rooms WHERE id IN (SELECT id FROM temp.marked_rooms)", "remove rooms")
      .run();
  removed.rooms += changed(db_);
  db_.prepare("DELETE FROM streams WHERE id IN (SELECT id FROM temp.marked_rooms)",
              "remove the streams of rooms")
      .run();
}

chat::RemovedCounts SqliteChatStore::purge_expired(const chat::RetentionCutoffs& cutoffs,
                                                   std::size_t limit) {
  chat::RemovedCounts removed;
  {
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    const auto batch = static_cast<std::int64_t>(limit);
    if (cutoffs.chats > 0) {
      db_.execute(
          "CREATE TEMP TABLE IF NOT EXISTS marked_rooms (id TEXT PRIMARY KEY); "
          "DELETE FROM temp.marked_rooms;",
          "prepare the rooms to remove");
      db_.prepare(
             "INSERT INTO temp.marked_rooms (id) SELECT id FROM rooms WHERE closed_at IS NOT "
             "NULL AND closed_at < ?1 ORDER BY closed_at, id LIMIT ?2",
             "mark the rooms closed before the retention cutoff")
          .bind_int(1, cutoffs.chats)
          .bind_int(2, batch)
          .run();
      remove_marked_rooms(removed);
      // Bot messages: each stream remembers the highest seq removed, so its next message
      // follows it (kLastSeq) even when none is left.
      db_.execute(
          "CREATE TEMP TABLE IF NOT EXISTS marked_messages (row INTEGER PRIMARY KEY, "
          "stream_id TEXT NOT NULL, seq INTEGER NOT NULL); DELETE FROM temp.marked_messages;",
          "prepare the messages to remove");
      db_.prepare(
             "INSERT INTO temp.marked_messages (row, stream_id, seq) SELECT m.rowid, "
             "m.stream_id, m.seq FROM messages m JOIN streams s ON s.id = m.stream_id WHERE "
             "s.kind = 'conversation' AND m.created_at < ?1 LIMIT ?2",
             "mark bot messages past the retention cutoff")
          .bind_int(1, cutoffs.chats)
          .bind_int(2, batch)
          .run();
      db_.prepare(
             "UPDATE streams SET purged_seq = max(purged_seq, (SELECT max(seq) FROM "
             "temp.marked_messages t WHERE t.stream_id = streams.id)) WHERE id IN (SELECT "
             "stream_id FROM temp.marked_messages)",
             "remember the last seq of removed bot messages")
          .run();
      db_.prepare("DELETE FROM messages WHERE rowid IN (SELECT row FROM temp.marked_messages)",
                  "remove bot messages past the retention cutoff")
          .run();
      removed.messages += changed(db_);
      db_.prepare(
             "DELETE FROM bot_ratings WHERE message_id IN (SELECT message_id FROM bot_ratings "
             "WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)",
             "remove ratings of bot answers past the retention cutoff")
          .bind_int(1, cutoffs.chats)
          .bind_int(2, batch)
          .run();
      removed.ratings += changed(db_);
      db_.prepare(
             "DELETE FROM left_messages WHERE id IN (SELECT id FROM left_messages WHERE "
             "created_at < ?1 ORDER BY created_at, id LIMIT ?2)",
             "remove left messages past the retention cutoff")
          .bind_int(1, cutoffs.chats)
          .bind_int(2, batch)
          .run();
      removed.left_messages += changed(db_);
      db_.prepare(
             "DELETE FROM customer_context WHERE customer_id IN (SELECT customer_id FROM "
             "customer_context WHERE updated_at < ?1 LIMIT ?2)",
             "remove customers' context past the retention cutoff")
          .bind_int(1, cutoffs.chats)
          .bind_int(2, batch)
          .run();
      removed.contexts += changed(db_);
    }
    if (cutoffs.attachments > 0) {
      auto select = db_.prepare(
          "SELECT id FROM attachments WHERE created_at < ?1 ORDER BY created_at, id LIMIT ?2",
          "find files past the retention cutoff");
      select.bind_int(1, cutoffs.attachments).bind_int(2, batch);
      std::vector<std::string> expired;
      while (select.step()) expired.push_back(select.column_text(0));
      for (const std::string& id : expired) {
        db_.prepare("INSERT OR IGNORE INTO pending_file_removals (id) VALUES (?1)",
                    "list a file past the cutoff")
            .bind_text(1, id)
            .run();
        db_.prepare("DELETE FROM attachments WHERE id = ?1", "remove a file past the cutoff")
            .bind_text(1, id)
            .run();
        removed.attachments += changed(db_);
      }
    }
    if (cutoffs.audit > 0) {
      // The candidates go with their entries (ON DELETE CASCADE); changes() counts the entries.
      db_.prepare(
             "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ?1 ORDER BY "
             "id LIMIT ?2)",
             "remove audit entries past the retention cutoff")
          .bind_int(1, cutoffs.audit)
          .bind_int(2, batch)
          .run();
      removed.audit_entries += changed(db_);
    }
    transaction.commit();
  }
  // The rows are gone for good: now their files (listed in the same transaction, so a crash or
  // a file that cannot be deleted now is retried by the next call, never forgotten).
  remove_pending_files();
  return removed;
}

chat::ErasureResult SqliteChatStore::erase_customer(const std::string& customer_id) {
  chat::ErasureResult result;
  {
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    auto open = db_.prepare(
        "SELECT EXISTS (SELECT 1 FROM routing_requests WHERE customer_id = ?1) OR EXISTS (SELECT "
        "1 FROM rooms WHERE customer_id = ?1 AND closed_at IS NULL)",
        "check for an open consult before an erasure");
    open.bind_text(1, customer_id);
    if (open.step() && open.column_bool(0)) {
      result.status = chat::ErasureStatus::kOpenConsult;
      return result;
    }
    chat::RemovedCounts& removed = result.removed;
    // Entries about their requests, and refusals sent to them (which name them as the agent).
    db_.prepare(
           "DELETE FROM audit_log WHERE (request_id <> '' AND request_id IN (SELECT request_id "
           "FROM rooms WHERE customer_id = ?1)) OR agent_id = ?1 OR from_agent_id = ?1",
           "remove the audit entries about a customer")
        .bind_text(1, customer_id)
        .run();
    removed.audit_entries += changed(db_);
    db_.execute(
        "CREATE TEMP TABLE IF NOT EXISTS marked_rooms (id TEXT PRIMARY KEY); "
        "DELETE FROM temp.marked_rooms;",
        "prepare the rooms to remove");
    db_.prepare("INSERT INTO temp.marked_rooms (id) SELECT id FROM rooms WHERE customer_id = ?1",
                "mark a customer's rooms")
        .bind_text(1, customer_id)
        .run();
    remove_marked_rooms(removed);
    db_.prepare(
           "DELETE FROM messages WHERE stream_id IN (SELECT id FROM conversations WHERE "
           "customer_id = ?1)",
           "remove a customer's bot messages")
        .bind_text(1, customer_id)
        .run();
    removed.messages += changed(db_);
    std::string conversation;
    auto select = db_.prepare("SELECT id FROM conversations WHERE customer_id = ?1",
                              "find a customer's conversation");
    select.bind_text(1, customer_id);
    if (select.step()) conversation = select.column_text(0);
    if (!conversation.empty()) {
      db_.prepare("DELETE FROM conversations WHERE id = ?1", "remove a customer's conversation")
          .bind_text(1, conversation)
          .run();
      removed.conversations += changed(db_);
      db_.prepare("DELETE FROM streams WHERE id = ?1", "remove a conversation's stream")
          .bind_text(1, conversation)
          .run();
    }
    db_.prepare("DELETE FROM ratings WHERE customer_id = ?1", "remove a customer's ratings")
        .bind_text(1, customer_id)
        .run();
    removed.ratings += changed(db_);
    db_.prepare("DELETE FROM bot_ratings WHERE customer_id = ?1",
                "remove a customer's ratings of bot answers")
        .bind_text(1, customer_id)
        .run();
    removed.ratings += changed(db_);
    db_.prepare("DELETE FROM left_messages WHERE customer_id = ?1",
                "remove a customer's left messages")
        .bind_text(1, customer_id)
        .run();
    removed.left_messages += changed(db_);
    db_.prepare("DELETE FROM customer_context WHERE customer_id = ?1",
                "remove a customer's context")
        .bind_text(1, customer_id)
        .run();
    removed.contexts += changed(db_);
    transaction.commit();
  }
  remove_pending_files();
  return result;
}

// Customers' context

// Attachments

bool SqliteChatStore::add_attachment(const chat::AttachmentRecord& record, std::string_view bytes) {
  require_file_id(record.file.id);
  // The bytes go to disk before the lock: a large file never holds up the other calls.
  const std::filesystem::path staged = attachments_.stage(bytes);
  try {
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    auto room = db_.prepare("SELECT closed_at IS NULL FROM rooms WHERE id = ?1",
                            "find the room of an attachment");
    room.bind_text(1, record.room_id);
    if (!room.step() || !room.column_bool(0)) {
      attachments_.discard(staged);
      return false;
    }
    db_.prepare(
           "INSERT INTO attachments (id, room_id, uploader_id, name, content_type, size, sha256, "
           "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
           "store an attachment")
        .bind_text(1, record.file.id)
        .bind_text(2, record.room_id)
        .bind_text(3, record.uploader_id)
        .bind_text(4, record.file.name)
        .bind_text(5, record.file.content_type)
        .bind_int(6, record.file.size)
        .bind_text(7, record.sha256)
        .bind_int(8, record.created_at)
        .run();
    if (db_.changes() != 1) {
      attachments_.discard(staged);
      return false;  // the id is taken
    }
    attachments_.commit(staged, record.file.id);
    transaction.commit();
    return true;
  } catch (...) {
    attachments_.discard(staged);
    throw;
  }
}

std::optional<chat::AttachmentRecord> SqliteChatStore::find_attachment(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(
      "SELECT id, room_id, uploader_id, name, content_type, size, sha256, created_at FROM "
      "attachments WHERE id = ?1",
      "find an attachment");
  select.bind_text(1, id);
  if (!select.step()) return std::nullopt;
  return chat::AttachmentRecord{.file = {.id = select.column_text(0),
                                         .name = select.column_text(3),
                                         .content_type = select.column_text(4),
                                         .size = select.column_int(5)},
                                .room_id = select.column_text(1),
                                .uploader_id = select.column_text(2),
                                .sha256 = select.column_text(6),
                                .created_at = select.column_int(7)};
}

std::optional<std::string> SqliteChatStore::attachment_bytes(const std::string& id) {
  if (!find_attachment(id)) return std::nullopt;
  auto bytes = attachments_.read(id);
  if (!bytes) throw std::runtime_error("attachments: the file of " + id + " is missing");
  return bytes;
}

void SqliteChatStore::set_customer_context(const chat::CustomerContext& context) {
  std::lock_guard lock(mutex_);
  db_.prepare(
         "INSERT INTO customer_context (customer_id, page_url, page_title, referrer, lang, "
         "user_agent, member_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
         "ON CONFLICT (customer_id) DO UPDATE SET page_url = excluded.page_url, "
         "page_title = excluded.page_title, referrer = excluded.referrer, lang = excluded.lang, "
         "user_agent = excluded.user_agent, member_id = excluded.member_id, "
         "updated_at = excluded.updated_at",
         "store a customer's context")
      .bind_text(1, context.customer_id)
      .bind_text(2, context.page_url)
      .bind_text(3, context.page_title)
      .bind_text(4, context.referrer)
      .bind_text(5, context.lang)
      .bind_text(6, context.user_agent)
      .bind_text(7, context.member_id)
      .bind_int(8, context.updated_at)
      .run();
}

std::optional<chat::CustomerContext> SqliteChatStore::customer_context(
    const std::string& customer_id) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(
      "SELECT customer_id, page_url, page_title, referrer, lang, user_agent, member_id, "
      "updated_at FROM customer_context WHERE customer_id = ?1",
      "read a customer's context");
  select.bind_text(1, customer_id);
  if (!select.step()) return std::nullopt;
  return chat::CustomerContext{.customer_id = select.column_text(0),
                               .page_url = select.column_text(1),
                               .page_title = select.column_text(2),
                               .referrer = select.column_text(3),
                               .lang = select.column_text(4),
                               .user_agent = select.column_text(5),
                               .member_id = select.column_text(6),
                               .updated_at = select.column_int(7)};
}

// Notes

bool SqliteChatStore::add_note(const NoteRecord& note) {
  std::lock_guard lock(mutex_);
  db_.prepare(
         "INSERT INTO room_notes (id, room_id, kind, author_id, author_name, to_agent_id, "
         "to_agent_name, text, created_at) "
         "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE EXISTS (SELECT 1 FROM rooms WHERE id = "
         "?2) "
         "ON CONFLICT DO NOTHING",
         "store a note")
      .bind_text(1, note.id)
      .bind_text(2, note.room_id)
      .bind_text(3, chat::to_string(note.kind))
      .bind_text(4, note.author_id)
      .bind_text(5, note.author_name)
      .bind_text(6, note.to_agent_id)
      .bind_text(7, note.to_agent_name)
      .bind_text(8, note.text)
      .bind_int(9, note.created_at)
      .run();
  return db_.changes() == 1;
}

std::vector<NoteRecord> SqliteChatStore::room_notes(const std::string& room_id, std::size_t limit) {
  std::vector<NoteRecord> notes;
  if (limit == 0) return notes;
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(
      "SELECT id, room_id, kind, author_id, author_name, to_agent_id, to_agent_name, text, "
      "created_at FROM room_notes WHERE room_id = ?1 ORDER BY created_at, id LIMIT ?2",
      "read the notes of a room");
  select.bind_text(1, room_id);
  select.bind_int(2, limit_value(limit));
  while (select.step()) {
    notes.push_back(
        NoteRecord{.id = select.column_text(0),
                   .room_id = select.column_text(1),
                   .kind = parse_column(kNoteKinds, select.column_text(2), "sqlite", "note kind"),
                   .author_id = select.column_text(3),
                   .author_name = select.column_text(4),
                   .to_agent_id = select.column_text(5),
                   .to_agent_name = select.column_text(6),
                   .text = select.column_text(7),
                   .created_at = select.column_int(8)});
  }
  return notes;
}

// Left messages

bool SqliteChatStore::add_left_message(const LeftMessageRecord& message) {
  std::lock_guard lock(mutex_);
  db_.prepare(
         "INSERT INTO left_messages (id, customer_id, customer_name, conversation_id, "
         "request_id, category, contact, text, created_at, handled_at, handled_by) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, '') ON CONFLICT DO NOTHING",
         "store a left message")
      .bind_text(1, message.id)
      .bind_text(2, message.customer_id)
      .bind_text(3, message.customer_name)
      .bind_text(4, message.conversation_id)
      .bind_text(5, message.request_id)
      .bind_text(6, message.category)
      .bind_text(7, message.contact)
      .bind_text(8, message.text)
      .bind_int(9, message.created_at)
      .run();
  return db_.changes() == 1;
}

std::vector<LeftMessageRecord> SqliteChatStore::list_left_messages(bool include_handled,
                                                                   std::size_t limit) {
  std::vector<LeftMessageRecord> messages;
  if (limit == 0) return messages;
  std::lock_guard lock(mutex_);
  auto select =
      db_.prepare(include_handled ? kSelectAllLeft : kSelectOpenLeft, "list the left messages");
  select.bind_int(1, limit_value(limit));
  while (select.step()) messages.push_back(read_left_message(select));
  return messages;
}

bool SqliteChatStore::handle_left_message(const std::string& id, const std::string& agent_id,
                                          Millis now) {
  std::lock_guard lock(mutex_);
  // One statement: of two agents taking it at once, exactly one finds it still open.
  db_.prepare(
         "UPDATE left_messages SET handled_at = ?2, handled_by = ?3 "
         "WHERE id = ?1 AND handled_at IS NULL",
         "mark a left message handled")
      .bind_text(1, id)
      .bind_int(2, now)
      .bind_text(3, agent_id)
      .run();
  return db_.changes() == 1;
}

// Ratings

RatingOutcome SqliteChatStore::rate_room(const std::string& room_id, const std::string& customer_id,
                                         int score, const std::string& comment, Millis now) {
  if (score < chat::kMinScore || score > chat::kMaxScore) return RatingOutcome::kInvalidScore;
  std::lock_guard lock(mutex_);
  Transaction transaction(db_);
  std::string agent_id;
  {
    auto room = db_.prepare("SELECT customer_id, agent_id FROM rooms WHERE id = ?1",
                            "find the room of a rating");
    room.bind_text(1, room_id);
    // Someone else's room is answered like a missing one: it says nothing about other customers.
    if (!room.step() || room.column_text(0) != customer_id) return RatingOutcome::kUnknownRoom;
    agent_id = room.column_text(1);
  }
  db_.prepare(
         "INSERT INTO ratings (room_id, customer_id, agent_id, score, comment, created_at) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (room_id) DO NOTHING",
         "store a rating")
      .bind_text(1, room_id)
      .bind_text(2, customer_id)
      .bind_text(3, agent_id)
      .bind_int(4, score)
      .bind_text(5, comment)
      .bind_int(6, now)
      .run();
  if (db_.changes() != 1) return RatingOutcome::kAlreadyRated;
  transaction.commit();
  return RatingOutcome::kStored;
}

RatingSummary SqliteChatStore::rating_summary(Millis since) {
  return summarize_ratings("ratings", since);
}

RatingOutcome SqliteChatStore::rate_bot_answer(const std::string& message_id,
                                               const std::string& customer_id, int score,
                                               const std::string& comment, Millis now) {
  if (score < chat::kMinScore || score > chat::kMaxScore) return RatingOutcome::kInvalidScore;
  std::lock_guard lock(mutex_);
  Transaction transaction(db_);
  std::string conversation_id;
  {
    // Only a bot answer in the customer's own conversation: anything else is answered alike.
    auto answer = db_.prepare(
        "SELECT m.stream_id FROM messages m JOIN conversations c ON c.id = m.stream_id WHERE "
        "m.message_id = ?1 AND m.sender_role = 'BOT' AND c.customer_id = ?2",
        "find the bot answer of a rating");
    answer.bind_text(1, message_id);
    answer.bind_text(2, customer_id);
    if (!answer.step()) return RatingOutcome::kUnknownRoom;
    conversation_id = answer.column_text(0);
  }
  db_.prepare(
         "INSERT INTO bot_ratings (message_id, conversation_id, customer_id, score, comment, "
         "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (message_id) DO NOTHING",
         "store a rating of a bot answer")
      .bind_text(1, message_id)
      .bind_text(2, conversation_id)
      .bind_text(3, customer_id)
      .bind_int(4, score)
      .bind_text(5, comment)
      .bind_int(6, now)
      .run();
  if (db_.changes() != 1) return RatingOutcome::kAlreadyRated;
  transaction.commit();
  return RatingOutcome::kStored;
}

RatingSummary SqliteChatStore::bot_rating_summary(Millis since) {
  return summarize_ratings("bot_ratings", since);
}

RatingSummary SqliteChatStore::summarize_ratings(std::string_view table, Millis since) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare("SELECT COUNT(*), COALESCE(AVG(score), 0) FROM " + std::string(table) +
                                " WHERE created_at >= ?1",
                            "summarize the ratings");
  select.bind_int(1, since);
  if (!select.step()) return {};
  return RatingSummary{.count = select.column_int(0), .average = select.column_double(1)};
}

std::optional<RatingRecord> SqliteChatStore::find_rating(const std::string& room_id) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(
      "SELECT room_id, customer_id, agent_id, score, comment, created_at FROM ratings "
      "WHERE room_id = ?1",
      "find the rating of a room");
  select.bind_text(1, room_id);
  if (!select.step()) return std::nullopt;
  return RatingRecord{.room_id = select.column_text(0),
                      .customer_id = select.column_text(1),
                      .agent_id = select.column_text(2),
                      .score = static_cast<int>(select.column_int(3)),
                      .comment = select.column_text(4),
                      .created_at = select.column_int(5)};
}

// Canned responses

std::vector<CannedResponse> SqliteChatStore::canned_responses(const std::string& agent_id) {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare(
      "SELECT id, shortcut, text FROM canned_responses WHERE agent_id = ?1 ORDER BY position",
      "read the canned responses of an agent");
  select.bind_text(1, agent_id);
  std::vector<CannedResponse> responses;
  while (select.step()) {
    responses.push_back(CannedResponse{.id = select.column_text(0),
                                       .shortcut = select.column_text(1),
                                       .text = select.column_text(2)});
  }
  return responses;
}

void SqliteChatStore::replace_canned_responses(const std::string& agent_id,
                                               const std::vector<CannedResponse>& responses) {
  std::lock_guard lock(mutex_);
  // One transaction: a reader sees the old list or the new one, and a refused entry (a repeated
  // shortcut or a taken id throws) rolls the whole replacement back.
  Transaction transaction(db_);
  db_.prepare("DELETE FROM canned_responses WHERE agent_id = ?1",
              "clear the canned responses of an agent")
      .bind_text(1, agent_id)
      .run();
  std::int64_t position = 0;
  for (const CannedResponse& response : responses) {
    db_.prepare(
           "INSERT INTO canned_responses (agent_id, position, id, shortcut, text) "
           "VALUES (?1, ?2, ?3, ?4, ?5)",
           "store a canned response")
        .bind_text(1, agent_id)
        .bind_int(2, position++)
        .bind_text(3, response.id)
        .bind_text(4, response.shortcut)
        .bind_text(5, response.text)
        .run();
  }
  transaction.commit();
}

void SqliteChatStore::ping() {
  std::lock_guard lock(mutex_);
  auto select =
      db_.prepare("SELECT count(*) FROM (SELECT 1 FROM messages LIMIT 1)", "ping the store");
  select.step();
}

// Routing authority

std::optional<chat::AuthorityGrant> SqliteChatStore::claim_routing_authority(
    const std::string& node_id, Millis now, Millis lease) {
  std::lock_guard lock(mutex_);
  // IMMEDIATE: two processes claiming at once take turns, and the second sees the first's claim.
  Transaction transaction(db_);
  std::optional<chat::AuthorityGrant> grant;
  {
    auto select =
        db_.prepare("SELECT holder, epoch, lease_until FROM routing_authority WHERE id = 1",
                    "read the routing authority");
    if (!select.step()) {
      grant = chat::AuthorityGrant{.epoch = 1, .lease_until = now + lease};
    } else {
      const std::string holder = select.column_text(0);
      const std::int64_t epoch = select.column_int(1);
      const Millis lease_until = select.column_int(2);
      if (holder == node_id) {
        grant = chat::AuthorityGrant{.epoch = epoch, .lease_until = now + lease};
      } else if (lease_until <= now) {
        grant = chat::AuthorityGrant{.epoch = epoch + 1, .lease_until = now + lease};
      }
    }
  }
  if (!grant) return std::nullopt;
  db_.prepare(
         "INSERT INTO routing_authority (id, holder, epoch, lease_until) VALUES (1, ?1, ?2, ?3) "
         "ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, epoch = excluded.epoch, "
         "lease_until = excluded.lease_until",
         "claim the routing authority")
      .bind_text(1, node_id)
      .bind_int(2, grant->epoch)
      .bind_int(3, grant->lease_until)
      .run();
  transaction.commit();
  return grant;
}

bool SqliteChatStore::release_routing_authority(const std::string& node_id, std::int64_t epoch) {
  std::lock_guard lock(mutex_);
  // The epoch stays (so the next claim, the releasing node's own included, counts a new one); the
  // holder goes.
  db_.prepare(
         "UPDATE routing_authority SET lease_until = 0, holder = '' "
         "WHERE id = 1 AND holder = ?1 AND epoch = ?2",
         "release the routing authority")
      .bind_text(1, node_id)
      .bind_int(2, epoch)
      .run();
  return db_.changes() == 1;
}

bool SqliteChatStore::apply_routing_writes(std::int64_t epoch,
                                           const std::vector<chat::RoutingWrite>& writes) {
  std::lock_guard lock(mutex_);
  Transaction transaction(db_);
  {
    auto select = db_.prepare("SELECT epoch FROM routing_authority WHERE id = 1",
                              "check the routing authority's epoch");
    if (!select.step() || select.column_int(0) != epoch) return false;
  }
  for (const chat::RoutingWrite& write : writes) {
    std::visit(
        [&](const auto& w) {
          using W = std::decay_t<decltype(w)>;
          if constexpr (std::is_same_v<W, chat::StoreUpsert>) {
            write_request(w.record);
          } else if constexpr (std::is_same_v<W, chat::StoreErase>) {
            delete_request(w.request_id);
          } else if constexpr (std::is_same_v<W, chat::Audit>) {
            write_audit(w);
          } else if constexpr (std::is_same_v<W, chat::RoomAssignment>) {
            // An existing room gets its new agent (a closed one stays as it is); a new one is
            // created, and one that cannot be is a bug worth an error (and a rollback).
            if (!update_room_agent(w.room.id, w.room.agent_id) && !room_exists(w.room.id) &&
                !insert_room(w.room)) {
              throw std::runtime_error("SQLite chat store: room " + w.room.id +
                                       " can be neither created nor assigned");
            }
          } else if constexpr (std::is_same_v<W, chat::RoomUnassignment>) {
            update_room_agent(w.room_id, "");
          } else if constexpr (std::is_same_v<W, chat::StoreAgent>) {
            write_agent(w.record);
          }
        },
        write);
  }
  transaction.commit();
  return true;
}

}  // namespace aicc::store::sqlite
