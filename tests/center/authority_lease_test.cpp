// The routing authority as one node holds it, against a real store: granted to one node at a
// time, renewed by its holder, taken over under the next epoch once the lease ran out unrenewed,
// and a store that cannot be asked is a failure (never a grant).
#include "center/authority_lease.hpp"

#include <gtest/gtest.h>

#include "../store/temp_file.hpp"
#include "store/sqlite/database.hpp"
#include "store/sqlite/sqlite_chat_store.hpp"

namespace aicc::center {
namespace {

using Kind = AuthorityLease::Step::Kind;

TEST(AuthorityLease, OneHolderRenewsAndAnotherTakesOverOnceTheLeaseRanOut) {
  store::sqlite::SqliteChatStore store(":memory:");
  AuthorityLease a("node-a");
  AuthorityLease b("node-b");
  const auto granted = a.claim(store, 1000);
  ASSERT_EQ(granted.kind, Kind::kGranted);
  EXPECT_FALSE(a.held());  // not until the state was read and take() says so
  a.take(granted.grant);
  EXPECT_EQ(a.epoch(), 1);
  EXPECT_EQ(b.claim(store, 1500).kind, Kind::kRefused);
  EXPECT_EQ(a.claim(store, 2000).kind, Kind::kRenewed);
  EXPECT_FALSE(a.ran_out(2000 + AuthorityLease::kLease - 1));
  EXPECT_TRUE(a.ran_out(2000 + AuthorityLease::kLease));
  // A stops renewing: B takes over under the next epoch, and A is refused from then on.
  const auto taken = b.claim(store, 2000 + AuthorityLease::kLease);
  ASSERT_EQ(taken.kind, Kind::kGranted);
  b.take(taken.grant);
  EXPECT_EQ(b.epoch(), 2);
  EXPECT_EQ(a.claim(store, 2000 + AuthorityLease::kLease + 1).kind, Kind::kRefused);
  // What A would write now under its old epoch is fenced off by the store.
  EXPECT_FALSE(store.apply_routing_writes(a.epoch(), {}));
  EXPECT_TRUE(store.apply_routing_writes(b.epoch(), {}));
  a.drop();
  EXPECT_FALSE(a.held());
}

TEST(AuthorityLease, AStoreThatCannotBeAskedIsAFailureNotAGrant) {
  store::testing::TempFile file;
  store::sqlite::SqliteChatStore store(file.path());
  AuthorityLease a("node-a");
  a.take(a.claim(store, 0).grant);
  // The store breaks under the holder (here: its table is gone).
  store::sqlite::Database(file.path())
      .execute("DROP TABLE routing_authority", "break the routing authority's table");
  const auto step = a.claim(store, 1000);
  EXPECT_EQ(step.kind, Kind::kFailed);
  EXPECT_FALSE(step.error.empty());
  EXPECT_TRUE(a.held());  // until its lease runs out
  EXPECT_TRUE(a.ran_out(AuthorityLease::kLease));
}

}  // namespace
}  // namespace aicc::center
