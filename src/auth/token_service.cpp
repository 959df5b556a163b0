#include "auth/token_service.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>

#include "auth/password.hpp"
#include "util/random.hpp"
#include "util/utf8.hpp"

namespace aicc::auth {
namespace {

namespace json = boost::json;

using util::unexpected;

constexpr std::size_t kMaxDisplayName = 64;
constexpr std::size_t kMaxTokenInput = 256;  // refresh tokens and tickets are far shorter

std::string ticket_key(std::string_view ticket) { return "ticket:" + sha256_hex(ticket); }

// A ticket's stored principal and until when the ticket may be used; nullopt when unreadable.
std::optional<std::pair<Principal, std::int64_t>> principal_of_ticket(std::string_view stored) {
  boost::system::error_code error;
  const json::value value = json::parse(stored, error);
  if (error || !value.is_object()) return std::nullopt;
  const json::object& object = value.get_object();
  auto text = [&](std::string_view name) -> std::optional<std::string> {
    const json::value* field = object.if_contains(name);
    if (!field || !field->is_string()) return std::nullopt;
    return std::string(field->get_string());
  };
  auto number = [&](std::string_view name) -> std::optional<std::int64_t> {
    const json::value* field = object.if_contains(name);
    if (!field || !field->is_int64()) return std::nullopt;
    return field->get_int64();
  };
  const auto sub = text("sub"), role_name = text("role"), name = text("name"), jti = text("jti"),
             sid = text("sid");
  const auto exp = number("exp"), until = number("until");
  if (!sub || !role_name || !name || !jti || !sid || !exp || !until) return std::nullopt;
  const auto role = parse_role(*role_name);
  if (!role) return std::nullopt;
  return std::pair{Principal{*sub, *role, *name, *jti, *exp, *sid}, *until};
}

std::string new_id(std::string_view prefix) { return std::string(prefix) + util::random_hex(12); }

bool valid_display_name(std::string_view name) {
  if (name.size() > kMaxDisplayName || !util::is_valid_utf8(name)) return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F) return false;
  }
  return true;
}

}  // namespace

std::string_view describe(AuthError error) {
  switch (error) {
    case AuthError::kBadCredentials:
      return "wrong username or password";
    case AuthError::kDisabled:
      return "account disabled";
    case AuthError::kInvalidToken:
      return "invalid or expired refresh token";
    case AuthError::kTokenReused:
      return "refresh token reused; all sessions of this login were signed out";
    case AuthError::kInvalidInput:
      return "invalid input";
  }
  return "authentication error";
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof digest);
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string_view bearer_token(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return {};
  }
  header.remove_prefix(kScheme.size());
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  return header;
}

TokenService::TokenService(TokenSettings settings, UserStore& store, util::SharedState* shared)
    : settings_(std::move(settings)),
      store_(store),
      verifier_(settings_.secret, settings_.issuer, settings_.clock_skew, settings_.audience,
                settings_.access_validity),
      own_shared_(shared ? nullptr : std::make_unique<util::MemorySharedState>()),
      shared_(shared ? *shared : *own_shared_) {}

void TokenService::load_revocations(std::int64_t now) { sync_revocations(now); }

std::size_t TokenService::sync_revocations(std::int64_t now) {
  auto jtis = store_.denied_access_tokens(now);
  auto families = store_.denied_families(now);
  // Expiry is not needed to answer is_revoked(); the store keeps it, and a restart reloads.
  const std::int64_t until = family_deny_until(now);
  std::vector<RevokedLogin> fresh;
  {
    std::lock_guard lock(mutex_);
    for (auto& jti : jtis) denied_.try_emplace(std::move(jti), until);
    for (auto& family : families) {
      if (denied_families_.try_emplace(family.family_id, until).second)
        fresh.push_back(std::move(family));
    }
  }
  if (listener_) {
    for (const auto& family : fresh) listener_(family.family_id, family.reason);
  }
  return fresh.size();
}

std::int64_t TokenService::family_deny_until(std::int64_t now) const {
  return now + settings_.access_validity + settings_.clock_skew;
}

void TokenService::revoke_login(const std::string& family_id, const std::string& reason,
                                std::int64_t now) {
  if (family_id.empty()) return;
  const std::int64_t until = family_deny_until(now);
  bool fresh = false;
  {
    // Refused in memory first, so that no verification lets one of its tokens through meanwhile.
    std::lock_guard lock(mutex_);
    prune(now);
    auto [entry, inserted] = denied_families_.try_emplace(family_id, until);
    entry->second = std::max(entry->second, until);
    fresh = inserted;
  }
  store_.revoke_family(family_id);
  store_.deny_family(family_id, until, reason);
  // Sessions are ended once, by whoever denied the login first.
  if (fresh && listener_) listener_(family_id, reason);
}

