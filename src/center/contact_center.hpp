// The contact center service: where the pure chat domain meets the store, the broker, the bot and
// the clock.
//
// It lives on one executor of its own (a dedicated thread): store calls block, and doing every
// change of conversations there, one after the other, keeps each stream's messages stored and
// delivered in seq order with no lock. STOMP handlers and HTTP routes run on I/O threads; they
// check the shape of a request there and hand the work over (post or co_spawn).
//
// Its parts: the bot conversation (bot_conversation.hpp: a customer message is stored, then
// answered once, by the bot's HTTP reply or its webhook, or by an apology when the bot fails), the
// rooms (rooms.hpp: their members, messages and events), the read-only views (consult_views.hpp),
// the routing authority's lease (authority_lease.hpp) and agent presence across nodes
// (agent_presence.hpp).
// contact_center.cpp wires them to the STOMP and HTTP entry points. contact_center_routing.cpp
// holds consult requests, agents and 1:1 rooms: the pure chat::Routing engine decides, this class
// stores and announces what it decided, and arms one timer at its next deadline.
// contact_center_views.cpp answers the pages' read-only questions (consult_views.hpp: current
// consult, queue, an agent's rooms, agents, live figures) from the same executor, and
// contact_center_canned.cpp keeps the agents' canned responses.
//
// Who may read a room is asked on every SUBSCRIBE from I/O threads, so the room directory has a
// lock of its own (the only lock here).
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "auth/user.hpp"
#include "auth/user_store.hpp"
#include "broker/app_router.hpp"
#include "broker/publisher.hpp"
#include "center/agent_presence.hpp"
#include "center/authority_lease.hpp"
#include "center/bot_conversation.hpp"
#include "center/caller.hpp"
#include "center/consult_views.hpp"
#include "center/customer_presence.hpp"
#include "center/room_directory.hpp"
#include "center/rooms.hpp"
#include "chat/bot_outcomes.hpp"
#include "chat/chat_store.hpp"
#include "chat/live_figures.hpp"
#include "chat/routing.hpp"
#include "chat/webhook_signature.hpp"
#include "config/config.hpp"
#include "net/metrics.hpp"
#include "util/token_bucket.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace aicc::util {
class PeriodicThread;
}  // namespace aicc::util

namespace aicc::net {
class BlockingPool;
class Bus;
struct BusEvent;
}  // namespace aicc::net

namespace aicc::center {

class ContactCenter {
 public:
  using RoomMembers = RoomDirectory::Members;

  // `shared`: where the webhook replay cache lives across nodes (null: in this process).
  ContactCenter(const config::Config& config, chat::ChatStore& store, broker::Publisher& publisher,
                net::Metrics& metrics, boost::asio::any_io_executor executor,
                util::SharedState* shared = nullptr);
  ~ContactCenter();

  // Where work that may wait on the network (Redis, with several nodes) runs instead of the
  // service's executor. Set before serving; without it, such work runs where it is asked.
  void set_blocking_pool(net::BlockingPool* pool) { blocking_ = pool; }
  // The accounts an erasure removes with a customer's data, how long an access token issued now
  // lives, what ends a customer's sessions here at once (apply the revocations) and how long the
  // other processes take to end theirs (center/customer_erasure.hpp). Without them
  // DELETE /api/admin/customers/{id} answers 503.
  void set_accounts(auth::UserStore* users, std::int64_t token_lifetime,
                    std::function<void()> revoked, std::chrono::milliseconds settle) {
    accounts_ = users;
    token_lifetime_ = token_lifetime;
    after_erasure_ = std::move(revoked);
    erasure_settle_ = settle;
  }

  // /app/bot.message and the other destinations of the service, and what its clients may
  // subscribe to.
  void add_handlers(broker::AppRouter& router);

  // Restores waiting requests and open rooms from the store and arms the routing timer. Call once,
  // before serving.
  void start();
  // Gives up the routing authority if this node holds it, so that another node takes over at
  // once instead of when the lease runs out. Call once the service executor has stopped (the
  // destructor does it too).
  void stop();

