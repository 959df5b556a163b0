// The chat::ChatStore port on SQLite: conversations, messages, rooms, routing records, the audit
// log, left messages, ratings and canned responses in one database file (or in memory, for tests).
// It may share the file with the SqliteUserStore: each keeps its own schema component.
//
// Tables (schema "chat", see the migrations in the .cpp):
//   streams             id PK, kind ('conversation' | 'room'): the one id space of both kinds
//   conversations       id PK -> streams, customer_id UNIQUE, created_at
//   rooms               id PK -> streams, conversation_id -> conversations, request_id,
//                       customer_id, agent_id, created_at, closed_at (NULL while open), closed_by;
//                       indexed by conversation and (partially) by the open ones
//   messages            (stream_id -> streams, seq) PK, message_id UNIQUE, client_message_id,
//                       sender_id, sender_role, text, created_at, reply_to; UNIQUE
//                       (stream_id, sender_id, client_message_id) and UNIQUE (reply_to), both
//                       where not ''
//   routing_requests    id PK, the RequestRecord fields; routing_rejections (request_id, agent_id)
//                       PK, deleted with their request
//   audit_log           id PK AUTOINCREMENT, at, event, request_id, agent_id, from_agent_id,
//                       reason; indexed by at, request_id, agent_id, from_agent_id;
//                       audit_candidates (audit_id, position) PK, deleted with their entry
//   left_messages       id PK, the LeftMessageRecord fields; indexed by (created_at, id)
//   ratings             room_id PK -> rooms, customer_id, agent_id, score CHECK 1..5, comment,
//                       created_at
//   canned_responses    (agent_id, position) PK, id UNIQUE, shortcut, text; UNIQUE (agent_id,
//                       shortcut) (migration 2)
//   routing_authority   one row: holder (node id), epoch, lease_until (migration 3)
//   routing_agents, room_notes, customer_context (migrations 4, 6, 7)
//   room_message_text   FTS5 trigram index of the rooms' messages, for the history (migration 8)
//   attachments         id PK, room_id -> rooms, uploader_id, name, content_type, size, sha256,
//                       created_at (migration 9); the bytes are files named by id in the
//                       attachments folder (attachment_folder.hpp), by default beside the database
//
// Contract details the port leaves open, which every adapter must share (the contract tests check
// them):
// - strings are stored and compared byte for byte (NULs included), ids case-sensitively;
// - an empty client_message_id or reply_to means none: never deduplicated, never unique;
// - seq is computed as the stream's last seq + 1 inside the append's write transaction, so two
//   appends (threads, or processes on one file) can never take the same seq or leave a gap;
// - audit entries keep their candidates in the order given;
// - a closed room keeps the time and closer of its first close;
// - a limit of 0 reads nothing.
//
// Thread-safety: one connection, and every call holds one mutex for its whole duration, as in the
// SqliteUserStore. Every call that reads then writes does so in one BEGIN IMMEDIATE transaction,
// so several processes may share the file too.
#pragma once

#include <mutex>
#include <string>
#include <utility>

#include "chat/chat_store.hpp"
#include "store/sqlite/attachment_folder.hpp"
#include "store/sqlite/database.hpp"

namespace aicc::store::sqlite {

class SqliteChatStore final : public chat::ChatStore {
 public:
  // Opens or creates the database at `path` (":memory:" for a private in-memory one) and brings
  // its schema up to date. Throws std::runtime_error when the file cannot be used, including when
  // a newer version of the program has already upgraded its schema.
  // Attachment bytes go to `attachments_dir`, by default the folder "attachments" beside the
  // database file (a private temporary folder for ":memory:").
  explicit SqliteChatStore(const std::string& path, const std::string& attachments_dir = {});

  chat::ConversationRecord get_or_create_conversation(const std::string& customer_id,
                                                      const std::string& new_id,
                                                      chat::Millis now) override;
  std::optional<chat::ConversationRecord> find_conversation(const std::string& id) override;
  std::optional<chat::ConversationRecord> conversation_of_customer(
      const std::string& customer_id) override;
  std::optional<chat::StreamInfo> find_stream(const std::string& id) override;

  chat::AppendResult append_message(const chat::MessageRecord& message) override;
  std::vector<chat::AppendResult> append_messages(
      std::span<const chat::MessageRecord> messages) override;
  std::vector<chat::MessageRecord> read_messages(const std::string& stream_id,
                                                 std::int64_t after_seq,
                                                 std::size_t limit) override;
  std::int64_t last_seq(const std::string& stream_id) override;

  bool create_room(const chat::RoomRecord& room) override;
  std::optional<chat::RoomRecord> find_room(const std::string& id) override;
  bool set_room_agent(const std::string& room_id, const std::string& agent_id) override;
  bool close_room(const std::string& room_id, const std::string& closed_by,
                  chat::Millis now) override;
  std::vector<chat::RoomRecord> open_rooms() override;
  std::vector<std::string> idle_rooms(chat::Millis before, std::size_t limit) override;
  std::vector<chat::RoomRecord> rooms_of_conversation(const std::string& conversation_id) override;
  std::vector<chat::RoomSummary> search_rooms(const chat::RoomQuery& query) override;
  std::vector<std::string> room_agents(const std::string& room_id) override;

