#include "auth/user_admin.hpp"

#include <gtest/gtest.h>

#include "auth/password.hpp"
#include "auth/user_rules.hpp"
#include "store/sqlite/sqlite_user_store.hpp"

namespace aicc::auth {
namespace {

const Actor kAdminActor{"u_root", "Root", "req-1"};

class UserAdminTest : public ::testing::Test {
 protected:
  UserAdminTest() : admin_(store_, 3660, true, [this] { ++revocations_; }) {
    User root;
    root.id = "u_root";
    root.username = "root";
    root.display_name = "Root";
    root.role = Role::kAdmin;
    root.password_hash = hash_password("root password");
    EXPECT_TRUE(store_.create_user(root));
  }

  User create(const std::string& username, Role role = Role::kAgent) {
    auto made = admin_.create(kAdminActor, {username, role, "", "a good password", 0});
    EXPECT_TRUE(made) << (made ? "" : made.error().message);
    return made ? made->user : User{};
  }

  store::sqlite::SqliteUserStore store_{":memory:"};
  int revocations_ = 0;
  UserAdmin admin_;
};

TEST(UserRules, UsernamesPasswordsAndDisplayNames) {
  EXPECT_TRUE(valid_username("kim.agent-1@x_y"));
  EXPECT_FALSE(valid_username(""));
  EXPECT_FALSE(valid_username(std::string(65, 'a')));
  EXPECT_FALSE(valid_username("kim agent"));
  EXPECT_FALSE(valid_username("김"));
  EXPECT_NE(password_problem("short"), "");
  EXPECT_NE(password_problem(std::string(kMaxPasswordBytes + 1, 'x')), "");
  EXPECT_EQ(password_problem("long enough"), "");
  EXPECT_TRUE(valid_account_display_name("김 상담원"));
  EXPECT_FALSE(valid_account_display_name(""));
  EXPECT_FALSE(valid_account_display_name("a\nb"));
  EXPECT_FALSE(valid_account_display_name("\xff"));
  EXPECT_FALSE(valid_account_display_name(std::string(65, 'a')));
}

TEST(UserRules, GeneratedPasswordsAreLongAndDiffer) {
  const std::string first = generate_password();
  EXPECT_EQ(first.size(), 16u);
  EXPECT_EQ(password_problem(first), "");
  EXPECT_NE(first, generate_password());
  EXPECT_EQ(first.find_first_of("0O1lI"), std::string::npos);
}

TEST_F(UserAdminTest, CreatesAgentsAndAdminsAndRefusesDuplicatesAndCustomers) {
  auto made = admin_.create(kAdminActor, {"kim", Role::kAgent, "김", "", 2});
  ASSERT_TRUE(made);
  EXPECT_EQ(made->generated_password.size(), 16u);
  const auto stored = store_.find_user_by_username("kim");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->display_name, "김");
  EXPECT_EQ(stored->max_rooms, 2);
  EXPECT_TRUE(verify_password(made->generated_password, stored->password_hash));

  auto again = admin_.create(kAdminActor, {"kim", Role::kAdmin, "", "a good password", 0});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().status, 409u);
  EXPECT_EQ(again.error().code, "username_taken");
  EXPECT_EQ(admin_.create(kAdminActor, {"cust", Role::kCustomer, "", "a good password", 0})
                .error()
                .status,
            400u);
  EXPECT_EQ(admin_.create(kAdminActor, {"x y", Role::kAgent, "", "", 0}).error().status, 400u);
  EXPECT_EQ(admin_.create(kAdminActor, {"lee", Role::kAgent, "", "short", 0}).error().status, 400u);
  EXPECT_EQ(admin_.create(kAdminActor, {"lee", Role::kAgent, "", "", 101}).error().status, 400u);
  EXPECT_EQ(admin_.create(kAdminActor, {"lee", Role::kAdmin, "", "", 2}).error().status, 400u);
}

TEST_F(UserAdminTest, DisablingRevokesAndIsRefusedForOneselfAndTheLastAdmin) {
  const User agent = create("kim");
  auto disabled = admin_.set_disabled(kAdminActor, agent.id, true);
  ASSERT_TRUE(disabled);
  EXPECT_TRUE(disabled->changed);
  EXPECT_TRUE(store_.find_user(agent.id)->disabled);
  EXPECT_EQ(revocations_, 1);
  // Again: nothing changes, nothing more is audited.
  EXPECT_FALSE(admin_.set_disabled(kAdminActor, agent.id, true)->changed);
  EXPECT_TRUE(admin_.set_disabled(kAdminActor, agent.id, false)->changed);

  EXPECT_EQ(admin_.set_disabled(kAdminActor, "u_root", true).error().code, "cannot_disable_self");
  const User other = create("boss", Role::kAdmin);
  const Actor boss{other.id, "Boss", ""};
  ASSERT_TRUE(admin_.set_disabled(boss, "u_root", true));
  // root is disabled now: boss is the last enabled admin (and cannot disable themselves anyway).
  EXPECT_EQ(admin_.set_disabled(kAdminActor, other.id, true).error().code, "last_admin");
  EXPECT_EQ(admin_.set_disabled(kAdminActor, "u_nobody", true).error().status, 404u);
}

