// The auth::UserStore contract: a type-parameterised GoogleTest suite written against
// auth::UserStore& only, instantiated by every adapter's tests with its own backend types. A
// backend type has `static constexpr bool kPersistent` (whether a reopen sees the same data) and
// `open()`, which gives a fresh store on its first call and, when persistent, the same data on
// later calls.
//
// Include it in one test file per executable, then, inside namespace aicc::store::contract:
//   INSTANTIATE_TYPED_TEST_SUITE_P(Name, UserStoreContract, ::testing::Types<Backend...>);
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "auth/user_store.hpp"
#include "util/random.hpp"

// The helpers have internal linkage: each including test file gets its own copy.
namespace aicc::store::contract {
namespace {

using auth::RefreshToken;
using auth::Role;
using auth::RotateOutcome;
using auth::User;
using auth::UserStore;

constexpr std::int64_t kUserNow = 1700000000;
constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kGrace = 10;

User make_user(std::string id, std::string username, std::int64_t created_at = kUserNow,
               Role role = Role::kAgent) {
  User user;
  user.id = std::move(id);
  user.username = std::move(username);
  user.display_name = "Name of " + user.id;
  user.role = role;
  user.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  user.created_at = created_at;
  return user;
}

User make_guest(std::string id, std::int64_t created_at = kUserNow) {
  User user;
  user.id = std::move(id);
  user.display_name = "Guest";
  user.role = Role::kCustomer;
  user.guest = true;
  user.created_at = created_at;
  return user;
}

RefreshToken make_token(std::string hash, std::string family, std::string user_id,
                        std::int64_t issued_at = kUserNow, std::int64_t lifetime = 30 * kDay) {
  RefreshToken token;
  token.token_hash = std::move(hash);
  token.family_id = std::move(family);
  token.user_id = std::move(user_id);
  token.issued_at = issued_at;
  token.expires_at = issued_at + lifetime;
  return token;
}

void expect_same_user(const User& actual, const User& expected) {
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_EQ(actual.username, expected.username);
  EXPECT_EQ(actual.display_name, expected.display_name);
  EXPECT_EQ(actual.role, expected.role);
  EXPECT_EQ(actual.password_hash, expected.password_hash);
  EXPECT_EQ(actual.guest, expected.guest);
  EXPECT_EQ(actual.disabled, expected.disabled);
  EXPECT_EQ(actual.created_at, expected.created_at);
  EXPECT_EQ(actual.max_rooms, expected.max_rooms);
}

void expect_same_token(const RefreshToken& actual, const RefreshToken& expected) {
  EXPECT_EQ(actual.token_hash, expected.token_hash);
  EXPECT_EQ(actual.family_id, expected.family_id);
  EXPECT_EQ(actual.user_id, expected.user_id);
  EXPECT_EQ(actual.issued_at, expected.issued_at);
  EXPECT_EQ(actual.expires_at, expected.expires_at);
  EXPECT_EQ(actual.rotated, expected.rotated);
  EXPECT_EQ(actual.rotated_at, expected.rotated_at);
  EXPECT_EQ(actual.revoked, expected.revoked);
}

std::vector<std::string> ids_of(const std::vector<User>& users) {
  std::vector<std::string> ids;
  for (const auto& user : users) ids.push_back(user.id);
  return ids;
}

// ---------------------------------------------------------------------------------------------
// The contract.

template <class Backend>
class UserStoreContract : public ::testing::Test {
 protected:
  UserStoreContract() : store_(backend_.open()) {}

  UserStore& store() { return *store_; }

  // Closes the store and opens it again on the same data.
  void reopen() {
    store_.reset();
    store_ = backend_.open();
  }

  // A user that owns refresh tokens.
  void add_owner(const std::string& id) { ASSERT_TRUE(store().create_user(make_user(id, id))); }

