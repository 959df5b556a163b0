#include "auth/token_service.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "../util/unreachable_shared_state.hpp"
#include "auth/password.hpp"
#include "store/sqlite/sqlite_user_store.hpp"

namespace aicc::auth {

// Failures print "account disabled" rather than a number.
void PrintTo(AuthError error, std::ostream* out) { *out << describe(error); }

namespace {

constexpr std::int64_t kServiceNow = 1700000000;
constexpr std::int64_t kGrace = 10;
const std::string kServiceSecret = "a-token-service-test-key-of-32-bytes!";
const std::string kPassword = "correct horse battery staple";

TokenSettings settings(std::string secret = kServiceSecret) {
  TokenSettings result;
  result.secret = std::move(secret);
  result.reuse_grace = kGrace;
  return result;
}

// The error of a result, or nullopt when it succeeded.
template <class T, class E>
std::optional<E> error_of(const util::Result<T, E>& result) {
  if (result) return std::nullopt;
  return result.error();
}

class TokenServiceTest : public ::testing::Test {
 protected:
  // Argon2id costs tens of milliseconds a hash, so every account shares one.
  static void SetUpTestSuite() { hash_ = new std::string(hash_password(kPassword)); }
  static void TearDownTestSuite() {
    delete hash_;
    hash_ = nullptr;
  }

  TokenServiceTest() : store_(":memory:"), service_(settings(), store_) {
    add_user("u_alice", "alice", Role::kAgent, "Alice");
    add_user("u_carol", "carol", Role::kCustomer, "Carol");
    add_user("u_dave", "dave", Role::kAdmin, "Dave", /*disabled=*/true);
  }

  void add_user(std::string id, std::string username, Role role, std::string name,
                bool disabled = false) {
    User user;
    user.id = std::move(id);
    user.username = std::move(username);
    user.display_name = std::move(name);
    user.role = role;
    user.password_hash = *hash_;
    user.disabled = disabled;
    user.created_at = kServiceNow - 1000;
    ASSERT_TRUE(store_.create_user(user));
  }

  IssuedSession login(std::string_view username, std::int64_t now = kServiceNow) {
    auto session = service_.login(username, kPassword, now);
    EXPECT_TRUE(session) << describe(session.error());
    return session ? std::move(session).value() : IssuedSession{};
  }

  Principal principal_of(const IssuedSession& session, std::int64_t now = kServiceNow) {
    auto principal = service_.verify_access(session.access_token, now);
    EXPECT_TRUE(principal) << principal.error();
    return principal ? std::move(principal).value() : Principal{};
  }

  std::optional<RefreshToken> stored(const std::string& refresh_token) {
    return store_.find_refresh_token(sha256_hex(refresh_token));
  }

