// The read-only views the web pages load, answered from the routing engine and the store: the
// customer's current consult, the queue, an agent's rooms, the agents and the supervisor's live
// figures. None of them changes anything (GET /api/consult/current never opens a request).
//
// Part of the contact center: called on its executor, where the engine lives. With several nodes
// the engine is filled only on the node holding the routing authority, which the contact center
// asks for the views of the others (contact_center_cluster.cpp).
#pragma once

#include <string>

#include "center/bot_conversation.hpp"
#include "center/caller.hpp"
#include "center/room_directory.hpp"
#include "chat/chat_store.hpp"
#include "chat/live_figures.hpp"
#include "chat/routing.hpp"

namespace aicc::center {

class ConsultViews {
 public:
  ConsultViews(const chat::Routing& routing, chat::ChatStore& store, chat::LiveFigures& figures,
               const RoomDirectory& rooms, BotConversation& bot, chat::BotOutcomes& outcomes)
      : routing_(routing),
        store_(store),
        figures_(figures),
        rooms_(rooms),
        bot_(bot),
        outcomes_(outcomes) {}

  // GET /api/consult/current: the customer's bot conversation id and open request, if any, and
  // the bot's answer growing now (for a client that reconnects mid-answer).
  Answer current_consult(const std::string& customer_id);
  // GET /api/consult/queue: the waiting requests, in queue order.
  Answer queue();
  // GET /api/agent/rooms: the agent's open rooms, so a reloaded console restores them.
  Answer agent_rooms(const std::string& agent_id);
  // GET /api/agents: every agent the engine knows, with the status they chose.
  Answer agents();
  // GET /api/admin/stats: the supervisor page's live figures.
  Answer stats();

 private:
  const chat::Routing& routing_;
  chat::ChatStore& store_;
  chat::LiveFigures& figures_;  // the queue length is sampled as it is read
  const RoomDirectory& rooms_;
  BotConversation& bot_;  // the answers in progress and the handoff summaries
  chat::BotOutcomes& outcomes_;
};

}  // namespace aicc::center