  // Several nodes (contact_center_cluster.cpp): joins the bus before start(). Routing commands
  // received while another node holds the routing authority are forwarded to it; room membership
  // and agent presence are shared.
  void set_bus(net::Bus* bus);  // nullptr: leaves it (at shutdown, before the bus stops)
  // An event of the contact center's kinds from another node. Any thread.
  void on_bus_event(const net::BusEvent& event);
  // Membership broadcasts may have been missed (the bus was down): open rooms read again from
  // the store. Any thread.
  void reload_rooms();
  // The epoch of the routing authority this node holds; 0 when it holds none. Any thread.
  std::int64_t authority_epoch() const { return lease_.epoch(); }
  // The room messages' transactions so far (for /metrics; any thread): how many, the messages
  // they stored, and the time spent in them.
  struct RoomCommitFigures {
    std::uint64_t commits = 0;
    std::uint64_t messages = 0;
    double seconds = 0;
  };
  RoomCommitFigures room_commit_figures() const;

  // SUBSCRIBE to /topic/room/{id}: only its customer and its current agent. Empty when allowed,
  // else the reason. Any thread.
  std::string authorize_room(const std::string& user_id, std::string_view destination) const;

  // SUBSCRIBE /topic/room/{id} with since-seq: reads one page of the room, up to `max_count`
  // messages after `after_seq`, on the service executor and hands it to `done` (ok false, and the
  // reason logged, when the store failed). False for other destinations. Any thread.
  using ReplayDone =
      std::function<void(std::vector<std::shared_ptr<const stomp::Message>> page, bool ok)>;
  bool replay_room(std::string_view destination, std::uint64_t after_seq, std::size_t max_count,
                   ReplayDone done);

  // SUBSCRIBE /topic/room/{id} without since-seq: the room's newest seq, read on the service
  // executor and handed to `done`. False for other destinations. Any thread.
  bool room_position(std::string_view destination,
                     std::function<void(std::optional<std::uint64_t>)> done);

  // An agent's first connection opened, or their last one closed. Any thread.
  void agent_presence(const std::string& agent_id, bool connected);
  // The same of a customer (contact_center_presence.cpp). Any thread.
  void customer_presence(const std::string& customer_id, bool connected);

  // HTTP entry points, callable from any executor; the work runs on the service's.
  boost::asio::awaitable<Answer> post_bot_message(Caller caller, std::string body);
  boost::asio::awaitable<Answer> bot_webhook(std::string timestamp, std::string signature,
                                             std::string body);
  boost::asio::awaitable<Answer> history(Caller caller, std::string stream_id, std::string after,
                                         std::string limit);
  // GET /api/admin/audit (admins): `query` holds requestId, agentId, from, to (unix ms), after
  // (paging cursor), limit, order (asc|desc).
  boost::asio::awaitable<Answer> audit(Caller caller, std::map<std::string, std::string> query);
  // GET /api/consult/offline (agents, admins): messages customers left instead of waiting.
  boost::asio::awaitable<Answer> offline_requests(Caller caller, bool include_handled);