  static inline std::string* hash_ = nullptr;
  store::sqlite::SqliteUserStore store_;
  TokenService service_;
};

// Login

TEST_F(TokenServiceTest, LoginIssuesAccessAndRefreshTokens) {
  const IssuedSession session = login("alice");
  EXPECT_EQ(session.user.id, "u_alice");
  EXPECT_EQ(session.access_expires_in, 3600);
  EXPECT_EQ(session.refresh_expires_at, kServiceNow + 2592000);

  const Principal principal = principal_of(session);
  EXPECT_EQ(principal.user_id, "u_alice");
  EXPECT_EQ(principal.role, Role::kAgent);
  EXPECT_EQ(principal.name, "Alice");
  EXPECT_EQ(principal.expires_at, kServiceNow + 3600);
  EXPECT_FALSE(principal.jti.empty());

  // Only the hash of the refresh token is stored.
  EXPECT_FALSE(store_.find_refresh_token(session.refresh_token).has_value());
  const auto token = stored(session.refresh_token);
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->user_id, "u_alice");
  EXPECT_EQ(token->expires_at, kServiceNow + 2592000);
  EXPECT_FALSE(token->rotated);
}

TEST_F(TokenServiceTest, LoginAnswersWrongPasswordAndUnknownUserAlike) {
  EXPECT_EQ(error_of(service_.login("alice", "wrong password", kServiceNow)),
            AuthError::kBadCredentials);
  EXPECT_EQ(error_of(service_.login("nobody", kPassword, kServiceNow)), AuthError::kBadCredentials);
  EXPECT_EQ(error_of(service_.login("Alice", kPassword, kServiceNow)), AuthError::kBadCredentials);
  EXPECT_EQ(error_of(service_.login("", kPassword, kServiceNow)), AuthError::kBadCredentials);
  EXPECT_EQ(error_of(service_.login(std::string(129, 'a'), kPassword, kServiceNow)),
            AuthError::kBadCredentials);
  EXPECT_EQ(error_of(service_.login("alice", std::string(kMaxPasswordBytes + 1, 'p'), kServiceNow)),
            AuthError::kBadCredentials);
}

TEST_F(TokenServiceTest, LoginRefusesADisabledAccount) {
  EXPECT_EQ(error_of(service_.login("dave", kPassword, kServiceNow)), AuthError::kDisabled);
  // A wrong password does not even learn that the account is disabled.
  EXPECT_EQ(error_of(service_.login("dave", "wrong password", kServiceNow)),
            AuthError::kBadCredentials);
}

// Guests

TEST_F(TokenServiceTest, GuestCreatesACustomerWithAGuestId) {
  auto session = service_.guest("Visitor", std::nullopt, kServiceNow);
  ASSERT_TRUE(session) << describe(session.error());
  EXPECT_EQ(session->user.id.rfind("g_", 0), 0u) << session->user.id;
  EXPECT_EQ(session->user.role, Role::kCustomer);
  EXPECT_TRUE(session->user.guest);
  EXPECT_EQ(session->user.display_name, "Visitor");

  const auto user = store_.find_user(session->user.id);
  ASSERT_TRUE(user.has_value());
  EXPECT_TRUE(user->guest);
  EXPECT_EQ(user->username, "");
  const Principal principal = principal_of(*session);
  EXPECT_EQ(principal.user_id, session->user.id);
  EXPECT_EQ(principal.role, Role::kCustomer);
}

TEST_F(TokenServiceTest, GuestWithoutNameGetsADefaultOne) {
  auto session = service_.guest("", std::nullopt, kServiceNow);
  ASSERT_TRUE(session);
  EXPECT_EQ(session->user.display_name.rfind("Guest ", 0), 0u) << session->user.display_name;
}

TEST_F(TokenServiceTest, GuestResumesTheSameCustomerWithItsRefreshToken) {
  auto first = service_.guest("Visitor", std::nullopt, kServiceNow);
  ASSERT_TRUE(first);
  auto again = service_.guest("Visitor", first->refresh_token, kServiceNow + 600);
  ASSERT_TRUE(again) << describe(again.error());
  EXPECT_EQ(again->user.id, first->user.id);
  EXPECT_NE(again->refresh_token, first->refresh_token);
  EXPECT_TRUE(stored(first->refresh_token)->rotated);
  EXPECT_EQ(stored(again->refresh_token)->family_id, stored(first->refresh_token)->family_id);
  EXPECT_EQ(store_.list_users(true).size(), 4u);  // three accounts and one guest
}

TEST_F(TokenServiceTest, GuestDoesNotResumeAnAgentsToken) {
  const IssuedSession alice = login("alice");
  auto session = service_.guest("Visitor", alice.refresh_token, kServiceNow + 1);
  ASSERT_TRUE(session);
  EXPECT_NE(session->user.id, "u_alice");
  EXPECT_EQ(session->user.id.rfind("g_", 0), 0u);
  EXPECT_EQ(session->user.role, Role::kCustomer);
  // The agent's token was not used up on the way.
  EXPECT_FALSE(stored(alice.refresh_token)->rotated);
  EXPECT_TRUE(service_.refresh(alice.refresh_token, kServiceNow + 2));
}

TEST_F(TokenServiceTest, GuestWithAnUnknownTokenStartsAFreshGuest) {
  auto session = service_.guest("Visitor", std::string_view("not-a-token"), kServiceNow);
  ASSERT_TRUE(session);
  EXPECT_EQ(session->user.id.rfind("g_", 0), 0u);
}

TEST_F(TokenServiceTest, GuestWithAReusedTokenIsRefused) {
  auto first = service_.guest("Visitor", std::nullopt, kServiceNow);
  ASSERT_TRUE(first);
  ASSERT_TRUE(service_.guest("Visitor", first->refresh_token, kServiceNow + 1));
  EXPECT_EQ(error_of(service_.guest("Visitor", first->refresh_token, kServiceNow + 2 + kGrace)),
            AuthError::kTokenReused);
}

TEST_F(TokenServiceTest, DisplayNamesTooLongOrNotUtf8AreRefused) {
  EXPECT_TRUE(service_.guest(std::string(64, 'a'), std::nullopt, kServiceNow));
  EXPECT_TRUE(service_.guest("Zoë 名前", std::nullopt, kServiceNow));
  for (const std::string& bad :
       {std::string(65, 'a'), std::string("\xff\xfe"), std::string("caf\xc3"),
        std::string("\xc0\xaf"), std::string("line\nbreak"), std::string("nul\0", 4),
        std::string("del\x7f")}) {
    EXPECT_EQ(error_of(service_.guest(bad, std::nullopt, kServiceNow)), AuthError::kInvalidInput)
        << bad;
  }
}

// Refresh

TEST_F(TokenServiceTest, RefreshRotatesTheToken) {
  const IssuedSession first = login("carol");
  auto second = service_.refresh(first.refresh_token, kServiceNow + 100);
  ASSERT_TRUE(second) << describe(second.error());
  EXPECT_EQ(second->user.id, "u_carol");
  EXPECT_NE(second->refresh_token, first.refresh_token);
  EXPECT_EQ(second->refresh_expires_at, kServiceNow + 100 + 2592000);  // sliding
  EXPECT_EQ(principal_of(*second, kServiceNow + 100).user_id, "u_carol");
  EXPECT_TRUE(stored(first.refresh_token)->rotated);
  EXPECT_TRUE(service_.refresh(second->refresh_token, kServiceNow + 200));
}

TEST_F(TokenServiceTest, OldTokenWorksOnlyWithinTheGraceAndItsReuseRevokesTheFamily) {
  const IssuedSession first = login("carol");
  const IssuedSession other_login = login("carol");
  auto second = service_.refresh(first.refresh_token, kServiceNow + 100);
  ASSERT_TRUE(second);
  // A second tab refreshing at the same moment is not theft.
  auto tab = service_.refresh(first.refresh_token, kServiceNow + 100 + kGrace);
  ASSERT_TRUE(tab) << describe(tab.error());

  EXPECT_EQ(error_of(service_.refresh(first.refresh_token, kServiceNow + 101 + kGrace)),
            AuthError::kTokenReused);
  // The whole family is gone, the tokens handed out in good faith included.
  EXPECT_EQ(error_of(service_.refresh(second->refresh_token, kServiceNow + 102 + kGrace)),
            AuthError::kInvalidToken);
  EXPECT_EQ(error_of(service_.refresh(tab->refresh_token, kServiceNow + 102 + kGrace)),
            AuthError::kInvalidToken);
  // The same user's other login is another family and keeps working.
  EXPECT_TRUE(service_.refresh(other_login.refresh_token, kServiceNow + 103 + kGrace));
}

TEST_F(TokenServiceTest, RefreshRefusesUnknownAndExpiredTokens) {
  EXPECT_EQ(error_of(service_.refresh("", kServiceNow)), AuthError::kInvalidToken);
  EXPECT_EQ(error_of(service_.refresh("unknown", kServiceNow)), AuthError::kInvalidToken);
  EXPECT_EQ(error_of(service_.refresh(std::string(1000, 'a'), kServiceNow)),
            AuthError::kInvalidToken);
  const IssuedSession session = login("carol");
  EXPECT_EQ(error_of(service_.refresh(session.refresh_token, session.refresh_expires_at)),
            AuthError::kInvalidToken);
}

TEST_F(TokenServiceTest, RefreshOfADisabledUserRevokesTheFamily) {
  const IssuedSession session = login("carol");
  ASSERT_TRUE(store_.set_disabled("u_carol", true));
  EXPECT_EQ(error_of(service_.refresh(session.refresh_token, kServiceNow + 1)),
            AuthError::kDisabled);
  EXPECT_TRUE(stored(session.refresh_token)->revoked);
  ASSERT_TRUE(store_.set_disabled("u_carol", false));
  EXPECT_EQ(error_of(service_.refresh(session.refresh_token, kServiceNow + 2)),
            AuthError::kInvalidToken);
}

// Logout and revocation

TEST_F(TokenServiceTest, LogoutDeniesTheAccessTokenAndRevokesTheFamily) {
  const IssuedSession session = login("alice");
  const IssuedSession other = login("alice");
  const Principal principal = principal_of(session);
  service_.logout(principal, session.refresh_token, kServiceNow + 5);

  auto verified = service_.verify_access(session.access_token, kServiceNow + 6);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error(), "token revoked");
  EXPECT_TRUE(service_.is_revoked(principal.jti));
  EXPECT_EQ(error_of(service_.refresh(session.refresh_token, kServiceNow + 6)),
            AuthError::kInvalidToken);
  // Another login of the same user is not signed out.
  EXPECT_TRUE(service_.verify_access(other.access_token, kServiceNow + 6));
  EXPECT_TRUE(service_.refresh(other.refresh_token, kServiceNow + 6));
}

