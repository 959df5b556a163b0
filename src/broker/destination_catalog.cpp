#include "broker/destination_catalog.hpp"

#include <array>

namespace aicc::broker {
namespace {

using auth::kAgents;
using auth::kCustomers;
using auth::kEveryone;
using auth::kRoomMembers;
using auth::kStaff;
constexpr Direction kSend = Direction::kSend;
constexpr Direction kSubscribe = Direction::kSubscribe;

// The texts are those of docs/PROTOCOL.md's destination tables, which are made from this list.
constexpr std::array kCatalog{
    DestinationSpec{
        .name = "/app/chat.send",
        .direction = kSend,
        .roles = kEveryone,
        .rate = RateClass::kLobby,
        .payload = "`{content}`",
        .effect = "broadcast `{sender, content, timestamp}` on `/topic/chat`: the lobby demo",
    },
    DestinationSpec{
        .name = "/app/auth.refresh",
        .direction = kSend,
        .roles = kEveryone,
        .payload = "`{accessToken}`",
        .effect = "a fresh access token of the same user replaces the session's, so a long-lived "
                  "connection is not cut when the old one expires",
        .answered_by_connection = true,
    },
    DestinationSpec{
        .name = "/app/bot.message",
        .direction = kSend,
        .roles = kCustomers,
        .payload =
            "`{message, clientMessageId?, lang?, stream?}` (`lang`: the page's language tag, at "
            "most 16 letters, digits and `-`; the bot answers in it: the built-in bot in English "
            "for `en`, Korean otherwise; `stream: true`: the client shows answers growing, so the "
            "built-in bot types its answer out in parts)",
        .effect = "stored in the customer's conversation and forwarded to the bot; the answer "
                  "comes on `/user/queue/bot/response`. While the customer's consult request "
                  "waits the bot is not asked: the message is kept for the agent, who gets it in "
                  "the assignment's `history`; once an agent has the chat (the page may not know "
                  "yet) it goes to that room instead, as `/app/room.send` with the same "
                  "`clientMessageId`, and its RECEIPT comes when the room stored it",
    },
    DestinationSpec{
        .name = "/app/customer.context",
        .direction = kSend,
        .roles = kCustomers,
        .payload = "`{pageUrl?, pageTitle?, referrer?, lang?, userAgent?, memberId?}`",
        .effect = "where the customer is, as the widget says on every connect (the page that "
                  "embeds it, told by the loader; limits 2048, 300, 2048, 16, 512 and 128 "
                  "bytes); kept per customer for the agents (`GET /api/customers/{id}/context`), "
                  "informative only",
    },
    DestinationSpec{
        .name = "/app/consult.request",
        .direction = kSend,
        .roles = kCustomers,
        .payload = "`{category?, reason?}`",
        .effect = "opens (or returns the already open) consult request of this customer",
    },
    DestinationSpec{
        .name = "/app/consult.cancel",
        .direction = kSend,
        .roles = kCustomers,
        .payload = "`{requestId}`",
        .effect = "cancels a waiting request",
    },
    DestinationSpec{
        .name = "/app/consult.leave",
        .direction = kSend,
        .roles = kCustomers,
        .payload = "`{requestId?, text, contact?}`",
        .effect = "leaves a message instead of waiting (offered at once when no agent is signed "
                  "in, or after `routing.max-wait`); the waiting request is withdrawn and agents "
                  "get it on `/topic/consult/offline`",
    },
    DestinationSpec{
        .name = "/app/agent.login",
        .direction = kSend,
        .roles = kAgents,
        .payload = "`{status?: \"available\"|\"away\"}` (or no body)",
        .effect = "online, available unless `away` is asked (then in the same step, before "
                  "anything is auto-assigned)",
    },
    DestinationSpec{
        .name = "/app/agent.logout",
        .direction = kSend,
        .roles = kAgents,
        .payload = "`{}`",
        .effect = "offline: no more offers; open rooms stay the agent's",
    },
    DestinationSpec{
        .name = "/app/agent.status",
        .direction = kSend,
        .roles = kAgents,
        .payload = "`{status: \"available\"|\"away\"}`",
        .effect = "away agents get no auto-assignment",
    },
    DestinationSpec{
        .name = "/app/agent.accept",
        .direction = kSend,
        .roles = kAgents,
        .payload = "`{requestId}`",
        .effect = "first accept wins, atomically",
    },
    DestinationSpec{
        .name = "/app/agent.reject",
        .direction = kSend,
        .roles = kAgents,
        .payload = "`{requestId}`",
        .effect = "this agent is not offered this request again",
    },
    DestinationSpec{
        .name = "/app/agent.handleOffline",
        .direction = kSend,
        .roles = kAgents,
        .payload = "`{id, reply?}`",
        .effect = "takes up a left message; the first agent wins (`already_handled` after that), "
                  "every console gets `{offlineId, status:\"handled\", agentId}` on "
                  "`/topic/consult/updates`. `reply` (at most 4000 bytes) is stored in the "
                  "customer's conversation as the agent's message (with `senderName`) and sent to "
                  "the customer on `/user/queue/messages` as `{…message, conversationId, "
                  "leftMessageId}`: they read it in the widget now or when they come back",
    },
    DestinationSpec{
        .name = "/app/room.send",
        .direction = kSend,
        .roles = kRoomMembers,
        .only = "the room's customer and agent",
        .payload = "`{roomId, text, clientMessageId, attachments?}`",
        .effect = "appended once per clientMessageId, broadcast on `/topic/room/{roomId}`; "
                  "`attachments`: up to 5 ids of files the sender uploaded to this room (then "
                  "`text` may be empty), else refused `bad_attachment`",
    },
    DestinationSpec{
        .name = "/app/room.typing",
        .direction = kSend,
        .roles = kRoomMembers,
        .only = "the room's customer and agent",
        .payload = "`{roomId, typing}`",
        .effect = "typing indicator to the other side",
    },
    DestinationSpec{
        .name = "/app/room.read",
        .direction = kSend,
        .roles = kRoomMembers,
        .only = "the room's customer and agent",
        .payload = "`{roomId, seq}`",
        .effect = "read receipt up to seq",
    },
    DestinationSpec{
        .name = "/app/room.close",
        .direction = kSend,
        .roles = kRoomMembers,
        .only = "the room's customer and agent",
        .payload = "`{roomId}`",
        .effect = "ends the consult; both sides get `{type:\"closed\"}`",
    },
    DestinationSpec{
        .name = "/app/room.transfer",
        .direction = kSend,
        .roles = kAgents,
        .only = "the room's agent",
        .payload = "`{roomId, toAgentId?, note?}`",
        .effect = "back to the queue, or to one agent; `note` (at most 4000 bytes, for the next "
                  "agent, never the customer) is kept as the room's transfer note, with who "
                  "handed it over to whom",
    },
    DestinationSpec{
        .name = "/app/room.note",
        .direction = kSend,
        .roles = kAgents,
        .only = "the room's agent",
        .payload = "`{roomId, text, clientMessageId}`",
        .effect = "a private note of the room (text at most 4000 bytes), stored once per "
                  "clientMessageId and sent to the room's agent on `/user/queue/agent/notes`; "
                  "never to the room's topic, which the customer reads. Anyone else is refused "
                  "`not_participant`",
    },
    DestinationSpec{
        .name = "/app/room.rate",
        .direction = kSend,
        .roles = kCustomers,
        .only = "the room's customer",
        .payload = "`{roomId, score, comment?}`",
        .effect = "the customer's 1 to 5 rating of a room they had, once per room "
                  "(`already_rated` after that), comment at most 1000 bytes",
    },
    DestinationSpec{
        .name = "/app/bot.rate",
        .direction = kSend,
        .roles = kCustomers,
        .only = "the customer the answer was given to",
        .payload = "`{messageId, score, comment?}`",
        .effect = "the customer's 1 to 5 rating of one of the bot's answers (`messageId` of a "
                  "final answer on `/user/queue/bot/response`), once per answer (`already_rated` "
                  "after that; `not_found` for anything but a bot answer of theirs), comment at "
                  "most 1000 bytes; the bot's satisfaction in `GET /api/admin/stats`",
    },

    DestinationSpec{
        .name = "/topic/chat",
        .direction = kSubscribe,
        .roles = kEveryone,
        .payload = "the lobby demo: `{sender, content, timestamp}`",
    },
    DestinationSpec{
        .name = "/user/queue/bot/response",
        .direction = kSubscribe,
        .roles = kCustomers,
        .payload =
            "`{conversationId, messageId, replyTo, seq, botMessage, needHuman, category, "
            "partial:false, timestamp}`; a streamed answer first grows in parts "
            "`{conversationId, messageId, replyTo, partial:true, part, delta, timestamp}` under "
            "the "
            "same `messageId`, or ends `{…, partial:false, interrupted:true}` once a human has the "
            "customer (see Bot); on bot failure `botMessage` is an apology and `needHuman:true`, "
            "`category:\"bot_unavailable\"`. With `bot.need-human: queue` (the default) an answer "
            "with `needHuman:true` also raises the customer's consult request, as "
            "`/app/consult.request` with the bot's category (`bot_handover` when it gives none) "
            "and the customer's message as the reason: its `/user/queue/consult/status` follows; "
            "with `offer` the customer decides",
    },
    DestinationSpec{
        .name = "/user/queue/consult/status",
        .direction = kSubscribe,
        .roles = kCustomers,
        .payload =
            "`{requestId, status, position?, expectedWaitMs?, agentId?, agentName?, roomId?, "
            "agentReconnecting?, offerLeaveMessage?, leaveReason?, opensAt?}`; status is one of "
            "`waiting`, `connected` (manual accept), `auto_assigned`, `canceled`, `closed`; "
            "`expectedWaitMs` (waiting, with a position) is position × 30 min / the assignments "
            "of the last 30 minutes, absent with fewer than two",
    },
    DestinationSpec{
        .name = "/user/queue/messages",
        .direction = kSubscribe,
        .roles = kCustomers,
        .payload =
            "an agent's reply to a message the customer left (see `/app/agent.handleOffline`), as "
            "stored in their conversation: `{conversationId, seq, messageId, senderId, "
            "senderRole:\"AGENT\", senderName, text, timestamp, leftMessageId}`",
    },
    DestinationSpec{
        .name = "/topic/consult/request",
        .direction = kSubscribe,
        .roles = kStaff,
        .only = "offers go to the agents logged in with `/app/agent.login` that did not reject "
                "them",
        .payload = "`{requestId, customerId, customerName, category, reason, lastBotMessage, "
                   "waitingSince, conversationId, summary}`; `summary`: the bot's handoff summary "
                   "`{text, category, mood}` once it came, else null (it follows on "
                   "`/topic/consult/summary`)",
    },
    DestinationSpec{
        .name = "/topic/consult/summary",
        .direction = kSubscribe,
        .roles = kStaff,
        .only = "to the agents who see the request when it comes: those it is offered to (not "
                "those who rejected it), or its agent once assigned",
        .payload = "the bot's handoff summary of a consult request, when it gives one: "
                   "`{requestId, conversationId, customerId, summary: {text, category, mood}}`; "
                   "`mood`: `calm`, `neutral`, `frustrated`, `angry` or empty",
    },
    DestinationSpec{
        .name = "/topic/consult/updates",
        .direction = kSubscribe,
        .roles = kStaff,
        .payload = "`{requestId, status:\"assigned\"|\"canceled\", agentId?}` so every console "
                   "drops taken "
                   "requests; `{offlineId, status:\"handled\", agentId}` for left messages",
    },
    DestinationSpec{
        .name = "/topic/consult/offline",
        .direction = kSubscribe,
        .roles = kStaff,
        .payload =
            "a left message: `{id, customerId, customerName, conversationId, requestId, category, "
            "contact, text, createdAt}`",
    },
    DestinationSpec{
        .name = "/user/queue/agent/assignment",
        .direction = kSubscribe,
        .roles = kAgents,
        .payload =
            "`{requestId, roomId, conversationId, mode:\"manual\"|\"auto\", customer:{id, "
            "displayName}, category, reason, requestedAt, history:[…], notes:[…], "
            "previousAgentId?, assignReason?, transfer?, summary}`; `summary`: the bot's handoff "
            "summary `{text, category, mood}` or null; `history`: the last 100 messages of "
            "the customer's bot conversation (those after `requestedAt` were written while "
            "waiting: the bot was silent) and the room's messages so far; `notes`: the room's "
            "private and transfer notes (up to 200, oldest first); `transfer: {fromAgentId, "
            "fromAgentName, note}` when another agent handed this room to this one by name",
    },
    DestinationSpec{
        .name = "/user/queue/agent/suggestions",
        .direction = kSubscribe,
        .roles = kAgents,
        .only = "the agent who has the room, with `bot.suggest-replies` on and a bot that "
                "suggests",
        .payload = "replies the agent could send to a customer's message: `{roomId, replyTo, seq, "
                   "suggestions: [string], timestamp}` (at most 3); never sent to the customer",
    },
    DestinationSpec{
        .name = "/user/queue/agent/status",
        .direction = kSubscribe,
        .roles = kAgents,
        .payload = "`{status:\"available\"|\"away\"|\"offline\", byId, byName}`: a supervisor put "
                   "the agent in "
                   "the queue, away, or out of it",
    },
    DestinationSpec{
        .name = "/user/queue/agent/notes",
        .direction = kSubscribe,
        .roles = kAgents,
        .payload =
            "a note of one of the agent's rooms: `{noteId, roomId, kind:\"note\"|\"transfer\", "
            "authorId, authorName, text, timestamp, toAgentId?, toAgentName?, clientMessageId?}` "
            "(`toAgentId` \"\" for back to the queue)",
    },
    DestinationSpec{
        .name = "/topic/room/{roomId}",
        .direction = kSubscribe,
        .roles = kRoomMembers,
        .only = "the room's customer and agent",
        .payload =
            "`{roomId, seq, messageId, clientMessageId?, senderId, senderRole, senderName?, text, "
            "timestamp, attachments?}` and events "
            "`{type:\"joined\"|\"left\"|\"typing\"|\"read\"|\"closed\"|\"transferred\"|\"agent_"
            "reconnecting\"|\"agent_reconnected\"|\"customer_presence\", "
            "…}`; `senderName` is the sender's display name when it was sent (kept after a "
            "transfer; absent for the bot and for messages stored before names were kept); "
            "`transferred` carries `fromAgentId`, `toAgentId`, `toAgentName` (to an agent) or "
            "`agentId` (back to the queue), never the note. SUBSCRIBE with `since-seq:N` replays "
            "the stored messages after N first",
    },
    DestinationSpec{
        .name = "/user/queue/errors",
        .direction = kSubscribe,
        .roles = kEveryone,
        .only = "each user their own",
        .payload =
            "domain refusals: `{code, message, receiptId?, requestId?, roomId?, retryAfterMs?, "
            "maxRooms?, toAgentId?}`",
    },
};

}  // namespace

std::span<const DestinationSpec> destination_catalog() { return kCatalog; }

std::string_view registration_pattern(std::string_view name) {
  const std::size_t brace = name.find('{');
  return brace == std::string_view::npos ? name : name.substr(0, brace);
}

const DestinationSpec* find_destination_spec(std::span<const DestinationSpec> catalog,
                                             std::string_view destination, Direction direction) {
  for (const DestinationSpec& spec : catalog) {
    if (spec.direction != direction) continue;
    if (spec.name == destination || registration_pattern(spec.name) == destination) return &spec;
  }
  return nullptr;
}

std::string_view to_string(Direction direction) {
  return direction == Direction::kSend ? "send" : "subscribe";
}

std::string_view to_string(RateClass rate) { return rate == RateClass::kLobby ? "lobby" : "chat"; }

}  // namespace aicc::broker
