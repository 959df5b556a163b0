#include "center/customer_presence.hpp"

namespace aicc::center {

bool CustomerPresence::set(const std::string& customer_id, const std::string& node, bool connected,
                           chat::Millis now) {
  if (connected) {
    nodes_[customer_id].insert(node);
    auto it = away_.find(customer_id);
    if (it == away_.end()) return false;
    const bool was_announced = it->second.announced;
    away_.erase(it);
    return was_announced;
  }
  auto it = nodes_.find(customer_id);
  if (it != nodes_.end()) {
    it->second.erase(node);
    if (!it->second.empty()) return false;
    nodes_.erase(it);
  }
  // Gone from the last node that had them (or from one we never heard of: they were somewhere).
  away_.try_emplace(customer_id, Away{customer_id, now, false});
  return false;
}

void CustomerPresence::forget_node(const std::string& node, chat::Millis now) {
  std::vector<std::string> gone;
  for (auto& [customer_id, nodes] : nodes_) {
    if (nodes.erase(node) > 0 && nodes.empty()) gone.push_back(customer_id);
  }
  for (const auto& customer_id : gone) set(customer_id, node, false, now);
}

bool CustomerPresence::announced(const std::string& customer_id) const {
  auto it = away_.find(customer_id);
  return it != away_.end() && it->second.announced;
}

std::vector<CustomerPresence::Away> CustomerPresence::away() const {
  std::vector<Away> out;
  out.reserve(away_.size());
  for (const auto& [customer_id, away] : away_) out.push_back(away);
  return out;
}

void CustomerPresence::mark_announced(const std::string& customer_id) {
  if (auto it = away_.find(customer_id); it != away_.end()) it->second.announced = true;
}

void CustomerPresence::forget(const std::string& customer_id) { away_.erase(customer_id); }

void CustomerPresence::clear() {
  nodes_.clear();
  away_.clear();
}

}  // namespace aicc::center
