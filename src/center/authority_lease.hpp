// The routing authority as one node holds it: the only singleton of several nodes. The node that
// holds it decides consult routing; the others forward their routing commands to it.
//
// A lease and an epoch live in the store (chat::ChatStore::claim_routing_authority): the holder
// renews its lease every second, another node takes it over (under the next epoch) once the lease
// ran out unrenewed, and every decision is written under the epoch it was made in, checked in the
// same transaction (fencing), so a former holder that was paused or cut off cannot write over its
// successor. This node also stops deciding by itself once its own lease ran out unrenewed.
//
// epoch() may be read on any thread; the rest runs on the contact center's executor.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "chat/chat_store.hpp"

namespace aicc::center {

class AuthorityLease {
 public:
  // Renewed every second, a lease of three: a holder that dies without a word is replaced within
  // about four seconds, and one slow renewal does not cost the authority.
  static constexpr chat::Millis kLease = 3000;

  explicit AuthorityLease(std::string node_id) : node_id_(std::move(node_id)) {}

  const std::string& node_id() const { return node_id_; }
  void set_node_id(std::string node_id) { node_id_ = std::move(node_id); }
  // The epoch this node holds; 0 when it holds none.
  std::int64_t epoch() const { return epoch_.load(); }
  bool held() const { return epoch() != 0; }

  struct Step {
    enum class Kind {
      kRenewed,  // held, and renewed
      kGranted,  // newly granted: take() it once the routing state was read
      kRefused,  // another node holds it
      kFailed,   // the store could not be asked (`error` says why)
    };
    Kind kind = Kind::kRefused;
    chat::AuthorityGrant grant{};  // with kGranted
    std::string error{};           // with kFailed
  };
  // Claims the authority, or renews it when held. Never throws.
  Step claim(chat::ChatStore& store, chat::Millis now);
  // Holds a granted authority from now on.
  void take(const chat::AuthorityGrant& grant);
  // Held, and the lease ran out without a renewal: another node may hold it now.
  bool ran_out(chat::Millis now) const { return held() && now >= lease_until_; }
  void drop() { epoch_ = 0; }

 private:
  std::string node_id_;
  std::atomic<std::int64_t> epoch_{0};
  chat::Millis lease_until_ = 0;
};

}  // namespace aicc::center
