// Identity rules: login, guests, refresh-token rotation with reuse detection, revocation and
// WebSocket tickets.
//
// The token model:
// - Access token: an HS256 JWT (sub, role, name, iat, exp, jti, iss, sid), 1 h by default, kept in
//   the browser's memory only and sent on STOMP CONNECT. `sid` names the login (refresh-token
//   family) it was issued under. Revoked alone by jti (logout of that token), or with every other
//   token of its login by sid (logout, refresh-token reuse, a disabled user, a changed password),
//   each until the tokens would expire anyway.
// - Refresh token: 256 random bits in an HttpOnly cookie (Path=/api/auth), or in the JSON body for
//   a widget in a cross-site iframe (http/auth_routes.hpp), 30 days by default and sliding: every
//   use rotates it. Only its SHA-256 is stored. Presenting a rotated token again
//   means a copy was stolen: the whole family (that login's chain) is revoked and the event logged.
// - WebSocket ticket: 128 random bits, single use, 30 s, for clients that cannot send headers on a
//   WebSocket handshake (?ticket=). Access tokens themselves are never accepted in URLs.
//
// Revoking a login also tells the revocation listener, which ends the live STOMP sessions opened
// with the login's tokens. Another process (aicc-chat user disable) or node writes its revocations
// to the store only; sync_revocations() picks them up.
//
// Every call that touches the store blocks; call them from the blocking worker pool. The deny-list
// caches are in memory behind one mutex (small and hot); tickets live in the shared state
// (util/shared_state.hpp): this process's memory on one node, Redis across nodes, so that a ticket
// issued on one node is redeemed once, on any node. Ticket calls may throw
// util::SharedStateUnavailable.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "auth/jwt.hpp"
#include "auth/user.hpp"
#include "auth/user_store.hpp"
#include "util/memory_shared_state.hpp"
#include "util/result.hpp"
#include "util/shared_state.hpp"

namespace aicc::auth {

struct TokenSettings {
  std::string secret;
  std::string issuer = "aicc-chat";
  std::string audience;  // aud of issued tokens, required on verification; empty: none
  std::int64_t access_validity = 3600;      // seconds
  std::int64_t refresh_validity = 2592000;  // seconds
  std::int64_t ticket_validity = 30;        // seconds
  std::int64_t clock_skew = 60;             // seconds
  std::int64_t reuse_grace = 10;  // seconds a rotated refresh token may still be used once
                                  // more (concurrent refreshes from two tabs)
};

// What login, guest and refresh hand back.
struct IssuedSession {
  User user;
  std::string access_token;
  std::int64_t access_expires_in = 0;   // seconds
  std::string refresh_token;            // raw; goes into the cookie, never stored
  std::int64_t refresh_expires_at = 0;  // unix seconds
};

enum class AuthError {
  kBadCredentials,  // unknown user or wrong password (the same answer for both)
  kDisabled,        // the account is disabled
  kInvalidToken,    // unknown, expired or malformed refresh token
  kTokenReused,     // a rotated refresh token came back: its family is now revoked
  kInvalidInput,    // e.g. a display name that is too long or not UTF-8
};

// Told that a login was revoked, with why ("refresh token reused", "signed out", ...): from the
// thread that revoked it, never under the service's lock.
using RevocationListener =
    std::function<void(const std::string& family_id, const std::string& reason)>;

std::string_view describe(AuthError error);

// A verified access token, as the server sees it on each use.
struct Principal {
  std::string user_id;
  Role role = Role::kCustomer;
  std::string name;
  std::string jti;
  std::int64_t expires_at = 0;  // unix seconds
  std::string login_id;  // the refresh-token family (sid claim); empty for tokens without one
};

class TokenService {
 public:
  // `shared`: where tickets live; null keeps them in this process (one node).
  TokenService(TokenSettings settings, UserStore& store, util::SharedState* shared = nullptr);