  void upsert_request(const chat::RequestRecord& record) override;
  bool erase_request(const std::string& request_id) override;
  std::vector<chat::RequestRecord> load_requests() override;
  bool has_open_request(const std::string& customer_id) override;
  std::vector<chat::AgentRecord> load_agents() override;

  std::int64_t append_audit(const chat::Audit& audit) override;
  std::vector<chat::AuditEntry> query_audit(const chat::AuditQuery& query) override;
  chat::RemovedCounts purge_expired(const chat::RetentionCutoffs& cutoffs,
                                    std::size_t limit) override;
  chat::ErasureResult erase_customer(const std::string& customer_id) override;

  void set_customer_context(const chat::CustomerContext& context) override;
  std::optional<chat::CustomerContext> customer_context(const std::string& customer_id) override;
  bool add_note(const chat::NoteRecord& note) override;
  std::vector<chat::NoteRecord> room_notes(const std::string& room_id, std::size_t limit) override;

  bool add_attachment(const chat::AttachmentRecord& record, std::string_view bytes) override;
  std::optional<chat::AttachmentRecord> find_attachment(const std::string& id) override;
  std::optional<std::string> attachment_bytes(const std::string& id) override;

  bool add_left_message(const chat::LeftMessageRecord& message) override;
  std::vector<chat::LeftMessageRecord> list_left_messages(bool include_handled,
                                                          std::size_t limit) override;
  bool handle_left_message(const std::string& id, const std::string& agent_id,
                           chat::Millis now) override;

  chat::RatingOutcome rate_room(const std::string& room_id, const std::string& customer_id,
                                int score, const std::string& comment, chat::Millis now) override;
  std::optional<chat::RatingRecord> find_rating(const std::string& room_id) override;
  chat::RatingSummary rating_summary(chat::Millis since) override;
  chat::RatingOutcome rate_bot_answer(const std::string& message_id, const std::string& customer_id,
                                      int score, const std::string& comment,
                                      chat::Millis now) override;
  chat::RatingSummary bot_rating_summary(chat::Millis since) override;

  std::vector<chat::CannedResponse> canned_responses(const std::string& agent_id) override;
  void replace_canned_responses(const std::string& agent_id,
                                const std::vector<chat::CannedResponse>& responses) override;
  void ping() override;
  std::optional<chat::AuthorityGrant> claim_routing_authority(const std::string& node_id,
                                                              chat::Millis now,
                                                              chat::Millis lease) override;
  bool release_routing_authority(const std::string& node_id, std::int64_t epoch) override;
  bool apply_routing_writes(std::int64_t epoch,
                            const std::vector<chat::RoutingWrite>& writes) override;

  // The schema version this program writes, and the one the database is at.
  static int latest_schema_version();
  int schema_version();

 private:
  // The count and mean score of `table` (ratings, bot_ratings) since `since`.
  chat::RatingSummary summarize_ratings(std::string_view table, chat::Millis since);
  // The caller holds mutex_.
  std::optional<chat::MessageRecord> find_message_by_client_id(const chat::MessageRecord& message);
  std::optional<chat::MessageRecord> find_answer(const std::string& reply_to);
  // append_message() inside the caller's (IMMEDIATE) transaction.
  chat::AppendResult append_in_transaction(const chat::MessageRecord& message);
  // Writes the room texts append_in_transaction() stored into the word index, in one statement.
  void index_room_texts();
  // The writes of the public calls, inside the caller's transaction.
  void write_request(const chat::RequestRecord& record);
  bool delete_request(const std::string& request_id);
  void write_agent(const chat::AgentRecord& record);
  std::int64_t write_audit(const chat::Audit& audit);
  bool insert_room(const chat::RoomRecord& room);  // false: taken id or wrong conversation
  bool update_room_agent(const std::string& room_id, const std::string& agent_id);
  bool room_exists(const std::string& room_id);
  // Removes the rooms listed in temp.marked_rooms with all they hold, counting into `removed`;
  // their files are listed in pending_file_removals (deleted once committed).
  void remove_marked_rooms(chat::RemovedCounts& removed);
  // Deletes the files listed in pending_file_removals and unlists them; one that cannot be
  // deleted stays listed for the next call. Takes mutex_ itself.
  void remove_pending_files();

  std::mutex mutex_;  // one caller at a time on db_
  // The current transaction's stored room messages, (text, stream id), for index_room_texts().
  std::vector<std::pair<std::string, std::string>> unindexed_texts_;
  Database db_;
  AttachmentFolder attachments_;
};

}  // namespace aicc::store::sqlite
