// Erasure of one customer's personal data (Korea's PIPA, the GDPR's right to erasure), for
// `aicc-chat customer erase ID` and DELETE /api/admin/customers/{id}: everything the chat store
// holds of them (chat::ChatStore::erase_customer), then their account and tokens (their open
// sessions end), then an audit entry that says who erased how much, never what: the customer is
// named there by a fingerprint of their id (erasure_reference), so the entry proves a request
// was carried out without keeping an identifier of the person.
#pragma once

#include <cstdint>
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

// `actor`: who asked ("cli" or an admin's user id), for the audit entry. `now` in unix seconds;
// `token_lifetime`: how long an access token issued now may live (its logins stay denied that
// long). Throws std::runtime_error when a store fails (what was committed stays erased; running
// it again finishes the job).
ErasureReport erase_customer(chat::ChatStore& chat, auth::UserStore& users,
                             const std::string& customer_id, const std::string& actor,
                             std::int64_t now, std::int64_t token_lifetime);

// "sha256:" + the first 16 hex digits of SHA-256(customer id): what the audit keeps.
std::string erasure_reference(const std::string& customer_id);

// "customer sha256:1f2e... erased by u_admin: 2 rooms, 41 messages; account and tokens": the
// audit entry's reason.
std::string describe(const ErasureReport& report, const std::string& customer_id,
                     const std::string& actor);

}  // namespace aicc::center
