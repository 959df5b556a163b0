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
  EXPECT_TRUE(a.offer(granted.grant));
  ASSERT_TRUE(a.take(granted.grant, 1000));
  EXPECT_EQ(a.epoch(), 1);
  EXPECT_EQ(b.claim(store, 1500).kind, Kind::kRefused);
  EXPECT_EQ(a.claim(store, 2000).kind, Kind::kRenewed);
  EXPECT_FALSE(a.ran_out(2000 + AuthorityLease::kLease - 1));
  EXPECT_TRUE(a.ran_out(2000 + AuthorityLease::kLease));
  // A stops renewing: B takes over under the next epoch, and A is refused from then on.
  const auto taken = b.claim(store, 2000 + AuthorityLease::kLease);
  ASSERT_EQ(taken.kind, Kind::kGranted);
  EXPECT_TRUE(b.offer(taken.grant));
  ASSERT_TRUE(b.take(taken.grant, 2000 + AuthorityLease::kLease));
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
  const auto granted = a.claim(store, 0);
  a.offer(granted.grant);
  ASSERT_TRUE(a.take(granted.grant, 0));
  // The store breaks under the holder (here: its table is gone).
  store::sqlite::Database(file.path())
      .execute("DROP TABLE routing_authority", "break the routing authority's table");
  const auto step = a.claim(store, 1000);
  EXPECT_EQ(step.kind, Kind::kFailed);
  EXPECT_FALSE(step.error.empty());
  EXPECT_TRUE(a.held());  // until its lease runs out
  EXPECT_TRUE(a.ran_out(AuthorityLease::kLease));
}

// Claims run on their own thread and the grant is taken on the contact center's: meanwhile the
// lease is renewed for the offered grant, a grant is offered once, and one withdrawn or run out
// before it could be taken is not held.
TEST(AuthorityLease, AnOfferedGrantIsRenewedOfferedOnceAndTakenOnlyWhileValid) {
  store::sqlite::SqliteChatStore store(":memory:");
  AuthorityLease a("node-a");
  const auto first = a.claim(store, 1000);
  ASSERT_EQ(first.kind, Kind::kGranted);
  EXPECT_TRUE(a.offer(first.grant));
  const auto again = a.claim(store, 2000);  // the state is still being read elsewhere
  ASSERT_EQ(again.kind, Kind::kGranted);
  EXPECT_EQ(again.grant.epoch, first.grant.epoch);
  EXPECT_FALSE(a.offer(again.grant));  // already on its way
  // Renewed while offered: taken at 1000 + kLease + 500, past the first grant's lease.
  EXPECT_TRUE(a.take(first.grant, 1000 + AuthorityLease::kLease + 500));
  EXPECT_EQ(a.epoch(), first.grant.epoch);
  EXPECT_EQ(a.claim(store, 2500).kind, Kind::kRenewed);

  // Withdrawn (say the state could not be read): not taken, and offered again next time.
  AuthorityLease b("node-b");
  const auto later = 2500 + AuthorityLease::kLease;
  const auto granted = b.claim(store, later);
  ASSERT_EQ(granted.kind, Kind::kGranted);
  EXPECT_TRUE(b.offer(granted.grant));
  b.withdraw_offer();
  EXPECT_FALSE(b.take(granted.grant, later));
  EXPECT_FALSE(b.held());
  EXPECT_TRUE(b.offer(b.claim(store, later + 1).grant));
  // Its lease ran out before it could be taken: not held either.
  EXPECT_FALSE(b.take(granted.grant, later + 1 + AuthorityLease::kLease));
  EXPECT_FALSE(b.held());
  EXPECT_TRUE(b.take(granted.grant, later + 2));
  EXPECT_EQ(b.epoch(), 2);
}

// A step down of the held epoch, queued before the take of a newer grant, leaves that grant
// offered: it is taken, not lost for a tick.
TEST(AuthorityLease, DroppingAnEpochKeepsANewerGrantOffered) {
  AuthorityLease a("node-a");
  const chat::AuthorityGrant one{.epoch = 1, .lease_until = 5000};
  ASSERT_TRUE(a.offer(one));
  ASSERT_TRUE(a.take(one, 0));
  const chat::AuthorityGrant two{.epoch = 2, .lease_until = 6000};
  ASSERT_TRUE(a.offer(two));
  a.drop();
  EXPECT_FALSE(a.held());
  EXPECT_EQ(a.offered(), 2);
  EXPECT_TRUE(a.take(two, 100));
  EXPECT_EQ(a.epoch(), 2);
  a.drop();
  EXPECT_EQ(a.offered(), 0);
}

}  // namespace
}  // namespace aicc::center
