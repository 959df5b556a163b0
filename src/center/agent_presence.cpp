#include "center/agent_presence.hpp"

namespace aicc::center {

void AgentPresence::set_local(const std::string& agent_id, bool connected) {
  if (connected) {
    local_.insert(agent_id);
  } else {
    local_.erase(agent_id);
  }
}

void AgentPresence::heartbeat(const std::string& node_id, std::set<std::string> agents,
                              chat::Millis now) {
  remote_[node_id] = Remote{std::move(agents), now};
}

std::vector<AgentPresence::Change> AgentPresence::changes(chat::Millis now,
                                                          std::vector<SilentNode>* silent) {
  std::set<std::string> connected = local_;
  for (auto it = remote_.begin(); it != remote_.end();) {
    if (now - it->second.seen_at > expiry_) {
      if (silent)
        silent->push_back({it->first, now - it->second.seen_at, it->second.agents.size()});
      it = remote_.erase(it);
      continue;
    }
    connected.insert(it->second.agents.begin(), it->second.agents.end());
    ++it;
  }
  std::vector<Change> result;
  for (const std::string& agent : connected) {
    if (!told_.contains(agent)) result.push_back({agent, true});
  }
  for (const std::string& agent : told_) {
    if (!connected.contains(agent)) result.push_back({agent, false});
  }
  return result;
}

void AgentPresence::told(const Change& change) {
  if (change.connected) {
    told_.insert(change.agent_id);
  } else {
    told_.erase(change.agent_id);
  }
}

void AgentPresence::stop_deciding() {
  told_.clear();
  remote_.clear();
}

}  // namespace aicc::center