TEST_F(TokenServiceTest, LogoutLeavesAnotherUsersRefreshTokenAlone) {
  const IssuedSession alice = login("alice");
  const IssuedSession carol = login("carol");
  service_.logout(principal_of(alice), carol.refresh_token, kServiceNow + 1);
  EXPECT_FALSE(stored(carol.refresh_token)->revoked);
  EXPECT_TRUE(service_.refresh(carol.refresh_token, kServiceNow + 2));
}

TEST_F(TokenServiceTest, RevocationsSurviveARestartUntilTheTokenCannotBeUsedAnyway) {
  const IssuedSession session = login("alice");
  const Principal principal = principal_of(session);
  service_.logout(principal, std::nullopt, kServiceNow + 1);

  // The verifier still accepts a token up to clock_skew seconds past its exp, so the deny-list
  // must keep it that long too, across a restart and a purge.
  const std::int64_t after_exp = principal.expires_at + settings().clock_skew / 2;
  store_.purge_expired(after_exp);
  TokenService restarted(settings(), store_);
  restarted.load_revocations(after_exp);
  auto verified = restarted.verify_access(session.access_token, after_exp);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error(), "token revoked");
}

// WebSocket tickets

TEST_F(TokenServiceTest, TicketsAreSingleUse) {
  const Principal principal = principal_of(login("alice"));
  const std::string ticket = service_.issue_ticket(principal, kServiceNow);
  const auto redeemed = service_.redeem_ticket(ticket, kServiceNow + 1);
  ASSERT_TRUE(redeemed.has_value());
  EXPECT_EQ(redeemed->user_id, "u_alice");
  EXPECT_EQ(redeemed->jti, principal.jti);
  EXPECT_FALSE(service_.redeem_ticket(ticket, kServiceNow + 1).has_value());
}