std::string TokenService::issue_access_token(const User& user, std::int64_t now,
                                             std::string_view login_id,
                                             std::string* jti_out) const {
  Claims claims;
  claims.sub = user.id;
  claims.role = std::string(to_string(user.role));
  claims.name = user.display_name;
  claims.iss = settings_.issuer;
  claims.aud = settings_.audience;
  claims.iat = now;
  claims.exp = now + settings_.access_validity;
  claims.jti = util::random_hex(16);
  claims.sid = std::string(login_id);
  if (jti_out != nullptr) *jti_out = claims.jti;
  return sign_hs256(claims, settings_.secret);
}

IssuedSession TokenService::start_family(const User& user, std::int64_t now) {
  IssuedSession session;
  session.user = user;
  const std::string family_id = util::random_hex(16);
  session.access_token = issue_access_token(user, now, family_id);
  session.access_expires_in = settings_.access_validity;
  session.refresh_token = util::random_hex(32);
  session.refresh_expires_at = now + settings_.refresh_validity;
  RefreshToken stored;
  stored.token_hash = sha256_hex(session.refresh_token);
  stored.family_id = family_id;
  stored.user_id = user.id;
  stored.issued_at = now;
  stored.expires_at = session.refresh_expires_at;
  store_.insert_refresh_token(stored);
  return session;
}

util::Result<IssuedSession, AuthError> TokenService::login(std::string_view username,
                                                           std::string_view password,
                                                           std::int64_t now) {
  if (username.empty() || username.size() > 128 || password.size() > kMaxPasswordBytes) {
    verify_password_dummy(password.substr(0, kMaxPasswordBytes));
    return unexpected(AuthError::kBadCredentials);
  }
  auto user = store_.find_user_by_username(std::string(username));
  if (!user || user->password_hash.empty()) {
    // Same work as a real check, so the answer time does not tell whether the user exists.
    verify_password_dummy(password);
    return unexpected(AuthError::kBadCredentials);
  }
  if (!verify_password(password, user->password_hash))
    return unexpected(AuthError::kBadCredentials);
  if (user->disabled) return unexpected(AuthError::kDisabled);
  return start_family(*user, now);
}

util::Result<IssuedSession, AuthError> TokenService::guest(
    std::string_view display_name, std::optional<std::string_view> refresh_token,
    std::int64_t now) {
  if (!valid_display_name(display_name)) return unexpected(AuthError::kInvalidInput);
  if (refresh_token && !refresh_token->empty()) {
    auto resumed = rotate(*refresh_token, now, /*customers_only=*/true);
    if (resumed) return resumed;
    if (resumed.error() == AuthError::kTokenReused) return resumed;
    // Any other failure (expired, unknown, revoked): a new guest, as on a first visit.
  }
  User user;
  user.id = new_id("g_");
  user.display_name =
      display_name.empty() ? "Guest " + user.id.substr(2, 4) : std::string(display_name);
  user.role = Role::kCustomer;
  user.guest = true;
  user.created_at = now;
  if (!store_.create_user(user)) return unexpected(AuthError::kInvalidInput);
  return start_family(user, now);
}

util::Result<IssuedSession, AuthError> TokenService::refresh(std::string_view refresh_token,
                                                             std::int64_t now) {
  return rotate(refresh_token, now, /*customers_only=*/false);
}

util::Result<IssuedSession, AuthError> TokenService::rotate(std::string_view refresh_token,
                                                            std::int64_t now, bool customers_only) {
  if (refresh_token.empty() || refresh_token.size() > kMaxTokenInput)
    return unexpected(AuthError::kInvalidToken);
  const std::string old_hash = sha256_hex(refresh_token);
  auto old = store_.find_refresh_token(old_hash);
  if (!old) return unexpected(AuthError::kInvalidToken);
  auto user = store_.find_user(old->user_id);
  if (!user) return unexpected(AuthError::kInvalidToken);
  if (user->disabled) {
    revoke_login(old->family_id, "account disabled", now);
    return unexpected(AuthError::kDisabled);
  }
  if (customers_only && user->role != Role::kCustomer) return unexpected(AuthError::kInvalidToken);

  IssuedSession session;
  session.user = *user;
  session.access_token = issue_access_token(*user, now, old->family_id);
  session.access_expires_in = settings_.access_validity;
  session.refresh_token = util::random_hex(32);
  // Sliding: every use extends the family by the full lifetime.
  session.refresh_expires_at = now + settings_.refresh_validity;
  RefreshToken next;
  next.token_hash = sha256_hex(session.refresh_token);
  next.family_id = old->family_id;
  next.user_id = user->id;
  next.issued_at = now;
  next.expires_at = session.refresh_expires_at;
  // The store allows a second use up to `grace` whole seconds after the first rotation, the same
  // second included; a configured grace of 0 means no second use at all, which the store spells -1.
  const std::int64_t grace = settings_.reuse_grace > 0 ? settings_.reuse_grace : -1;
  switch (store_.rotate_refresh_token(old_hash, next, now, grace)) {
    case RotateOutcome::kRotated:
      return session;
    case RotateOutcome::kReused:
      revoke_login(old->family_id, "refresh token reused", now);
      return unexpected(AuthError::kTokenReused);
    case RotateOutcome::kUnknown:
    case RotateOutcome::kRevoked:
    case RotateOutcome::kExpired:
      break;
  }
  return unexpected(AuthError::kInvalidToken);
}