  // Read-only views for the pages (contact_center_views.cpp); each reads the routing state on the
  // service executor, changes nothing, and answers 403 to the roles it is not for.
  // GET /api/consult/current (customers): their bot conversation id and open request, if any.
  boost::asio::awaitable<Answer> current_consult(Caller caller);
  // GET /api/consult/history (customers; contact_center_history.cpp): the rooms of their
  // conversation, oldest first (the newest 50), with agent, times and rating.
  boost::asio::awaitable<Answer> customer_history(Caller caller);
  // GET /api/customers/{id}/context (agents, admins): where the customer is, and their rooms.
  boost::asio::awaitable<Answer> customer_context(Caller caller, std::string customer_id);
  // DELETE /api/admin/customers/{id} (admins; contact_center_erasure.cpp): erases everything of
  // the customer (center/customer_erasure.hpp).
  boost::asio::awaitable<Answer> erase_customer(Caller caller, std::string customer_id);
  // The history of rooms (contact_center_records.cpp; agents: the rooms they had; admins: all).
  // GET /api/history/rooms: `parameters` as center/history_query.hpp reads them.
  boost::asio::awaitable<Answer> room_history(Caller caller,
                                              std::map<std::string, std::string> parameters);
  // GET /api/history/rooms.csv: the same rooms as CSV (at most 10 000).
  boost::asio::awaitable<Answer> room_history_csv(Caller caller,
                                                  std::map<std::string, std::string> parameters);
  // GET /api/history/rooms/{id}: one room's record and private notes, for its transcript.
  boost::asio::awaitable<Answer> room_record(Caller caller, std::string room_id);
  // GET /api/consult/hours (anyone; the hours are public): whether agents are there now, and when
  // that changes. Any thread: the hours never change after start.
  Answer business_hours_now() const;
  // POST /api/rooms/{id}/attachments (the room's customer or agent; contact_center_attachments):
  // one file, `bytes` already capped at attachments.max-bytes by the HTTP layer.
  boost::asio::awaitable<Answer> upload_attachment(Caller caller, std::string room_id,
                                                   std::string declared_type, std::string name,
                                                   std::string bytes);
  // GET /api/attachments/{id}: the room's customer and staff only.
  boost::asio::awaitable<Answer> attachment(Caller caller, std::string id);
  // POST /api/admin/agents/{id}/status (admins): `body` {status: available | away | offline}.
  boost::asio::awaitable<Answer> supervise_agent(Caller caller, std::string agent_id,
                                                 std::string body);
  // The admin user API (contact_center_users.cpp), admins only. An agent's own room limit (0:
  // routing.max-rooms-per-agent), applied where the routing engine is; and a disabled agent
  // signed out of routing, their rooms handled as when an agent signs out and disconnects.
  boost::asio::awaitable<Answer> set_agent_room_limit(Caller caller, std::string agent_id,
                                                      int max_rooms);
  boost::asio::awaitable<Answer> sign_out_agent(Caller caller, std::string agent_id);
  // Where the node that takes the routing authority reads every agent's own room limit (the user
  // store). Set before start(); without it, every agent has the configured default.
  using RoomLimitsSource = std::function<std::vector<std::pair<std::string, int>>()>;
  void set_room_limits_source(RoomLimitsSource source) { room_limits_source_ = std::move(source); }

  // GET /api/consult/queue (agents, admins): the waiting requests, in queue order.
  boost::asio::awaitable<Answer> consult_queue(Caller caller);
  // GET /api/agent/rooms (agents): the caller's open rooms, so a reloaded console restores them.
  boost::asio::awaitable<Answer> agent_rooms(Caller caller);
  // GET /api/agents (agents, admins): every agent seen since start, e.g. to pick a transfer target.
  boost::asio::awaitable<Answer> agent_list(Caller caller);
  // GET /api/admin/stats (admins): the supervisor page's live figures.
  boost::asio::awaitable<Answer> stats(Caller caller);

  // The caller's canned responses (agents; contact_center_canned.cpp): GET reads the list, PUT
  // replaces it whole with the entries of `body` (chat/canned_responses.hpp has the limits).
  boost::asio::awaitable<Answer> canned_responses(Caller caller);
  boost::asio::awaitable<Answer> replace_canned_responses(Caller caller, std::string body);

 private:
  Answer history_now(const Caller& caller, const std::string& stream_id, std::string_view after,
                     std::string_view limit);

  // Runs `work` (returning Answer) on the service executor; awaiting the result resumes the
  // caller on its own. Pass a named callable: see net/blocking_pool.hpp on GCC 12. A store failure
  // is answered 503 store_unavailable.
  template <class Work>
  boost::asio::awaitable<Answer> on_service(Work&& work);
  template <class Work>
  boost::asio::awaitable<Answer> on_blocking(Work&& work);
  // Whether `caller` may read the room's messages, files, notes and record: its customer, an agent
  // it was ever assigned to, an agent serving its customer in an open room now (their earlier
  // chats beside the live one), or an admin. Reads the store (blocking).
  bool may_read_room(const Caller& caller, const chat::RoomRecord& room);

