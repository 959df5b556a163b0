// The storage port of the contact-center domain: conversations, their messages, consult rooms,
// the routing engine's open requests, the audit log, left messages, satisfaction ratings and the
// agents' canned responses.
//
// Everything a restart must not lose lives here: every message is stored before it is delivered,
// waiting requests are still waiting afterwards and open rooms are still open. Adapters
// (store/sqlite, later store/postgres) implement it and pass the same contract tests. Calls block
// (disk, network): the server makes them from its blocking worker pool, never from an I/O thread.
// Implementations are thread-safe, and every call is atomic on its own, also between processes
// sharing one database.
//
// Streams. Messages are kept per stream, and a stream is either the bot part of a customer's
// conversation (its id is the conversation id, "c_...") or one consult room (its id is the one
// the routing engine gave it). Both kinds share one id space, so a stream id alone says which
// messages are meant (GET /api/conversations/{id}/messages reads either kind). In every stream
// `seq` starts at 1 and has no gaps, whatever the number of writers.
//
// Refusals the caller must tell apart are results (`AppendStatus`, `RatingOutcome`, false,
// nullopt); exceptions (std::runtime_error) mean the storage itself failed, or an id the caller
// made collided with one in use.
//
// Table of contents: messages and their streams; conversations; rooms; routing records; the audit
// log; left messages; ratings; (canned responses: chat/canned_responses.hpp); the `ChatStore`
// port.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "chat/attachments.hpp"
#include "chat/canned_responses.hpp"
#include "chat/routing.hpp"

