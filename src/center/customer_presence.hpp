// Which customers have a connection somewhere, as the node deciding routing follows them: a
// customer gone from every node for a few seconds is announced as gone in their room, and one
// gone past routing.customer-grace loses the request they left waiting (contact_center_presence).
// Pure: time comes in as `now`.
//
// Each node reports its own customers (first connection opened, last one closed); a customer
// with connections on two nodes is present while either has one. A customer nobody reported is
// taken as present: a new authority, or one that just started, knows nobody's absence, and
// withdraws nothing until it has seen a customer go.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "chat/routing.hpp"

namespace aicc::center {

class CustomerPresence {
 public:
  // `customer_id`'s first connection on `node` opened (connected), or their last one there closed.
  // Returns true when they come back after their room was told they had left.
  bool set(const std::string& customer_id, const std::string& node, bool connected,
           chat::Millis now);
  // A node stopped (or went silent): its customers' connections there are gone.
  void forget_node(const std::string& node, chat::Millis now);
  // Whether `customer_id` was told to be gone (announced) while away; false when not away.
  bool announced(const std::string& customer_id) const;

  struct Away {
    std::string customer_id;
    chat::Millis since = 0;  // when their last connection closed
    bool announced = false;  // their room was told they left
  };
  // The customers with no connection anywhere, in id order.
  std::vector<Away> away() const;
  void mark_announced(const std::string& customer_id);
  // Nothing more to follow for this absent customer (no request, no room).
  void forget(const std::string& customer_id);
  // A new engine: everybody is taken as present again.
  void clear();

 private:
  std::map<std::string, std::set<std::string>> nodes_;  // present customers -> their nodes
  std::map<std::string, Away> away_;                    // absent customers
};

}  // namespace aicc::center