  // A client's SEND being handled on the service executor (see on_request).
  struct Request {
    std::string user_id;
    stomp::Frame cause;  // receipt and request-id, for the answer
    broker::SendCompletion completion;
    bool refused = false;
    // A transfer being applied: the note it leaves (who, to whom, why), for the agent who gets the
    // room; stored once the transfer is applied.
    std::optional<chat::NoteRecord> transfer_note{};
  };
  // Hands `work(Request&)` to the service executor behind a barrier. The SEND's RECEIPT goes once
  // `work` has returned (what it stored is committed); a refusal made with refuse() goes instead
  // of it; an exception (the store failed) is logged with `what` and answered with
  // store_unavailable, and the service carries on. Call on the I/O thread, from a handler.
  template <class Work>
  broker::AppResult on_request(const broker::AppMessage& message, std::string_view what, Work work);
  // on_request() for what the routing engine decides: refused `routing_unavailable` while this
  // node does not hold the routing authority.
  template <class Work>
  broker::AppResult on_routing_request(const broker::AppMessage& message, std::string_view what,
                                       Work work);
  // Masks resident registration and card numbers in a chat text as it arrives, unless
  // privacy.mask-identifiers is off (chat/personal_data.hpp).
  void mask_personal_data(std::string& text) const;
  // Refuses the request on the sender's /user/queue/errors (with its receipt-id): no RECEIPT.
  void refuse(Request& request, std::string_view code, std::string_view message);
  // The barrier's answer to a request whose work threw.
  void request_failed(Request& request, std::string_view what, const std::exception& error);

  // /app/room.send, group-committed (contact_center_room_sends.cpp): the messages of every room
  // and sender wait on the service executor and are stored in one transaction per turn, so the
  // batch grows with the load; each RECEIPT goes after that commit. The transaction runs on a
  // writer thread of its own, one batch at a time, while the executor goes on with its other
  // work and the next messages gather; batches are published in the order they were stored.
  // Work of any other request first waits for the batch with the writer and commits what
  // waits, so a client's SENDs still apply in the order they came.
  struct RoomSend {
    Request request;
    Caller caller;
    std::string room_id;
    std::string text;
    std::string client_message_id;
    std::vector<std::string> attachment_ids;
  };
  // At most this many messages per transaction.
  static constexpr std::size_t kMaxRoomSendsPerCommit = 256;
  broker::AppResult queue_room_send(const broker::AppMessage& message, RoomSend send);
  // The same, from work on the executor that found the message belongs in a room: `request`'s
  // RECEIPT then goes with the room's commit (on_request() leaves it alone).
  void divert_to_room(Request& request, RoomSend send);
  // The open room in which an agent has the customer's chat, if any (on the executor).
  std::optional<std::string> room_with_agent_of(const std::string& customer_id);
  // A batch checked and handed to the writer (defined in contact_center_room_sends.cpp).
  struct RoomCommit;
  // The posted turn: hands the next batch to the writer unless one is with it already.
  void run_room_commit();
  // The barrier of other work: waits for the batch with the writer, then stores what waits
  // right here (on the executor; any number of times).
  void commit_room_sends();
  // Waits for the batch with the writer, if any, and publishes it: called first by work that
  // changes a room (closes, transfers, routing effects), so that no room event overtakes a
  // message stored before it.
  void settle_room_writer();
  // Checks the next batch of room_sends_ (refusals answered); nullptr once none is left to store.
  std::shared_ptr<RoomCommit> prepare_room_commit();
  void hand_to_writer(std::shared_ptr<RoomCommit> commit);
  void writer_done(const std::shared_ptr<RoomCommit>& commit);
  // Publishes the batch stored (or answers its failure), each RECEIPT after its message.
  void finish_room_commit(RoomCommit& commit);

