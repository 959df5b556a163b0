// The PostgreSQL adapter of chat::ChatStore: the source of truth shared by every node of a
// cluster.
//
// Tables (component "chat", see the migrations in the .cpp) mirror the SQLite adapter's, with
// every string a BYTEA (byte for byte, NULs kept) and times BIGINT unix milliseconds. One column
// more: streams.last_seq, the seq of the stream's newest message.
//
// The contract details are the SQLite adapter's (store/sqlite/sqlite_chat_store.hpp), checked by
// the same contract suite. How they hold with writers on several nodes:
// - an append locks its stream's row (SELECT ... FOR UPDATE), takes last_seq + 1 and writes both
//   the message and the new last_seq before COMMIT, so appends to one stream from any number of
//   nodes queue on that row: no seq is taken twice and none is skipped (a refused append rolls
//   back without having used one). Appends to different streams never wait for each other;
// - "exactly one wins" decisions (closing a room, taking up a left message, rating a room,
//   rotating the conversation) are single conditional statements or INSERT ... ON CONFLICT, which
//   PostgreSQL decides row by row;
// - a statement that lost a race on a unique index is run again once, and then finds the winner's
//   row (a retried client message, a conversation created at the same moment).
//
// Thread-safe: every call leases its own connection from the pool. The routing authority's lease
// may have a pool of its own, so that its renewal never waits for a connection behind the rest.
#pragma once

#include <memory>
#include <string>

#include "chat/chat_store.hpp"
#include "store/postgres/pool.hpp"

namespace aicc::store::postgres {

class PostgresChatStore final : public chat::ChatStore {
 public:
  // Brings the schema up to date on one of the pool's connections (throws when it cannot).
  // `lease_pool`: where the routing authority is claimed, renewed and released (null: `pool`).
  explicit PostgresChatStore(std::shared_ptr<Pool> pool,
                             std::shared_ptr<Pool> lease_pool = nullptr);

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
  bool add_attachment(const chat::AttachmentRecord& record, std::string_view bytes) override;
  std::optional<chat::AttachmentRecord> find_attachment(const std::string& id) override;
  std::optional<std::string> attachment_bytes(const std::string& id) override;

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
  std::shared_ptr<Pool> pool_;
  std::shared_ptr<Pool> lease_pool_;
};

}  // namespace aicc::store::postgres