TEST_F(TokenServiceTest, TicketsExpireAfterThirtySeconds) {
  const Principal principal = principal_of(login("alice"));
  const std::string on_time = service_.issue_ticket(principal, kServiceNow);
  const std::string late = service_.issue_ticket(principal, kServiceNow);
  EXPECT_TRUE(service_.redeem_ticket(on_time, kServiceNow + 30).has_value());
  EXPECT_FALSE(service_.redeem_ticket(late, kServiceNow + 31).has_value());
}

TEST_F(TokenServiceTest, TicketsDieWithTheirAccessToken) {
  const IssuedSession session = login("alice");
  const Principal principal = principal_of(session);
  const std::string ticket = service_.issue_ticket(principal, kServiceNow);
  service_.logout(principal, session.refresh_token, kServiceNow + 1);
  EXPECT_FALSE(service_.redeem_ticket(ticket, kServiceNow + 2).has_value());
}

TEST_F(TokenServiceTest, ATicketIssuedByOneNodeIsRedeemedOnceOnAnother) {
  util::MemorySharedState shared;  // what Redis is to several nodes
  TokenService node1(settings(), store_, &shared);
  TokenService node3(settings(), store_, &shared);
  const Principal principal = principal_of(login("alice"));
  const std::string ticket = node1.issue_ticket(principal, kServiceNow);
  const auto redeemed = node3.redeem_ticket(ticket, kServiceNow + 1);
  ASSERT_TRUE(redeemed.has_value());
  EXPECT_EQ(redeemed->user_id, principal.user_id);
  EXPECT_EQ(redeemed->role, principal.role);
  EXPECT_EQ(redeemed->name, principal.name);
  EXPECT_EQ(redeemed->jti, principal.jti);
  EXPECT_EQ(redeemed->expires_at, principal.expires_at);
  EXPECT_EQ(redeemed->login_id, principal.login_id);
  EXPECT_FALSE(node1.redeem_ticket(ticket, kServiceNow + 1).has_value());
  EXPECT_FALSE(node3.redeem_ticket(ticket, kServiceNow + 1).has_value());
  // The shared state holds the ticket's hash, never the ticket itself.
  const std::string other = node1.issue_ticket(principal, kServiceNow);
  EXPECT_FALSE(shared.take("ticket:" + other).has_value());
  EXPECT_TRUE(shared.take("ticket:" + sha256_hex(other)).has_value());
}