  void add_routing_handlers(broker::AppRouter& router);
  // contact_center_offline.cpp: left messages (routing.max-wait) and satisfaction ratings.
  void add_offline_handlers(broker::AppRouter& router);
  // contact_center_notes.cpp: agents' private notes of their rooms.
  void add_note_handlers(broker::AppRouter& router);
  // contact_center_history.cpp: /app/customer.context, and the rooms of a conversation as JSON.
  void add_context_handlers(broker::AppRouter& router);
  boost::json::array rooms_of_customer(const std::string& conversation_id);
  std::unordered_map<std::string, std::string> agent_names();  // id to display name, from the store
  std::variant<chat::RoomQuery, Answer> history_query_for(
      const Caller& caller, const std::map<std::string, std::string>& parameters);
  // Applies what the routing engine decided, then re-arms its timer. On the service executor.
  // `request`: the client request these effects answer, if any; a refusal for its sender
  // answers it (receipt id, no RECEIPT).
  void apply(chat::Effects effects, Request* request = nullptr);
  // The store writes of `effects`, as one fenced transaction (ChatStore::apply_routing_writes).
  void write_decision(const chat::Effects& effects, chat::Millis now);
  void apply_one(chat::Effect& effect, chat::Millis now, Request* request);
  // The routing authority (see chat/chat_store.hpp): claimed or renewed every second on a thread
  // of its own (`take_here`: at start, before anything else runs); the node that holds it
  // restores the routing state from the store (take_authority, on the service executor) and
  // decides; one that lost it stops (step_down); one that stops gives it up (stop).
  void renew_authority(bool take_here);
  void take_authority(const chat::AuthorityGrant& grant);
  void step_down(std::string_view why);
  void arm_heartbeat_timer();
  // contact_center_cluster.cpp
  broker::AppResult forward_routing(const broker::AppMessage& message);
  void settle_forwarded(const std::string& correlation, std::uint64_t outcome);
  void execute_forwarded(const net::BusEvent& command);
  void run_routing_command(const net::BusEvent& command, std::function<void(std::uint64_t)> reply);

  // The read-only views (contact_center_views.cpp), computed where the routing engine is.
  // kSuperviseAgent is not read-only: a supervisor's change to an agent, made where the engine is
  // like a view is read (its `argument`: the JSON the route checked).
  enum class View : std::uint8_t {
    kCurrentConsult,
    kQueue,
    kAgentRooms,
    kAgents,
    kStats,
    kSuperviseAgent,
    kRoomLimit,     // {agentId, maxRooms}: room_limit_now
    kSignOutAgent,  // {agentId}: sign_out_agent_now
  };
  static constexpr View kLastView = View::kSignOutAgent;
  // Here when this node holds the routing authority (or there is no bus), else asked of the node
  // that holds it (503 routing_unavailable when none answers within the forward timeout).
  boost::asio::awaitable<Answer> view(View which, Caller caller, std::string argument = {});
  // On the service executor.
  Answer view_now(View which, const Caller& caller, const std::string& argument);
  // Across nodes (contact_center_cluster.cpp).
  boost::asio::awaitable<Answer> view_at_authority(View which, Caller caller, std::string argument);
  // {agentId, status}: puts the agent in the queue (available), out of auto-assignment (away) or
  // out of routing (offline), and tells their console (contact_center_supervisor.cpp).
  Answer supervise_agent_now(const Caller& caller, const std::string& argument);
  Answer room_limit_now(const Caller& caller, const std::string& argument);
  Answer sign_out_agent_now(const Caller& caller, const std::string& argument);
  RoomLimitsSource room_limits_source_;
  // The view's answer; nullopt: nobody will answer (503 at once). The first answer wins.
  void settle_view(const std::string& correlation, std::optional<Answer> answer);
  void execute_view(const net::BusEvent& request);
  // Changes one room's members here and, with a bus, on every node; nullopt: the room closed.
  void set_room_members(const std::string& room_id, std::optional<RoomMembers> members);
  void heartbeat_presence();
  // Tells the engine which agents came or went, from this node's and the others' heartbeats.
  void update_presence();
  void arm_routing_timer();
  // Customers' presence (contact_center_presence.cpp), at the authority. `node`: where the
  // connection opened or closed.
  void on_customer_presence(const std::string& customer_id, const std::string& node,
                            bool connected);
  void announce_customer(const std::string& customer_id, bool present);
  void sweep_customers();  // every second: announce absences, withdraw requests past the grace
  // Closes the rooms with no message for routing.room-idle-close (both sides are told why).
  void close_idle_rooms();
  chat::Millis last_idle_sweep_ = 0;
  // Cancels the customer's request (a room waiting again with it is closed too); false when the
  // engine refused (the refusal went to the customer, answering `request` if given).
  bool withdraw_request(const std::string& customer_id, const std::string& request_id,
                        Request* request);
  // Closes the room in the store and, when it was open, takes it from the directory and tells
  // both sides (`closed`, by whom, and `reason` when not empty). False when it was closed already.
  bool end_room(const std::string& room_id, const std::string& by, chat::Millis now,
                std::string_view reason = {});