  Backend backend_;
  std::unique_ptr<UserStore> store_;
};

TYPED_TEST_SUITE_P(UserStoreContract);

TYPED_TEST_P(UserStoreContract, CreatesAndFindsUsersWithEveryField) {
  User user = make_user("u_1", "alice", kUserNow, Role::kAdmin);
  user.disabled = true;
  ASSERT_TRUE(this->store().create_user(user));

  const auto by_id = this->store().find_user("u_1");
  ASSERT_TRUE(by_id.has_value());
  expect_same_user(*by_id, user);
  const auto by_name = this->store().find_user_by_username("alice");
  ASSERT_TRUE(by_name.has_value());
  expect_same_user(*by_name, user);

  EXPECT_FALSE(this->store().find_user("u_2").has_value());
  EXPECT_FALSE(this->store().find_user_by_username("bob").has_value());
}

TYPED_TEST_P(UserStoreContract, RefusesTakenIdOrUsername) {
  ASSERT_TRUE(this->store().create_user(make_user("u_1", "alice")));
  EXPECT_FALSE(this->store().create_user(make_user("u_2", "alice")));
  EXPECT_FALSE(this->store().create_user(make_user("u_1", "bob")));
  EXPECT_FALSE(this->store().find_user("u_2").has_value());
  EXPECT_FALSE(this->store().find_user_by_username("bob").has_value());
  EXPECT_EQ(this->store().list_users(true).size(), 1u);
}

TYPED_TEST_P(UserStoreContract, ComparesUsernamesCaseSensitively) {
  ASSERT_TRUE(this->store().create_user(make_user("u_1", "Alice")));
  EXPECT_FALSE(this->store().find_user_by_username("alice").has_value());
  EXPECT_FALSE(this->store().find_user_by_username("ALICE").has_value());
  EXPECT_TRUE(this->store().create_user(make_user("u_2", "alice")));
  EXPECT_EQ(this->store().find_user_by_username("Alice")->id, "u_1");
  EXPECT_EQ(this->store().find_user_by_username("alice")->id, "u_2");
}

TYPED_TEST_P(UserStoreContract, StoresAnyNumberOfGuestsWithoutUsername) {
  const User first = make_guest("g_1");
  ASSERT_TRUE(this->store().create_user(first));
  ASSERT_TRUE(this->store().create_user(make_guest("g_2")));

  const auto found = this->store().find_user("g_1");
  ASSERT_TRUE(found.has_value());
  expect_same_user(*found, first);
  EXPECT_EQ(found->username, "");
  EXPECT_FALSE(this->store().find_user_by_username("").has_value());
}

TYPED_TEST_P(UserStoreContract, ListsUsersByCreationTimeThenIdAndCanLeaveGuestsOut) {
  ASSERT_TRUE(this->store().create_user(make_user("u_b", "b", kUserNow + 5)));
  ASSERT_TRUE(this->store().create_user(make_guest("g_a", kUserNow + 5)));
  ASSERT_TRUE(this->store().create_user(make_user("u_c", "c", kUserNow)));
  ASSERT_TRUE(this->store().create_user(make_user("u_a", "a", kUserNow + 9)));

  EXPECT_EQ(ids_of(this->store().list_users(true)),
            (std::vector<std::string>{"u_c", "g_a", "u_b", "u_a"}));
  EXPECT_EQ(ids_of(this->store().list_users(false)),
            (std::vector<std::string>{"u_c", "u_b", "u_a"}));
}

TYPED_TEST_P(UserStoreContract, UpdatesDisabledPasswordAndDisplayName) {
  ASSERT_TRUE(this->store().create_user(make_user("u_1", "alice")));
  EXPECT_TRUE(this->store().set_disabled("u_1", true));
  EXPECT_TRUE(this->store().set_password_hash("u_1", "new hash"));
  EXPECT_TRUE(this->store().set_display_name("u_1", "Alice A."));
  auto user = this->store().find_user("u_1");
  ASSERT_TRUE(user.has_value());
  EXPECT_TRUE(user->disabled);
  EXPECT_EQ(user->password_hash, "new hash");
  EXPECT_EQ(user->display_name, "Alice A.");

  // Setting a value it already has still reports the user as found.
  EXPECT_TRUE(this->store().set_disabled("u_1", true));
  EXPECT_TRUE(this->store().set_disabled("u_1", false));
  EXPECT_FALSE(this->store().find_user("u_1")->disabled);
}

TYPED_TEST_P(UserStoreContract, UpdatesOfUnknownUsersReportFalse) {
  EXPECT_FALSE(this->store().set_disabled("u_missing", true));
  EXPECT_FALSE(this->store().set_password_hash("u_missing", "x"));
  EXPECT_FALSE(this->store().set_display_name("u_missing", "x"));
  EXPECT_TRUE(this->store().list_users(true).empty());
}

TYPED_TEST_P(UserStoreContract, StoresAndFindsRefreshTokens) {
  this->add_owner("u_1");
  RefreshToken token = make_token("h1", "f1", "u_1");
  this->store().insert_refresh_token(token);
  const auto found = this->store().find_refresh_token("h1");
  ASSERT_TRUE(found.has_value());
  expect_same_token(*found, token);
  EXPECT_FALSE(this->store().find_refresh_token("h2").has_value());
}

TYPED_TEST_P(UserStoreContract, RotationMarksTheOldTokenAndStoresTheNext) {
  this->add_owner("u_1");
  this->store().insert_refresh_token(make_token("h1", "f1", "u_1"));
  const RefreshToken next = make_token("h2", "f1", "u_1", kUserNow + 100);

  EXPECT_EQ(this->store().rotate_refresh_token("h1", next, kUserNow + 100, kGrace),
            RotateOutcome::kRotated);
  const auto old = this->store().find_refresh_token("h1");
  ASSERT_TRUE(old.has_value());
  EXPECT_TRUE(old->rotated);
  EXPECT_EQ(old->rotated_at, kUserNow + 100);
  EXPECT_FALSE(old->revoked);
  const auto stored = this->store().find_refresh_token("h2");
  ASSERT_TRUE(stored.has_value());
  expect_same_token(*stored, next);
}

TYPED_TEST_P(UserStoreContract, RotationOfUnknownTokenStoresNothing) {
  this->add_owner("u_1");
  EXPECT_EQ(
      this->store().rotate_refresh_token("nope", make_token("h2", "f1", "u_1"), kUserNow, kGrace),
      RotateOutcome::kUnknown);
  EXPECT_FALSE(this->store().find_refresh_token("h2").has_value());
}

TYPED_TEST_P(UserStoreContract, RotationOfRevokedTokenIsRefused) {
  this->add_owner("u_1");
  this->store().insert_refresh_token(make_token("h1", "f1", "u_1"));
  this->store().revoke_family("f1");
  EXPECT_EQ(
      this->store().rotate_refresh_token("h1", make_token("h2", "f1", "u_1"), kUserNow + 1, kGrace),
      RotateOutcome::kRevoked);
  EXPECT_FALSE(this->store().find_refresh_token("h2").has_value());
  EXPECT_FALSE(this->store().find_refresh_token("h1")->rotated);
}

TYPED_TEST_P(UserStoreContract, RotationOfExpiredTokenIsRefusedFromItsExpiryOn) {
  this->add_owner("u_1");
  const RefreshToken token = make_token("h1", "f1", "u_1", kUserNow, 100);
  this->store().insert_refresh_token(token);
  EXPECT_EQ(this->store().rotate_refresh_token("h1", make_token("h2", "f1", "u_1"),
                                               token.expires_at, kGrace),
            RotateOutcome::kExpired);
  EXPECT_FALSE(this->store().find_refresh_token("h2").has_value());
  // One second earlier it was still good.
  EXPECT_EQ(this->store().rotate_refresh_token("h1", make_token("h2", "f1", "u_1"),
                                               token.expires_at - 1, kGrace),
            RotateOutcome::kRotated);
}

TYPED_TEST_P(UserStoreContract, SecondRotationWithinGraceIsAllowedAndKeepsFirstRotationTime) {
  this->add_owner("u_1");
  this->store().insert_refresh_token(make_token("h1", "f1", "u_1"));
  ASSERT_EQ(
      this->store().rotate_refresh_token("h1", make_token("h2", "f1", "u_1"), kUserNow, kGrace),
      RotateOutcome::kRotated);
  // Two tabs refreshing together: the second one, up to exactly the grace later, is not theft.
  EXPECT_EQ(this->store().rotate_refresh_token("h1", make_token("h3", "f1", "u_1"),
                                               kUserNow + kGrace, kGrace),
            RotateOutcome::kRotated);
  EXPECT_TRUE(this->store().find_refresh_token("h3").has_value());
  EXPECT_EQ(this->store().find_refresh_token("h1")->rotated_at, kUserNow);

  // The grace counts from the first rotation, so using it again does not extend it.
  EXPECT_EQ(this->store().rotate_refresh_token("h1", make_token("h4", "f1", "u_1"),
                                               kUserNow + kGrace + 1, kGrace),
            RotateOutcome::kReused);
  EXPECT_FALSE(this->store().find_refresh_token("h4").has_value());
}

TYPED_TEST_P(UserStoreContract, RotationAfterGraceIsReuse) {
  this->add_owner("u_1");
  this->store().insert_refresh_token(make_token("h1", "f1", "u_1"));
  ASSERT_EQ(
      this->store().rotate_refresh_token("h1", make_token("h2", "f1", "u_1"), kUserNow, kGrace),
      RotateOutcome::kRotated);
  EXPECT_EQ(this->store().rotate_refresh_token("h1", make_token("h3", "f1", "u_1"),
                                               kUserNow + kGrace + 1, kGrace),
            RotateOutcome::kReused);
  EXPECT_FALSE(this->store().find_refresh_token("h3").has_value());
  // The store only reports reuse; revoking the family is the caller's decision.
  EXPECT_FALSE(this->store().find_refresh_token("h2")->revoked);
}

TYPED_TEST_P(UserStoreContract, RevokingAFamilyLeavesOtherFamiliesAlone) {
  this->add_owner("u_1");
  this->add_owner("u_2");
  this->store().insert_refresh_token(make_token("a1", "fa", "u_1"));
  ASSERT_EQ(
      this->store().rotate_refresh_token("a1", make_token("a2", "fa", "u_1"), kUserNow, kGrace),
      RotateOutcome::kRotated);
  this->store().insert_refresh_token(make_token("b1", "fb", "u_1"));
  this->store().insert_refresh_token(make_token("c1", "fc", "u_2"));

  this->store().revoke_family("fa");
  EXPECT_TRUE(this->store().find_refresh_token("a1")->revoked);
  EXPECT_TRUE(this->store().find_refresh_token("a2")->revoked);
  EXPECT_FALSE(this->store().find_refresh_token("b1")->revoked);
  EXPECT_FALSE(this->store().find_refresh_token("c1")->revoked);
  EXPECT_EQ(
      this->store().rotate_refresh_token("b1", make_token("b2", "fb", "u_1"), kUserNow, kGrace),
      RotateOutcome::kRotated);
}

TYPED_TEST_P(UserStoreContract, RevokingAllTokensOfAUserLeavesOtherUsersAlone) {
  this->add_owner("u_1");
  this->add_owner("u_2");
  this->store().insert_refresh_token(make_token("a1", "fa", "u_1"));
  this->store().insert_refresh_token(make_token("b1", "fb", "u_1"));
  this->store().insert_refresh_token(make_token("c1", "fc", "u_2"));

  this->store().revoke_all_refresh_tokens("u_1");
  EXPECT_TRUE(this->store().find_refresh_token("a1")->revoked);
  EXPECT_TRUE(this->store().find_refresh_token("b1")->revoked);
  EXPECT_FALSE(this->store().find_refresh_token("c1")->revoked);
}

TYPED_TEST_P(UserStoreContract, DenyListKeepsEntriesUntilTheyExpire) {
  this->store().deny_access_token("j1", kUserNow + 100);
  this->store().deny_access_token("j2", kUserNow + 200);
  EXPECT_EQ(this->store().denied_access_tokens(kUserNow), (std::vector<std::string>{"j1", "j2"}));
  EXPECT_EQ(this->store().denied_access_tokens(kUserNow + 100), (std::vector<std::string>{"j2"}));
  EXPECT_TRUE(this->store().denied_access_tokens(kUserNow + 200).empty());
}

TYPED_TEST_P(UserStoreContract, DenyingTwiceKeepsTheLaterExpiry) {
  this->store().deny_access_token("j1", kUserNow + 200);
  this->store().deny_access_token("j1", kUserNow + 100);
  EXPECT_EQ(this->store().denied_access_tokens(kUserNow + 150), (std::vector<std::string>{"j1"}));
  this->store().deny_access_token("j1", kUserNow + 300);
  EXPECT_EQ(this->store().denied_access_tokens(kUserNow + 250), (std::vector<std::string>{"j1"}));
}

TYPED_TEST_P(UserStoreContract, PurgeDropsExpiredTokensAndDenyListEntriesOnly) {
  this->add_owner("u_1");
  this->store().insert_refresh_token(make_token("old", "f1", "u_1", kUserNow, 100));
  this->store().insert_refresh_token(make_token("new", "f2", "u_1", kUserNow, 1000));
  this->store().deny_access_token("j_old", kUserNow + 100);
  this->store().deny_access_token("j_new", kUserNow + 1000);

  EXPECT_EQ(this->store().purge_expired(kUserNow + 100), 2u);
  EXPECT_FALSE(this->store().find_refresh_token("old").has_value());
  EXPECT_TRUE(this->store().find_refresh_token("new").has_value());
  EXPECT_EQ(this->store().denied_access_tokens(kUserNow), (std::vector<std::string>{"j_new"}));
  EXPECT_EQ(this->store().purge_expired(kUserNow + 100), 0u);
  EXPECT_TRUE(this->store().find_user("u_1").has_value());
}

TYPED_TEST_P(UserStoreContract, HostileStringsAreStoredAndFoundExactly) {
  const std::vector<std::string> names = {
      "o'brien",
      "say \"hi\"",
      "back\\slash",
      std::string("nul\0inside", 10),
      std::string("\0", 1),
      std::string(10 * 1024, 'x'),
      "x'; DROP TABLE users; --",
      "' OR '1'='1",
      "%",
      "_",
      "\xff\xfe not utf-8",
      "Ünïcødé 名前 🙂",
  };
  int n = 0;
  for (const auto& name : names) {
    User user = make_user("u_" + std::to_string(n++), name);
    user.display_name = name;
    user.password_hash = name;
    ASSERT_TRUE(this->store().create_user(user)) << name;
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto found = this->store().find_user_by_username(names[i]);
    ASSERT_TRUE(found.has_value()) << names[i];
    EXPECT_EQ(found->id, "u_" + std::to_string(i));
    EXPECT_EQ(found->username, names[i]);
    EXPECT_EQ(found->display_name, names[i]);
    EXPECT_EQ(found->password_hash, names[i]);
  }
  // Prefixes and longer strings are other names: nothing stops at a NUL or matches a pattern.
  EXPECT_FALSE(this->store().find_user_by_username("nul").has_value());
  EXPECT_FALSE(this->store().find_user_by_username(std::string("nul\0inside!", 11)).has_value());
  EXPECT_FALSE(this->store().find_user_by_username(std::string(10 * 1024 - 1, 'x')).has_value());
  EXPECT_FALSE(this->store().find_user_by_username("anything' OR '1'='1").has_value());
  EXPECT_FALSE(this->store().find_user_by_username("o'brie%").has_value());
  EXPECT_EQ(this->store().list_users(true).size(), names.size());

  // The same holds for ids, token hashes and jtis.
  const std::string odd_id = std::string("u_'\0;--", 7);
  ASSERT_TRUE(this->store().create_user(make_user(odd_id, "odd")));
  EXPECT_EQ(this->store().find_user(odd_id)->username, "odd");
  EXPECT_FALSE(this->store().find_user("u_'").has_value());
  const std::string odd_hash = "h' OR 1=1; --";
  this->store().insert_refresh_token(make_token(odd_hash, "f'1", odd_id));
  EXPECT_EQ(this->store().find_refresh_token(odd_hash)->user_id, odd_id);
  EXPECT_FALSE(this->store().find_refresh_token("h").has_value());
  const std::string odd_jti = std::string("j'\0\"", 4);
  this->store().deny_access_token(odd_jti, kUserNow + 10);
  EXPECT_EQ(this->store().denied_access_tokens(kUserNow), (std::vector<std::string>{odd_jti}));
}

TYPED_TEST_P(UserStoreContract, ListsStaffByUsernameFilteredAndPaged) {
  UserStore& store = this->store();
  ASSERT_TRUE(store.create_user(make_user("u_b", "bob")));
  ASSERT_TRUE(store.create_user(make_user("u_a", "ann")));
  ASSERT_TRUE(store.create_user(make_user("u_c", "cho", kUserNow, Role::kAdmin)));
  ASSERT_TRUE(store.create_user(make_user("u_d", "dan", kUserNow, Role::kCustomer)));
  ASSERT_TRUE(store.create_user(make_guest("g_1")));
  ASSERT_TRUE(store.create_user(make_user("u_e", "eve")));
  ASSERT_TRUE(store.set_disabled("u_e", true));
  const auto names = [](const std::vector<User>& users) {
    std::vector<std::string> out;
    for (const User& user : users) out.push_back(user.username);
    return out;
  };
  using Names = std::vector<std::string>;
  const auto query = [](std::optional<Role> role, std::optional<bool> disabled,
                        std::string after = "", std::size_t limit = 100) {
    auth::StaffQuery q;
    q.role = role;
    q.disabled = disabled;
    q.after_username = std::move(after);
    q.limit = limit;
    return q;
  };
  // Customers and guests never; by username, whatever the creation order.
  EXPECT_EQ(names(store.list_staff({})), (Names{"ann", "bob", "cho", "eve"}));
  EXPECT_EQ(names(store.list_staff(query(Role::kAdmin, {}))), (Names{"cho"}));
  EXPECT_EQ(names(store.list_staff(query(Role::kAgent, false))), (Names{"ann", "bob"}));
  EXPECT_EQ(names(store.list_staff(query({}, true))), (Names{"eve"}));
  // Pages: a cursor and a limit.
  EXPECT_EQ(names(store.list_staff(query({}, {}, "", 2))), (Names{"ann", "bob"}));
  EXPECT_EQ(names(store.list_staff(query({}, {}, "bob", 2))), (Names{"cho", "eve"}));
  EXPECT_TRUE(store.list_staff(query({}, {}, "eve")).empty());
  EXPECT_TRUE(store.list_staff(query({}, {}, "", 0)).empty());
}

TYPED_TEST_P(UserStoreContract, DisablesAnyoneButTheLastEnabledAdmin) {
  UserStore& store = this->store();
  ASSERT_TRUE(store.create_user(make_user("u_1", "root", kUserNow, Role::kAdmin)));
  ASSERT_TRUE(store.create_user(make_user("u_2", "boss", kUserNow, Role::kAdmin)));
  ASSERT_TRUE(store.create_user(make_user("u_3", "agent")));
  EXPECT_EQ(store.disable_user("u_missing"), auth::DisableOutcome::kNotFound);
  EXPECT_EQ(store.disable_user("u_3"), auth::DisableOutcome::kDisabled);
  EXPECT_TRUE(store.find_user("u_3")->disabled);
  EXPECT_EQ(store.disable_user("u_1"), auth::DisableOutcome::kDisabled);
  // A disabled admin does not count: u_2 is the last one.
  EXPECT_EQ(store.disable_user("u_2"), auth::DisableOutcome::kLastAdmin);
  EXPECT_FALSE(store.find_user("u_2")->disabled);
  // Disabling one already disabled is no change, and allowed.
  EXPECT_EQ(store.disable_user("u_1"), auth::DisableOutcome::kDisabled);
  ASSERT_TRUE(store.set_disabled("u_1", false));
  EXPECT_EQ(store.disable_user("u_2"), auth::DisableOutcome::kDisabled);
}

TYPED_TEST_P(UserStoreContract, TwoAdminsDisablingEachOtherAtOnceLeaveOneEnabled) {
  UserStore& store = this->store();
  ASSERT_TRUE(store.create_user(make_user("u_1", "root", kUserNow, Role::kAdmin)));
  ASSERT_TRUE(store.create_user(make_user("u_2", "boss", kUserNow, Role::kAdmin)));
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(store.set_disabled("u_1", false));
    ASSERT_TRUE(store.set_disabled("u_2", false));
    std::atomic<int> disabled{0};
    std::thread first(
        [&] { disabled += store.disable_user("u_1") == auth::DisableOutcome::kDisabled; });
    std::thread second(
        [&] { disabled += store.disable_user("u_2") == auth::DisableOutcome::kDisabled; });
    first.join();
    second.join();
    EXPECT_EQ(disabled.load(), 1) << "round " << round;
    EXPECT_NE(store.find_user("u_1")->disabled, store.find_user("u_2")->disabled);
  }
}

TYPED_TEST_P(UserStoreContract, StoresRoomLimits) {
  UserStore& store = this->store();
  ASSERT_TRUE(store.create_user(make_user("u_1", "ann")));
  ASSERT_TRUE(store.create_user(make_user("u_2", "bob")));
  EXPECT_EQ(store.find_user("u_1")->max_rooms, 0);
  EXPECT_TRUE(store.room_limits().empty());
  EXPECT_TRUE(store.set_max_rooms("u_1", 1));
  EXPECT_TRUE(store.set_max_rooms("u_2", 7));
  EXPECT_FALSE(store.set_max_rooms("u_missing", 2));
  EXPECT_EQ(store.find_user("u_1")->max_rooms, 1);
  EXPECT_EQ(store.find_user_by_username("bob")->max_rooms, 7);
  using Limits = std::vector<std::pair<std::string, int>>;
  EXPECT_EQ(store.room_limits(), (Limits{{"u_1", 1}, {"u_2", 7}}));
  // 0 is the configured default again: no limit of their own.
  EXPECT_TRUE(store.set_max_rooms("u_2", 0));
  EXPECT_EQ(store.room_limits(), (Limits{{"u_1", 1}}));
  EXPECT_EQ(store.list_staff({})[0].max_rooms, 1);
}

TYPED_TEST_P(UserStoreContract, AppendsAndPagesTheUserAuditNewestFirst) {
  UserStore& store = this->store();
  EXPECT_TRUE(store.query_user_audit(0, 10).empty());
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    auth::UserAuditEntry entry;
    entry.at = kUserNow * 1000 + i;
    entry.actor_id = i == 0 ? "cli:root" : "u_admin";
    entry.actor_name = std::string("Kim \"'\x01") + std::to_string(i);
    entry.action = "disable";
    entry.target_id = "u_" + std::to_string(i);
    entry.target_username = "agent" + std::to_string(i);
    entry.detail = "logins=2";
    entry.request_id = i == 0 ? "" : "req-" + std::to_string(i);
    ids.push_back(store.append_user_audit(entry));
  }
  EXPECT_LT(ids[0], ids[1]);
  EXPECT_LT(ids[1], ids[2]);
  const auto all = store.query_user_audit(0, 10);
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all[0].id, ids[2]);
  EXPECT_EQ(all[2].id, ids[0]);
  EXPECT_EQ(all[2].at, kUserNow * 1000);
  EXPECT_EQ(all[2].actor_id, "cli:root");
  EXPECT_EQ(all[2].actor_name, std::string("Kim \"'\x01") + "0");
  EXPECT_EQ(all[2].action, "disable");
  EXPECT_EQ(all[2].target_id, "u_0");
  EXPECT_EQ(all[2].target_username, "agent0");
  EXPECT_EQ(all[2].detail, "logins=2");
  EXPECT_EQ(all[2].request_id, "");
  EXPECT_EQ(all[0].request_id, "req-2");
  const auto page = store.query_user_audit(ids[2], 1);
  ASSERT_EQ(page.size(), 1U);
  EXPECT_EQ(page[0].id, ids[1]);
  EXPECT_TRUE(store.query_user_audit(ids[0], 10).empty());
}