using UnreachableState = util::testing::UnreachableSharedState;

TEST_F(TokenServiceTest, TicketsThatCannotBeStoredOrCheckedAreNeverTakenAsValid) {
  UnreachableState unreachable;
  TokenService node(settings(), store_, &unreachable);
  const Principal principal = principal_of(login("alice"));
  EXPECT_THROW(node.issue_ticket(principal, kServiceNow), util::SharedStateUnavailable);
  EXPECT_THROW(node.redeem_ticket("0123456789abcdef0123456789abcdef", kServiceNow),
               util::SharedStateUnavailable);
  // What does not have a ticket's shape is refused without asking the shared state.
  for (const std::string& junk :
       std::vector<std::string>{"", "short", "0123456789ABCDEF0123456789ABCDEF",
                                "0123456789abcdef0123456789abcdeg", std::string(300, 'a')}) {
    EXPECT_FALSE(node.redeem_ticket(junk, kServiceNow).has_value()) << junk;
  }
}

TEST_F(TokenServiceTest, ALoginRevokedOnAnotherNodeIsRefusedHereAtOnce) {
  const IssuedSession session = login("alice");
  const Principal principal = principal_of(session);
  ASSERT_TRUE(service_.verify_access(session.access_token, kServiceNow + 1));
  // What the bus tells this node when another revoked the login (nothing read from the store).
  service_.deny_login_revoked_elsewhere(principal.login_id, kServiceNow + 1);
  EXPECT_TRUE(service_.is_login_revoked(principal.login_id));
  auto verified = service_.verify_access(session.access_token, kServiceNow + 2);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error(), "token revoked");
  // Another login of the same user is untouched.
  EXPECT_TRUE(service_.verify_access(login("alice").access_token, kServiceNow + 2));
}

TEST_F(TokenServiceTest, UnknownTicketsAreRefused) {
  EXPECT_FALSE(service_.redeem_ticket("", kServiceNow).has_value());
  EXPECT_FALSE(service_.redeem_ticket("0123456789abcdef0123456789abcdef", kServiceNow).has_value());
  EXPECT_FALSE(service_.redeem_ticket(std::string(10000, 'a'), kServiceNow).has_value());
}

// Access tokens

TEST_F(TokenServiceTest, VerifyAccessRejectsExpiredTokens) {
  const IssuedSession session = login("alice");
  const std::int64_t exp = kServiceNow + 3600;
  const std::int64_t skew = settings().clock_skew;
  EXPECT_TRUE(service_.verify_access(session.access_token, exp + skew - 1));
  auto verified = service_.verify_access(session.access_token, exp + skew);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error(), "token expired");
}