  const config::Config& config_;
  chat::ChatStore& store_;
  broker::Publisher& publisher_;
  net::Metrics& metrics_;
  boost::asio::any_io_executor executor_;
  chat::LiveFigures figures_;  // for GET /api/admin/stats; fed and read on the service executor
  chat::BotOutcomes bot_outcomes_;  // the same, what the bot achieved
  BotConversation bot_conversation_;

  chat::Routing routing_;
  std::optional<chat::BusinessHours> hours_;  // as the engine has them; empty: around the clock
  // Uploads per user (attachments.uploads-per-minute), on the service executor.
  std::unordered_map<std::string, util::TokenBucket> upload_buckets_;
  bool upload_allowed(const std::string& user_id);
  boost::asio::steady_timer routing_timer_;
  // One node: always the same id, so a restart renews its own lease at once. Several nodes: the
  // bus's id (one per process), and a node waits for a dead one's lease to run out. The epoch is
  // read on I/O threads to forward.
  AuthorityLease lease_;
  boost::asio::steady_timer heartbeat_timer_;  // agent presence, every second
  CustomerPresence customers_;                 // followed at the authority
  net::Bus* bus_ = nullptr;
  net::BlockingPool* blocking_ = nullptr;
  auth::UserStore* accounts_ = nullptr;
  std::int64_t token_lifetime_ = 0;
  std::function<void()> after_erasure_;
  std::chrono::milliseconds erasure_settle_{0};
  // The bus as completions that may settle after teardown see it: emptied by set_bus(nullptr).
  std::shared_ptr<net::Bus*> bus_cell_ = std::make_shared<net::Bus*>(nullptr);
  const broker::AppRouter* router_ = nullptr;
  struct Forward {
    std::string user_id;
    stomp::Frame cause;
    broker::SendCompletion completion;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  std::map<std::string, Forward> forwards_;  // by correlation id: forwarded, not yet answered
  void forward_command(net::BusEvent command, Forward forward);
  // The bot asked for a human (bot.need-human: queue): the customer's consult request is raised
  // as if they had sent it, here or at the authority's node.
  void hand_over(BotConversation::HandOver hand_over);
  struct PendingView;
  std::map<std::string, std::shared_ptr<PendingView>>
      pending_views_;  // by correlation id: asked, unanswered
  AgentPresence presence_;
  Rooms rooms_{store_, publisher_, figures_};
  std::vector<RoomSend> room_sends_;  // on the executor: waiting for the next group commit
  bool room_commit_posted_ = false;
  std::shared_ptr<RoomCommit> room_commit_writing_;  // on the executor: the batch with the writer
  std::atomic<std::uint64_t> room_commits_{0};
  std::atomic<std::uint64_t> room_commit_messages_{0};
  std::atomic<std::uint64_t> room_commit_nanoseconds_{0};
  ConsultViews views_{routing_,          store_,       figures_, rooms_.members(),
                      bot_conversation_, bot_outcomes_};
  // When the service executor last ran its beat (the heartbeat timer): the lease is not renewed
  // for an executor that stopped running.
  std::atomic<chat::Millis> executor_beat_{0};
  std::atomic<bool> executor_stuck_{false};
  // Ends with the object: completions that may settle after it (a queued job destroyed with its
  // io_context) check it first.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  // Renews the routing authority's lease (started by start(); stopped at destruction, once the
  // room writer is done).
  std::unique_ptr<util::PeriodicThread> lease_keeper_;
  // The room messages' transactions (one thread); joined first at destruction.
  std::unique_ptr<boost::asio::thread_pool> room_writer_;
};

}  // namespace aicc::center