namespace aicc::chat {

// Who wrote a message; the `senderRole` of the wire, spelled like the account roles.
enum class SenderRole {
  kCustomer,  // the conversation's customer
  kAgent,     // the room's agent
  kBot,       // an answer of the bot (or the apology standing in for one)
  kSystem,    // the server itself: notices such as "the agent left"
};

inline std::string_view to_string(SenderRole role) {
  switch (role) {
    case SenderRole::kCustomer:
      return "CUSTOMER";
    case SenderRole::kAgent:
      return "AGENT";
    case SenderRole::kBot:
      return "BOT";
    case SenderRole::kSystem:
      return "SYSTEM";
  }
  return "SYSTEM";
}

inline std::optional<SenderRole> parse_sender_role(std::string_view text) {
  if (text == "CUSTOMER") return SenderRole::kCustomer;
  if (text == "AGENT") return SenderRole::kAgent;
  if (text == "BOT") return SenderRole::kBot;
  if (text == "SYSTEM") return SenderRole::kSystem;
  return std::nullopt;
}

// One stored message. On append the store sets `seq`; every other field is stored as given, byte
// for byte.
struct MessageRecord {
  std::string stream_id{};   // the conversation id or room id it belongs to
  std::int64_t seq = 0;      // position in the stream: 1, 2, 3, ... with no gaps; set by the store
  std::string message_id{};  // server-made, unique over all streams
  std::string client_message_id{};  // the sender's own id for it, to drop retries; empty: none.
                                    // Unique per stream and sender when not empty
  std::string sender_id{};          // user id of the sender; the bot's or server's name otherwise
  SenderRole sender_role = SenderRole::kCustomer;  // what the sender is in this stream
  std::string sender_name{};  // the sender's display name when it was sent (kept after a transfer
                              // or a rename); empty for the bot, and for messages stored before
                              // names were kept
  std::string text{};         // as sent; the caller enforces the size limit
  Millis created_at = 0;      // unix ms, when the server received it
  std::string reply_to{};     // bot answers: message_id of the customer message answered (the
                              // caller checks it is one of this stream); else empty. Unique when
                              // not empty: one answer per customer message
  std::vector<AttachmentRef> attachments{};  // files it carries (the caller checks they are this
                                             // stream's and the sender's); stored as given
};

enum class AppendStatus {
  kStored,           // stored with the next seq; the result's message is it, seq set
  kDuplicate,        // this sender already sent this client_message_id in this stream: nothing
                     // new is stored and the result's message is the one stored first
  kAlreadyAnswered,  // reply_to already has an answer: nothing stored; the message is that answer
  kUnknownStream,    // no conversation or room has this id: nothing stored
  kStreamClosed,     // the room is closed: nothing stored (retries of stored messages still get
                     // kDuplicate)
};

struct AppendResult {
  AppendStatus status = AppendStatus::kStored;  // what happened
  MessageRecord message{};  // with kStored, kDuplicate, kAlreadyAnswered; empty otherwise
  bool duplicate() const { return status == AppendStatus::kDuplicate; }
  // The message is in the store (now or from before): the caller may answer with it.
  bool stored() const {
    return status == AppendStatus::kStored || status == AppendStatus::kDuplicate;
  }
};

enum class StreamKind {
  kConversation,  // a conversation's bot part
  kRoom,          // a consult room
};

// What access checks need to know about a stream, of either kind.
struct StreamInfo {
  std::string id{};                             // the conversation id or room id
  StreamKind kind = StreamKind::kConversation;  // which of the two
  std::string customer_id{};                    // the customer it belongs to (both kinds)
  std::string conversation_id{};  // the conversation: its own id, or the room's conversation
  std::string agent_id{};         // rooms: the agent who has it now, empty while it waits in the
                                  // queue again; conversations: empty
  bool closed = false;            // rooms only: no more messages
  std::int64_t last_seq = 0;      // seq of its newest message; 0 when it has none
};

// A customer's conversation: one per customer, for good. Its own stream is the bot part.
struct ConversationRecord {
  std::string id{};           // server-made ("c_..."); also the id of its bot stream
  std::string customer_id{};  // unique: the customer's one conversation
  Millis created_at = 0;      // unix ms
};

// A consult room: a customer and an agent, for one routing request. Its id is also its stream's.
struct RoomRecord {
  std::string id{};               // from the routing engine; unique over rooms and conversations
  std::string conversation_id{};  // the customer's conversation
  std::string request_id{};       // the routing request it serves
  std::string customer_id{};      // the conversation's customer
  std::string agent_id{};         // who has it now; changes on transfer; empty while it waits in
                                  // the queue again after a requeue
  Millis created_at = 0;          // unix ms, first assignment
  std::optional<Millis> closed_at{};  // unix ms; empty while open. Closed rooms stay closed
  std::string closed_by{};      // user id of whoever closed it; empty: the server (or still open)
  std::string category{};       // the request's category when the room was opened; may be empty
  std::string customer_name{};  // the customer's display name then, for lists and exports
};

// Which rooms to list in the history: every filter given must match. Newest first.
struct RoomQuery {
  Millis from = std::numeric_limits<Millis>::min();  // created_at, unix ms, inclusive
  Millis to = std::numeric_limits<Millis>::max();    // created_at, unix ms, exclusive
  std::string agent_id{};     // empty: any; else rooms it was ever assigned (room_agents)
  std::string customer_id{};  // empty: any
  std::string category{};     // empty: any; else exactly this
  enum class State { kAny, kOpen, kClosed } state = State::kAny;
  int min_score = 0;     // 1..5: rated at least this; 0: no lower bound
  int max_score = 0;     // 1..5: rated at most this; 0: no upper bound
  bool unrated = false;  // only rooms without a rating (the score bounds must be 0)
  // Words the room's messages must contain, each somewhere in the room (case-insensitive for
  // Latin letters); the caller bounds their number and length and drops empty ones.
  std::vector<std::string> words{};
  // Paging cursor: only rooms older than this (created_at, id), in the newest-first order.
  std::optional<std::pair<Millis, std::string>> before{};
  std::size_t limit = 50;  // at most this many; the caller caps what users may ask for
};

// One room as the history lists it.
struct RoomSummary {
  RoomRecord room{};
  std::int64_t last_seq = 0;     // its newest message's seq (how many it has)
  std::optional<int> score{};    // the customer's rating, when given
  std::string rating_comment{};  // with it; may be empty
};

// One line of the audit log: a routing decision, as the engine's `Audit` effect told it.
struct AuditEntry {
  std::int64_t id = 0;  // set by the store: increasing in append order, never reused
  Audit audit{};        // event, time, request, agents, reason and candidates, stored as given
};

// Which audit entries to read. Every filter given must match.
struct AuditQuery {
  Millis from = std::numeric_limits<Millis>::min();  // unix ms, inclusive
  Millis to = std::numeric_limits<Millis>::max();    // unix ms, exclusive
  std::string request_id{};                          // empty: any
  std::string agent_id{};     // empty: any; else entries where it is the agent or the from-agent
  bool newest_first = false;  // order by id, descending when set
  std::int64_t after_id = 0;  // paging cursor: only entries past this id in the chosen order
                              // (id > after_id, or id < after_id when newest_first); 0: from the
                              // start
  std::size_t limit = 100;    // at most this many; the caller caps what users may ask for
};

// A message left for the agents when waiting took too long (routing max-wait): an offline request
// that an agent takes up later.
struct LeftMessageRecord {
  std::string id{};                    // server-made, unique
  std::string customer_id{};           // who left it
  std::string customer_name{};         // display name at the time, for the agents' list
  std::string conversation_id{};       // the customer's conversation
  std::string request_id{};            // the routing request that was waiting; may be empty
  std::string category{};              // as the request had it; may be empty
  std::string contact{};               // how to reach the customer, as they gave it; may be empty
  std::string text{};                  // the message
  Millis created_at = 0;               // unix ms
  std::optional<Millis> handled_at{};  // unix ms when an agent took it up; empty while open
  std::string handled_by{};            // that agent's id; empty while open
};

// A private note in a consult room: agents and supervisors read it, the customer never does. A
// transfer leaves one too (kTransfer: who handed the room to whom, with the reason given, which
// may be empty).
enum class NoteKind { kNote, kTransfer };
inline std::string_view to_string(NoteKind kind) {
  return kind == NoteKind::kTransfer ? "transfer" : "note";
}

struct NoteRecord {
  std::string id{};       // server-made, unique
  std::string room_id{};  // the room it is about
  NoteKind kind = NoteKind::kNote;
  std::string author_id{};    // the agent who wrote it (for a transfer: who handed it over)
  std::string author_name{};  // their display name at the time
  std::string to_agent_id{};  // transfers: who got the room; empty for "back to the queue"
  std::string to_agent_name{};
  std::string text{};     // may be empty for a transfer; the caller enforces the size limit
  Millis created_at = 0;  // unix ms
};

// Where a customer is, as their widget last said it: the page it is on and the browser. Shown to
// the agents beside the chat; told by the client, so informative only.
struct CustomerContext {
  std::string customer_id{};
  std::string page_url{};  // the page that embeds the widget
  std::string page_title{};
  std::string referrer{};    // where that page was reached from
  std::string lang{};        // the widget's language
  std::string user_agent{};  // the browser's User-Agent
  std::string member_id{};   // a member's username; empty for a guest
  Millis updated_at = 0;     // unix ms
};

// A customer's satisfaction rating of one consult room.
struct RatingRecord {
  std::string room_id{};      // one rating per room
  std::string customer_id{};  // the room's customer, who gave it
  std::string agent_id{};     // the room's agent when it was given (empty if it had none)
  int score = 0;              // 1 to 5
  std::string comment{};      // may be empty; the caller enforces the size limit
  Millis created_at = 0;      // unix ms
};

// Ratings given in a time window, for the supervisor's satisfaction figure.
struct RatingSummary {
  std::int64_t count = 0;  // ratings given
  double average = 0.0;    // mean score, 1 to 5; 0 when count is 0
};

enum class RatingOutcome {
  kStored,        // the rating is stored
  kAlreadyRated,  // the room has a rating: nothing changed
  kInvalidScore,  // score outside 1..5: nothing stored
  kUnknownRoom,   // no such room, or not this customer's
};

// Retention (retention.*): how old each kind of data may grow. 0: that kind is kept.
struct RetentionCutoffs {
  // Consult rooms closed before this (with their messages, notes, files and rating), bot messages,
  // left messages and customers' context written before it.
  Millis chats = 0;
  Millis attachments = 0;  // files uploaded before this (their messages stay)
  Millis audit = 0;        // audit entries before this
};

// What one retention batch or one erasure removed.
struct RemovedCounts {
  std::size_t conversations = 0;
  std::size_t rooms = 0;
  std::size_t messages = 0;
  std::size_t attachments = 0;
  std::size_t ratings = 0;
  std::size_t notes = 0;
  std::size_t left_messages = 0;
  std::size_t contexts = 0;
  std::size_t requests = 0;
  std::size_t audit_entries = 0;
  std::size_t total() const {
    return conversations + rooms + messages + attachments + ratings + notes + left_messages +
           contexts + requests + audit_entries;
  }
  RemovedCounts& operator+=(const RemovedCounts& other);
};
// "2 rooms, 41 messages, 1 file": the non-zero counts, for logs and the audit.
std::string describe(const RemovedCounts& counts);

enum class ErasureStatus {
  kErased,       // everything of the customer is gone (or there was nothing)
  kOpenConsult,  // refused, nothing changed: a request waits or a room is open
};
struct ErasureResult {
  ErasureStatus status = ErasureStatus::kErased;
  RemovedCounts removed{};
};

// The routing authority: one node at a time makes routing decisions (center/). It holds a lease
// in the store and renews it; when the lease ran out, another node may claim it, under the next
// epoch. Every decision's writes carry the epoch they were decided under and are refused whole
// once another node has claimed (fencing), so a former authority that was paused or cut off can
// never write over its successor's decisions, whatever the clocks say.
struct AuthorityGrant {
  std::int64_t epoch = 0;  // 1, 2, 3, ...: one more at each change of holder
  Millis lease_until = 0;  // unix ms; the holder renews before this
};

// One write of a routing decision (the engine's StoreUpsert / StoreErase / Audit effects, and
// the room changes an assignment or a requeue makes).
struct RoomAssignment {
  RoomRecord room{};  // created when new (its closed fields ignored), else its agent set
};
struct RoomUnassignment {
  std::string room_id{};  // the room waits in the queue again: its agent is cleared
};
using RoutingWrite =
    std::variant<StoreUpsert, StoreErase, Audit, RoomAssignment, RoomUnassignment, StoreAgent>;

inline constexpr int kMinScore = 1;
inline constexpr int kMaxScore = 5;

class ChatStore {
 public:
  virtual ~ChatStore() = default;

