// The routing authority as one node holds it: the only singleton of several nodes. The node that
// holds it decides consult routing; the others forward their routing commands to it.
//
// A lease and an epoch live in the store (chat::ChatStore::claim_routing_authority): the holder
// renews its lease every second, another node takes it over (under the next epoch) once the lease
// ran out unrenewed, and every decision is written under the epoch it was made in, checked in the
// same transaction (fencing), so a former holder that was paused or cut off cannot write over its
// successor. This node also stops deciding by itself once its own lease ran out unrenewed.
//
// Claims run on a thread of their own (a renewal must not wait behind the work of the contact
// center's executor); a grant is taken, and the authority dropped, on that executor. Every member
// may be called from either.
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

  // Set before the lease is first claimed.
  const std::string& node_id() const { return node_id_; }
  void set_node_id(std::string node_id) { node_id_ = std::move(node_id); }
  // The epoch this node holds; 0 when it holds none.
  std::int64_t epoch() const { return epoch_.load(); }
  bool held() const { return epoch() != 0; }

  struct Step {
    enum class Kind {
      kRenewed,  // held, and renewed
      kGranted,  // granted, not held yet: offer() it, and take() it once the routing state was read
      kRefused,  // another node holds it
      kFailed,   // the store could not be asked (`error` says why)
    };
    Kind kind = Kind::kRefused;
    chat::AuthorityGrant grant{};  // with kGranted
    std::string error{};           // with kFailed
  };
  // Claims the authority, or renews it when held or offered. Never throws.
  Step claim(chat::ChatStore& store, chat::Millis now);

  // A grant on its way to be taken (the routing state is read where the routing engine lives):
  // true the first time a grant of this epoch is offered, false when it was already.
  bool offer(const chat::AuthorityGrant& grant);
  // The offered grant is not taken (another node holds the authority, or the state could not be
  // read): the next grant is offered again.
  void withdraw_offer() { offered_ = 0; }
  // Holds the offered grant from now on; false, and nothing held, when it was withdrawn since or
  // its lease ran out before it could be taken.
  bool take(const chat::AuthorityGrant& grant, chat::Millis now);

  // Held, and the lease ran out without a renewal: another node may hold it now.
  bool ran_out(chat::Millis now) const { return held() && now >= lease_until_.load(); }
  // Holds nothing any more; a grant of a newer epoch on its way stays offered.
  void drop() {
    std::int64_t dropped = epoch_.exchange(0);
    offered_.compare_exchange_strong(dropped, 0);
  }
  // The epoch offered and not taken or withdrawn; 0 when none.
  std::int64_t offered() const { return offered_.load(); }

 private:
  std::string node_id_;
  std::atomic<std::int64_t> epoch_{0};
  std::atomic<std::int64_t> offered_{0};
  std::atomic<chat::Millis> lease_until_{0};  // of the grant held or offered
};

}  // namespace aicc::center