TYPED_TEST_P(UserStoreContract, EverythingSurvivesAReopen) {
  if constexpr (!TypeParam::kPersistent) {
    GTEST_SKIP() << "this backend does not persist";
  } else {
    const User alice = make_user("u_1", "alice");
    const User guest = make_guest("g_1");
    ASSERT_TRUE(this->store().create_user(alice));
    ASSERT_TRUE(this->store().create_user(guest));
    this->store().insert_refresh_token(make_token("h1", "f1", "u_1"));
    ASSERT_EQ(
        this->store().rotate_refresh_token("h1", make_token("h2", "f1", "u_1"), kUserNow, kGrace),
        RotateOutcome::kRotated);
    this->store().insert_refresh_token(make_token("g1", "fg", "g_1"));
    this->store().revoke_family("fg");
    this->store().deny_access_token("j1", kUserNow + 100);

    this->reopen();

    expect_same_user(*this->store().find_user_by_username("alice"), alice);
    expect_same_user(*this->store().find_user("g_1"), guest);
    const auto h1 = this->store().find_refresh_token("h1");
    ASSERT_TRUE(h1.has_value());
    EXPECT_TRUE(h1->rotated);
    EXPECT_EQ(h1->rotated_at, kUserNow);
    EXPECT_TRUE(this->store().find_refresh_token("h2").has_value());
    EXPECT_TRUE(this->store().find_refresh_token("g1")->revoked);
    EXPECT_EQ(this->store().denied_access_tokens(kUserNow), (std::vector<std::string>{"j1"}));
    // Reuse detection still works across the restart.
    EXPECT_EQ(this->store().rotate_refresh_token("h1", make_token("h3", "f1", "u_1"),
                                                 kUserNow + kGrace + 1, kGrace),
              RotateOutcome::kReused);
  }
}