  // Conversations.

  // The customer's conversation; when they have none yet, creates it with `new_id` and `now`.
  // Idempotent per customer: later calls return the first conversation and ignore their `new_id`.
  virtual ConversationRecord get_or_create_conversation(const std::string& customer_id,
                                                        const std::string& new_id, Millis now) = 0;
  virtual std::optional<ConversationRecord> find_conversation(const std::string& id) = 0;
  virtual std::optional<ConversationRecord> conversation_of_customer(
      const std::string& customer_id) = 0;
  // A stream of either kind by id, with its owner, agent and newest seq: what the readers'
  // access checks (history, since-seq replay) need in one call.
  virtual std::optional<StreamInfo> find_stream(const std::string& id) = 0;

  // Messages.

  // Stores `message` (its seq is ignored) as the stream's next one, atomically: see AppendStatus
  // for what is refused. A repeated client_message_id of the same sender gives the message stored
  // the first time, even if the text differs.
  virtual AppendResult append_message(const MessageRecord& message) = 0;
  // Group commit: stores each message as append_message() would, in this order, in one
  // transaction (one commit for many senders' messages). A message sees those before it in the
  // batch (their seqs, their client ids). The results are in the order of `messages`. Throws,
  // and stores none of them, when the store fails.
  virtual std::vector<AppendResult> append_messages(std::span<const MessageRecord> messages) = 0;
  // Messages of the stream with seq > after_seq, oldest first, at most `limit`. Unknown streams
  // have none.
  virtual std::vector<MessageRecord> read_messages(const std::string& stream_id,
                                                   std::int64_t after_seq, std::size_t limit) = 0;
  // The seq of the stream's newest message; 0 when it has none or does not exist.
  virtual std::int64_t last_seq(const std::string& stream_id) = 0;

