// Which agents have a connection somewhere, as the node deciding routing must tell its engine
// (agent_reconnected / agent_disconnected). Pure: time comes in as `now`.
//
// The agents connected to this node come from its Hub; those of every other node from that node's
// heartbeats (one a second on the bus). A node whose heartbeats stopped for `expiry` is taken for
// dead: its agents count as disconnected, so their grace starts. An agent with consoles on two
// nodes is connected while either reports them.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "chat/routing.hpp"

namespace aicc::center {

class AgentPresence {
 public:
  // Heartbeats come every second: six missed ones, and the node is taken for dead.
  static constexpr chat::Millis kDefaultExpiry = 6000;
  explicit AgentPresence(chat::Millis expiry = kDefaultExpiry) : expiry_(expiry) {}

  // This node's own agents (their first connection opened, or their last one closed).
  void set_local(const std::string& agent_id, bool connected);
  const std::set<std::string>& local() const { return local_; }
  // Another node's heartbeat: the agents connected to it now.
  void heartbeat(const std::string& node_id, std::set<std::string> agents, chat::Millis now);

  struct Change {
    std::string agent_id;
    bool connected = false;
  };
  struct SilentNode {
    std::string node_id;
    chat::Millis silent_for = 0;
    std::size_t agents = 0;
  };
  // What the engine must hear now: agents connected somewhere that it was not told of, and agents
  // it was told of that are connected nowhere. Nodes silent past the expiry are forgotten first
  // (and listed in `silent`, for the log).
  std::vector<Change> changes(chat::Millis now, std::vector<SilentNode>* silent = nullptr);
  // The engine was told (a change whose effects failed stays due, and comes again next time).
  void told(const Change& change);

  // A new engine (this node took the routing over): it has been told nothing.
  void engine_replaced() { told_.clear(); }
  // This node stopped deciding: other nodes' heartbeats are no longer its business.
  void stop_deciding();

 private:
  struct Remote {
    std::set<std::string> agents;
    chat::Millis seen_at = 0;
  };
  chat::Millis expiry_;
  std::set<std::string> local_;
  std::map<std::string, Remote> remote_;  // by node id
  std::set<std::string> told_;            // connected, as the engine was told
};

}  // namespace aicc::center