REGISTER_TYPED_TEST_SUITE_P(
    UserStoreContract, CreatesAndFindsUsersWithEveryField, RefusesTakenIdOrUsername,
    ComparesUsernamesCaseSensitively, StoresAnyNumberOfGuestsWithoutUsername,
    ListsUsersByCreationTimeThenIdAndCanLeaveGuestsOut, UpdatesDisabledPasswordAndDisplayName,
    UpdatesOfUnknownUsersReportFalse, StoresAndFindsRefreshTokens,
    RotationMarksTheOldTokenAndStoresTheNext, RotationOfUnknownTokenStoresNothing,
    RotationOfRevokedTokenIsRefused, RotationOfExpiredTokenIsRefusedFromItsExpiryOn,
    SecondRotationWithinGraceIsAllowedAndKeepsFirstRotationTime, RotationAfterGraceIsReuse,
    RevokingAFamilyLeavesOtherFamiliesAlone, RevokingAllTokensOfAUserLeavesOtherUsersAlone,
    DenyListKeepsEntriesUntilTheyExpire, DenyingTwiceKeepsTheLaterExpiry,
    PurgeDropsExpiredTokensAndDenyListEntriesOnly, HostileStringsAreStoredAndFoundExactly,
    ListsStaffByUsernameFilteredAndPaged, DisablesAnyoneButTheLastEnabledAdmin,
    TwoAdminsDisablingEachOtherAtOnceLeaveOneEnabled, StoresRoomLimits,
    AppendsAndPagesTheUserAuditNewestFirst, EverythingSurvivesAReopen);

}  // namespace
}  // namespace aicc::store::contract