TEST_F(TokenServiceTest, VerifyAccessRejectsTokensSignedWithAnotherKey) {
  store::sqlite::SqliteUserStore other_store(":memory:");
  TokenService other(settings("another-key-that-is-also-32-bytes-long"), other_store);
  const User alice = *store_.find_user("u_alice");
  auto verified = service_.verify_access(other.issue_access_token(alice, kServiceNow), kServiceNow);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error(), "invalid signature");
}

TEST_F(TokenServiceTest, VerifyAccessRejectsUnknownRoles) {
  Claims claims;
  claims.sub = "u_alice";
  claims.role = "ROOT";
  claims.iss = settings().issuer;
  claims.iat = kServiceNow;
  claims.exp = kServiceNow + 60;
  claims.jti = "jti-1";
  auto verified = service_.verify_access(sign_hs256(claims, kServiceSecret), kServiceNow);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error(), "unknown role");
  claims.role = "agent";  // roles are upper case
  EXPECT_FALSE(service_.verify_access(sign_hs256(claims, kServiceSecret), kServiceNow));
  claims.role = "AGENT";
  EXPECT_TRUE(service_.verify_access(sign_hs256(claims, kServiceSecret), kServiceNow));
}

}  // namespace
}  // namespace aicc::auth

namespace aicc::auth {
namespace {

TEST_F(TokenServiceTest, AccessTokensNameTheirLoginAcrossRefreshes) {
  const IssuedSession first = login("alice");
  const IssuedSession second = login("alice");
  const Principal a = principal_of(first);
  EXPECT_FALSE(a.login_id.empty());
  EXPECT_NE(a.login_id, principal_of(second).login_id);  // two logins, two families
  auto refreshed = service_.refresh(first.refresh_token, kServiceNow + 60);
  ASSERT_TRUE(refreshed);
  EXPECT_EQ(principal_of(*refreshed, kServiceNow + 60).login_id, a.login_id);
}

}  // namespace
}  // namespace aicc::auth