  // Rooms.

  // Opens a room (its closed fields are ignored). False, storing nothing, when the id is already a
  // room's or a conversation's, or the conversation is unknown or not `customer_id`'s.
  virtual bool create_room(const RoomRecord& room) = 0;
  virtual std::optional<RoomRecord> find_room(const std::string& id) = 0;
  // The room's new agent (a transfer, a reassignment after requeue, or empty while it waits).
  // False when the room is unknown or closed.
  virtual bool set_room_agent(const std::string& room_id, const std::string& agent_id) = 0;
  // Closes the room: no more messages. True only for the call that closed it; false when it was
  // unknown or already closed (the first close's who and when are kept). `closed_by` empty: the
  // server.
  virtual bool close_room(const std::string& room_id, const std::string& closed_by, Millis now) = 0;
  virtual std::vector<RoomRecord> open_rooms() = 0;  // by creation time, then id
  // Open rooms with no message since `before` (unix ms; a room without messages counts from its
  // creation), oldest first, at most `limit`: rooms to close for inactivity.
  virtual std::vector<std::string> idle_rooms(Millis before, std::size_t limit) = 0;
  // Every room of the conversation, open or closed, by creation time, then id.
  virtual std::vector<RoomRecord> rooms_of_conversation(const std::string& conversation_id) = 0;
  // Every agent the room was ever assigned to (at creation, by set_room_agent or a routing write),
  // sorted; empty for an unknown room.
  virtual std::vector<std::string> room_agents(const std::string& room_id) = 0;
  // The history: rooms matching every filter of `query`, newest first (created_at, then id,
  // both descending), at most query.limit.
  virtual std::vector<RoomSummary> search_rooms(const RoomQuery& query) = 0;