void TokenService::logout(const Principal& principal, std::optional<std::string_view> refresh_token,
                          std::int64_t now) {
  if (!principal.jti.empty()) {
    // The verifier accepts a token until clock_skew past its exp, so the stored entry (which
    // denied_access_tokens() and purge_expired() drop at its expiry) must last that long too.
    store_.deny_access_token(principal.jti, principal.expires_at + settings_.clock_skew);
    std::lock_guard lock(mutex_);
    prune(now);
    denied_[principal.jti] = principal.expires_at;
  }
  revoke_login(principal.login_id, "signed out", now);
  // The refresh token presented with the logout belongs to the same login unless the client mixed
  // two logins up; another login of the same user ends too, nobody else's.
  if (refresh_token && !refresh_token->empty() && refresh_token->size() <= kMaxTokenInput) {
    if (auto token = store_.find_refresh_token(sha256_hex(*refresh_token));
        token && token->user_id == principal.user_id && token->family_id != principal.login_id) {
      revoke_login(token->family_id, "signed out", now);
    }
  }
}

util::Result<Principal, std::string> TokenService::verify_access(std::string_view token,
                                                                 std::int64_t now) const {
  auto claims = verifier_.verify(token, now);
  if (!claims) return unexpected(std::string(describe(claims.error())));
  const auto role = parse_role(claims->role);
  if (!role) return unexpected(std::string("unknown role"));
  if (is_revoked(claims->jti) || is_login_revoked(claims->sid))
    return unexpected(std::string("token revoked"));
  return Principal{claims->sub, *role, claims->name, claims->jti, claims->exp, claims->sid};
}

bool TokenService::is_revoked(const std::string& jti) const {
  std::lock_guard lock(mutex_);
  return denied_.contains(jti);
}

bool TokenService::is_login_revoked(const std::string& family_id) const {
  if (family_id.empty()) return false;
  std::lock_guard lock(mutex_);
  return denied_families_.contains(family_id);
}

std::string TokenService::issue_ticket(const Principal& principal, std::int64_t now) {
  std::string ticket = util::random_hex(16);
  const json::object value{{"sub", principal.user_id},
                           {"role", to_string(principal.role)},
                           {"name", principal.name},
                           {"jti", principal.jti},
                           {"exp", principal.expires_at},
                           {"sid", principal.login_id},
                           {"until", now + settings_.ticket_validity}};
  // Only the ticket's hash is kept, so whoever reads the shared state cannot use a ticket.
  shared_.put(ticket_key(ticket), json::serialize(value), settings_.ticket_validity + 1);
  return ticket;
}

bool TokenService::looks_like_ticket(std::string_view ticket) {
  return ticket.size() == 32 && std::all_of(ticket.begin(), ticket.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::optional<Principal> TokenService::redeem_ticket(std::string_view ticket, std::int64_t now) {
  if (!looks_like_ticket(ticket)) return std::nullopt;
  const auto stored = shared_.take(ticket_key(ticket));
  if (!stored) return std::nullopt;
  const auto found = principal_of_ticket(*stored);
  if (!found || found->second < now) return std::nullopt;
  const Principal& principal = found->first;
  std::lock_guard lock(mutex_);
  if (denied_.contains(principal.jti) ||
      (!principal.login_id.empty() && denied_families_.contains(principal.login_id))) {
    return std::nullopt;
  }
  return principal;
}

void TokenService::deny_login_revoked_elsewhere(const std::string& family_id, std::int64_t now) {
  if (family_id.empty()) return;
  std::lock_guard lock(mutex_);
  prune(now);
  auto& until = denied_families_[family_id];
  until = std::max(until, family_deny_until(now));
}

void TokenService::prune(std::int64_t now) {
  if (now - last_prune_ < 60) return;
  last_prune_ = now;
  std::erase_if(denied_,
                [&](const auto& entry) { return entry.second + settings_.clock_skew < now; });
  std::erase_if(denied_families_, [now](const auto& entry) { return entry.second < now; });
}

}  // namespace aicc::auth