namespace aicc::auth {
namespace {

// Revocation of a whole login: the refresh family, every access token it issued, the tickets
// redeemed for them, and (through the listener) the live sessions.

struct Revoked {
  std::string family_id;
  std::string reason;
};

class LoginRevocationTest : public TokenServiceTest {
 protected:
  LoginRevocationTest() {
    service_.set_revocation_listener([this](const std::string& family, const std::string& reason) {
      revoked_.push_back({family, reason});
    });
  }
  std::vector<Revoked> revoked_;
};

TEST_F(LoginRevocationTest, ReuseOfARotatedTokenDeniesEveryAccessTokenOfItsLogin) {
  const IssuedSession first = login("carol");
  const IssuedSession other_login = login("carol");
  const std::string family = principal_of(first).login_id;
  auto second = service_.refresh(first.refresh_token, kServiceNow + 100);
  ASSERT_TRUE(second);
  ASSERT_TRUE(service_.verify_access(second->access_token, kServiceNow + 101));

  EXPECT_EQ(error_of(service_.refresh(first.refresh_token, kServiceNow + 101 + kGrace)),
            AuthError::kTokenReused);
  for (const std::string& token : {first.access_token, second->access_token}) {
    auto verified = service_.verify_access(token, kServiceNow + 102 + kGrace);
    ASSERT_FALSE(verified);
    EXPECT_EQ(verified.error(), "token revoked");
  }
  ASSERT_EQ(revoked_.size(), 1u);
  EXPECT_EQ(revoked_[0].family_id, family);
  EXPECT_EQ(revoked_[0].reason, "refresh token reused");
  // The user's other login keeps working.
  EXPECT_TRUE(service_.verify_access(other_login.access_token, kServiceNow + 102 + kGrace));
}

TEST_F(LoginRevocationTest, LogoutWithTheBearerAloneEndsItsLogin) {
  const IssuedSession session = login("alice");
  auto refreshed = service_.refresh(session.refresh_token, kServiceNow + 10);
  ASSERT_TRUE(refreshed);
  // The logout names neither refresh token: the bearer's sid is enough.
  service_.logout(principal_of(session, kServiceNow + 20), std::nullopt, kServiceNow + 20);

  EXPECT_EQ(error_of(service_.refresh(refreshed->refresh_token, kServiceNow + 21)),
            AuthError::kInvalidToken);
  auto verified = service_.verify_access(refreshed->access_token, kServiceNow + 21);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error(), "token revoked");
  ASSERT_EQ(revoked_.size(), 1u);
  EXPECT_EQ(revoked_[0].reason, "signed out");
}

TEST_F(LoginRevocationTest, LogoutAlsoEndsTheLoginOfThePresentedRefreshToken) {
  const IssuedSession bearer = login("alice");
  const IssuedSession presented = login("alice");
  const IssuedSession untouched = login("alice");
  service_.logout(principal_of(bearer), presented.refresh_token, kServiceNow + 1);
  EXPECT_FALSE(service_.verify_access(bearer.access_token, kServiceNow + 2));
  EXPECT_FALSE(service_.verify_access(presented.access_token, kServiceNow + 2));
  EXPECT_TRUE(service_.verify_access(untouched.access_token, kServiceNow + 2));
  EXPECT_EQ(revoked_.size(), 2u);
}

TEST_F(LoginRevocationTest, TicketsOfARevokedLoginAreRefused) {
  const IssuedSession session = login("alice");
  const Principal principal = principal_of(session);
  const std::string ticket = service_.issue_ticket(principal, kServiceNow);
  service_.revoke_login(principal.login_id, "signed out", kServiceNow + 1);
  EXPECT_FALSE(service_.redeem_ticket(ticket, kServiceNow + 2));
}

TEST_F(LoginRevocationTest, RevokedLoginsSurviveARestart) {
  const IssuedSession session = login("alice");
  service_.revoke_login(principal_of(session).login_id, "refresh token reused", kServiceNow + 1);
  TokenService restarted(settings(), store_);
  restarted.load_revocations(kServiceNow + 2);
  auto verified = restarted.verify_access(session.access_token, kServiceNow + 2);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error(), "token revoked");
  // Kept until the last access token the login could have issued is dead, then purged.
  const std::int64_t dead = kServiceNow + 1 + 3600 + settings().clock_skew;
  EXPECT_EQ(store_.denied_families(dead - 1).size(), 1u);
  EXPECT_TRUE(store_.denied_families(dead).empty());
}

TEST_F(LoginRevocationTest, SyncPicksUpLoginsRevokedByAnotherProcess) {
  const IssuedSession first = login("alice");
  const IssuedSession second = login("alice");
  const IssuedSession carol = login("carol");
  // What "aicc-chat user disable" does in its own process, on the shared store.
  ASSERT_TRUE(store_.set_disabled("u_alice", true));
  EXPECT_EQ(store_.deny_families_of_user("u_alice", kServiceNow + 4000, "account disabled"), 2u);
  // Not known here until read.
  EXPECT_TRUE(service_.verify_access(first.access_token, kServiceNow + 1));

  EXPECT_EQ(service_.sync_revocations(kServiceNow + 2), 2u);
  EXPECT_FALSE(service_.verify_access(first.access_token, kServiceNow + 3));
  EXPECT_FALSE(service_.verify_access(second.access_token, kServiceNow + 3));
  EXPECT_TRUE(service_.verify_access(carol.access_token, kServiceNow + 3));
  ASSERT_EQ(revoked_.size(), 2u);
  EXPECT_EQ(revoked_[0].reason, "account disabled");
  EXPECT_EQ(error_of(service_.refresh(first.refresh_token, kServiceNow + 3)), AuthError::kDisabled);
  // Each revocation is told once.
  EXPECT_EQ(service_.sync_revocations(kServiceNow + 4), 0u);
  EXPECT_EQ(revoked_.size(), 2u);
}

}  // namespace
}  // namespace aicc::auth