  // Routing records: the engine's open requests (StoreUpsert / StoreErase), for Routing::restore.

  // Inserts or replaces the record with this id, every field as given.
  virtual void upsert_request(const RequestRecord& record) = 0;
  // False when there was no such record.
  virtual bool erase_request(const std::string& request_id) = 0;
  // Every stored record, by requested_at, then id; rejected_by sorted.
  virtual std::vector<RequestRecord> load_requests() = 0;
  // Whether `customer_id` has a consult request open (waiting, or with an agent): read on every
  // customer message to the bot, which is silent meanwhile.
  virtual bool has_open_request(const std::string& customer_id) = 0;
  // Every agent's record (written with apply_routing_writes), by agent id.
  virtual std::vector<AgentRecord> load_agents() = 0;

  // Audit log.

  // Appends the entry and returns its id.
  virtual std::int64_t append_audit(const Audit& audit) = 0;
  virtual std::vector<AuditEntry> query_audit(const AuditQuery& query) = 0;

  // Retention and erasure.

  // One batch of the retention job: of each kind, at most `limit` (rooms: `limit` rooms with all
  // they hold), oldest first, whose time is before its cutoff. Open rooms, waiting requests and
  // conversations themselves are never removed here. Call again until nothing was removed.
  virtual RemovedCounts purge_expired(const RetentionCutoffs& cutoffs, std::size_t limit) = 0;
  // Everything stored about one customer, in one transaction: their conversation and its
  // messages, their rooms with everything in them (messages, notes, files, ratings), their
  // closed requests and the audit entries about those, left messages and context. Refused, and
  // nothing changed, while they have a waiting request or an open room. Accounts and tokens are
  // the user store's (auth::UserStore::erase_user).
  virtual ErasureResult erase_customer(const std::string& customer_id) = 0;

  // Left messages.

  // Stores it open (its handled fields are ignored). False when the id is taken.
  virtual bool add_left_message(const LeftMessageRecord& message) = 0;
  // Oldest first, then by id; open ones only unless `include_handled`; at most `limit`.
  virtual std::vector<LeftMessageRecord> list_left_messages(bool include_handled,
                                                            std::size_t limit) = 0;
  // Marks it taken up by the agent. True only for the first agent; false when unknown or handled.
  virtual bool handle_left_message(const std::string& id, const std::string& agent_id,
                                   Millis now) = 0;