  // Loads the deny-lists from the store (call once at start-up).
  void load_revocations(std::int64_t now);
  // Reads the deny-lists again and tells the listener of each login revoked meanwhile by another
  // process or node; returns how many there were.
  std::size_t sync_revocations(std::int64_t now);
  // Set before serving.
  void set_revocation_listener(RevocationListener listener) { listener_ = std::move(listener); }

  util::Result<IssuedSession, AuthError> login(std::string_view username, std::string_view password,
                                               std::int64_t now);
  // With a valid refresh token of a customer, resumes that customer (rotating the token); else
  // creates a new guest customer.
  util::Result<IssuedSession, AuthError> guest(std::string_view display_name,
                                               std::optional<std::string_view> refresh_token,
                                               std::int64_t now);
  util::Result<IssuedSession, AuthError> refresh(std::string_view refresh_token, std::int64_t now);
  // Ends the principal's login: denies its access token (jti) and revokes its family (sid), and
  // the family of `refresh_token` too when that is another login of the same user.
  void logout(const Principal& principal, std::optional<std::string_view> refresh_token,
              std::int64_t now);
  // Revokes a login: its refresh tokens, every access token it issued, and (through the listener)
  // the live sessions opened with them.
  void revoke_login(const std::string& family_id, const std::string& reason, std::int64_t now);

  // Checks an access token: signature, claims, expiry, revocation and role.
  util::Result<Principal, std::string> verify_access(std::string_view token,
                                                     std::int64_t now) const;
  bool is_revoked(const std::string& jti) const;
  // Whether the login `family_id` was revoked; false for an empty id.
  bool is_login_revoked(const std::string& family_id) const;

  std::string issue_ticket(const Principal& principal, std::int64_t now);
  // Whether `ticket` has the shape of one this service issues (32 lowercase hex digits): anything
  // else is refused before the shared state is asked.
  static bool looks_like_ticket(std::string_view ticket);
  // Tickets live in this process (one node): issuing and redeeming them never waits.
  bool tickets_are_local() const { return own_shared_ != nullptr; }
  // Single use: a ticket redeemed once is gone. nullopt when unknown or expired.
  std::optional<Principal> redeem_ticket(std::string_view ticket, std::int64_t now);

  // A login revoked by another node, which said so on the bus: denied here at once, so that a new
  // CONNECT with one of its tokens is refused on this node too without waiting for the next
  // sync_revocations() (every token this service issues names its login). The listener is not
  // told: the revoking node closes the login's sessions everywhere itself.
  void deny_login_revoked_elsewhere(const std::string& family_id, std::int64_t now);

  // A new access token for `user` under login `login_id` (its jti in *jti_out when asked).
  std::string issue_access_token(const User& user, std::int64_t now, std::string_view login_id = {},
                                 std::string* jti_out = nullptr) const;

  const TokenSettings& settings() const { return settings_; }

 private:
  IssuedSession start_family(const User& user, std::int64_t now);
  util::Result<IssuedSession, AuthError> rotate(std::string_view refresh_token, std::int64_t now,
                                                bool customers_only);
  void prune(std::int64_t now);
  // Until when a login revoked now must stay denied: its last access token's expiry plus skew.
  std::int64_t family_deny_until(std::int64_t now) const;

  TokenSettings settings_;
  UserStore& store_;
  JwtVerifier verifier_;

  std::unique_ptr<util::MemorySharedState> own_shared_;  // when no shared state was given
  util::SharedState& shared_;
  RevocationListener listener_;
  mutable std::mutex mutex_;                              // guards denied_ and denied_families_
  std::unordered_map<std::string, std::int64_t> denied_;  // jti -> when its token expires
  // family id -> until when its access tokens are refused
  std::unordered_map<std::string, std::int64_t> denied_families_;
  std::int64_t last_prune_ = 0;
};

// Hex SHA-256, how refresh tokens are stored.
std::string sha256_hex(std::string_view data);

// The token of an "Authorization: Bearer <token>" value (scheme case-insensitive, RFC 7235);
// empty when the value is not a bearer credential.
std::string_view bearer_token(std::string_view header);

}  // namespace aicc::auth
