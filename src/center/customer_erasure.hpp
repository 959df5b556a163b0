// Erasure of one customer's personal data (Korea's PIPA, the GDPR's right to erasure), for
// `aicc-chat customer erase ID` and DELETE /api/admin/customers/{id}: everything the chat store
// holds of them (chat::ChatStore::erase_customer), then their account and tokens (their open
// sessions end), then an audit entry that says who erased how much, never what: the customer is
// named there by a fingerprint of their id (erasure_reference), so the entry proves a request
// was carried out without keeping an identifier of the person.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "auth/user_store.hpp"
#include "chat/chat_store.hpp"

namespace aicc::center {

enum class ErasureOutcome {
  kErased,
  kNotFound,      // no such account and nothing stored under the id
  kNotACustomer,  // an agent's or admin's account: disable it instead
  kOpenConsult,   // a request waits or a room is open: nothing changed
};

struct ErasureReport {
  ErasureOutcome outcome = ErasureOutcome::kErased;
  chat::RemovedCounts removed{};
  bool account = false;  // the account was there and is gone
};

struct ErasureSteps {
  std::int64_t now = 0;             // unix seconds
  std::int64_t token_lifetime = 0;  // how long an access token issued now may live: the
                                    // customer's logins stay denied that long
  // Once their logins are denied: end their sessions here at once (apply the revocations).
  std::function<void()> revoked{};
  // How long the other processes take to end theirs (auth.revocation-sync-interval, and a
  // margin): nothing is erased before, so no open session of theirs writes anything afterwards.
  std::chrono::milliseconds settle{0};
};

// The order matters: refused at once while a consult of theirs is open (nothing changed); else
// their logins are denied and their account disabled, their sessions given `settle` to end, then
// their data is erased (refused again, and nothing of it erased, if a consult opened meanwhile),
// then their account, then the audit entry. `actor`: who asked ("cli" or an admin's user id).
// Throws std::runtime_error when a store fails (what was committed stays erased; running it again
// finishes the job).
ErasureReport erase_customer(chat::ChatStore& chat, auth::UserStore& users,
                             const std::string& customer_id, const std::string& actor,
                             const ErasureSteps& steps);

// "sha256:" + the first 16 hex digits of SHA-256(customer id): what the audit keeps.
std::string erasure_reference(const std::string& customer_id);

// "customer sha256:1f2e... erased by u_admin: 2 rooms, 41 messages; account and tokens": the
// audit entry's reason.
std::string describe(const ErasureReport& report, const std::string& customer_id,
                     const std::string& actor);

}  // namespace aicc::center