  // Attachments: uploaded into a room, then carried by its messages. Ids are server-made of
  // letters, digits, '_' and '-' (an adapter may name a file after them).

  // Stores the file's record and bytes. False, storing nothing, when the id is taken or the room is
  // unknown or closed.
  virtual bool add_attachment(const AttachmentRecord& record, std::string_view bytes) = 0;
  virtual std::optional<AttachmentRecord> find_attachment(const std::string& id) = 0;
  // The stored bytes; nullopt when the id is unknown.
  virtual std::optional<std::string> attachment_bytes(const std::string& id) = 0;

  // Customers' context: replaced whole at each report.
  virtual void set_customer_context(const CustomerContext& context) = 0;
  virtual std::optional<CustomerContext> customer_context(const std::string& customer_id) = 0;

  // Private notes of rooms.

  // Stores it. False when the id is taken or the room is unknown.
  virtual bool add_note(const NoteRecord& note) = 0;
  // The room's notes, oldest first (then by id), at most `limit`.
  virtual std::vector<NoteRecord> room_notes(const std::string& room_id, std::size_t limit) = 0;

  // Ratings.

  // The customer's rating of their room, once per room; the room's current agent is recorded
  // with it.
  virtual RatingOutcome rate_room(const std::string& room_id, const std::string& customer_id,
                                  int score, const std::string& comment, Millis now) = 0;
  virtual std::optional<RatingRecord> find_rating(const std::string& room_id) = 0;
  // The ratings given at or after `since` (unix ms).
  virtual RatingSummary rating_summary(Millis since) = 0;
  // The customer's rating of one of the bot's answers (`message_id`, in their own conversation),
  // once per answer: kUnknownRoom when it is not a bot answer of theirs.
  virtual RatingOutcome rate_bot_answer(const std::string& message_id,
                                        const std::string& customer_id, int score,
                                        const std::string& comment, Millis now) = 0;
  // The bot answers' ratings given at or after `since`.
  virtual RatingSummary bot_rating_summary(Millis since) = 0;

  // Canned responses: each agent's own list. The caller checks the limits
  // (parse_canned_responses) and makes the ids.

  // The agent's list in the order it was saved; empty when they have none.
  virtual std::vector<CannedResponse> canned_responses(const std::string& agent_id) = 0;
  // Replaces the agent's whole list at once (an empty one deletes it); other agents' lists are
  // untouched. A shortcut repeated within the list, or an id that is already another entry's,
  // throws std::runtime_error and changes nothing, like every id collision here.
  virtual void replace_canned_responses(const std::string& agent_id,
                                        const std::vector<CannedResponse>& responses) = 0;

  // Routing authority.

  // `node_id` claims or renews the authority until now + lease: renewed under the same epoch
  // when it holds it (even past its lease, as long as no other node claimed meanwhile), taken
  // under the next epoch when it is free or its holder's lease ran out; nullopt while another
  // node's lease runs.
  virtual std::optional<AuthorityGrant> claim_routing_authority(const std::string& node_id,
                                                                Millis now, Millis lease) = 0;
  // `node_id` gives up the authority it holds under `epoch` (it is shutting down): the next claim
  // of any node is granted, under the next epoch, without waiting for the lease to run out.
  // False, and nothing changed, when `node_id` does not hold `epoch`.
  virtual bool release_routing_authority(const std::string& node_id, std::int64_t epoch) = 0;
  // The writes of one routing decision, in order and in one transaction, if `epoch` is still the
  // authority's: true when written, false (nothing written) when another node claimed since.
  // A write that fails throws and leaves nothing written either.
  virtual bool apply_routing_writes(std::int64_t epoch,
                                    const std::vector<RoutingWrite>& writes) = 0;

  // A cheap read of the messages table that throws std::runtime_error when the store cannot
  // serve (for readiness checks: the database is unreachable, the schema is not there).
  virtual void ping() = 0;
};

}  // namespace aicc::chat