TEST_F(UserAdminTest, ResetPasswordReplacesTheOldOneAndRevokes) {
  const User agent = create("kim");
  auto reset = admin_.reset_password(kAdminActor, agent.id, "");
  ASSERT_TRUE(reset);
  const auto stored = store_.find_user(agent.id);
  EXPECT_FALSE(verify_password("a good password", stored->password_hash));
  EXPECT_TRUE(verify_password(reset->generated_password, stored->password_hash));
  EXPECT_EQ(revocations_, 1);
  EXPECT_TRUE(reset->user.password_hash.empty());
  EXPECT_EQ(admin_.reset_password(kAdminActor, agent.id, "short").error().status, 400u);
  ASSERT_TRUE(admin_.reset_password(kAdminActor, agent.id, "chosen password"));
  EXPECT_TRUE(verify_password("chosen password", store_.find_user(agent.id)->password_hash));
}

TEST_F(UserAdminTest, RoomLimitsAreForAgentsWithinBounds) {
  const User agent = create("kim");
  EXPECT_EQ(admin_.set_max_rooms(kAdminActor, agent.id, 1)->user.max_rooms, 1);
  EXPECT_FALSE(admin_.set_max_rooms(kAdminActor, agent.id, 1)->changed);
  EXPECT_EQ(admin_.set_max_rooms(kAdminActor, agent.id, -1).error().status, 400u);
  EXPECT_EQ(admin_.set_max_rooms(kAdminActor, agent.id, kMaxRoomLimit + 1).error().status, 400u);
  EXPECT_EQ(admin_.set_max_rooms(kAdminActor, "u_root", 2).error().status, 400u);
  EXPECT_EQ(admin_.set_max_rooms(kAdminActor, agent.id, 0)->user.max_rooms, 0);
}

TEST_F(UserAdminTest, EveryChangeIsAuditedWithItsActorAndNeverThePassword) {
  const User agent = create("kim");
  ASSERT_TRUE(admin_.set_disabled(kAdminActor, agent.id, true));
  ASSERT_TRUE(admin_.set_disabled(kAdminActor, agent.id, false));
  ASSERT_TRUE(admin_.reset_password({"cli:ops", "ops", ""}, agent.id, "secret password 1"));
  ASSERT_TRUE(admin_.set_max_rooms(kAdminActor, agent.id, 4));
  ASSERT_TRUE(admin_.rename(kAdminActor, agent.id, "Kim"));
  const auto entries = store_.query_user_audit(0, 10);
  std::vector<std::string> actions;
  for (const auto& e : entries) {
    actions.push_back(e.action);
    EXPECT_EQ(e.target_id, agent.id);
    EXPECT_EQ(e.target_username, "kim");
    EXPECT_EQ(e.detail.find("password 1"), std::string::npos);
    EXPECT_EQ(e.detail.find("a good password"), std::string::npos);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"rename", "max_rooms", "reset_password", "enable",
                                               "disable", "create"}));
  EXPECT_EQ(entries[2].actor_id, "cli:ops");
  EXPECT_EQ(entries[0].actor_id, "u_root");
  EXPECT_EQ(entries[0].request_id, "req-1");
  EXPECT_EQ(entries[1].detail, "maxRooms=4 was=0");
}

TEST_F(UserAdminTest, CustomersAreNotFoundForAStaffOnlyAdmin) {
  User customer;
  customer.id = "u_cust";
  customer.username = "cust";
  customer.display_name = "C";
  customer.role = Role::kCustomer;
  ASSERT_TRUE(store_.create_user(customer));
  EXPECT_FALSE(admin_.find("u_cust"));
  EXPECT_EQ(admin_.set_disabled(kAdminActor, "u_cust", true).error().status, 404u);
  UserAdmin cli(store_, 3660, false);
  EXPECT_TRUE(cli.set_disabled({"cli:ops", "ops", ""}, "u_cust", true));
}

}  // namespace
}  // namespace aicc::auth
