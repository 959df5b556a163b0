#include "chat/routing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

namespace aicc::chat {
namespace {

using namespace std::chrono_literals;

constexpr Millis kRoutingT0 =
    1'700'000'000'000;  // any fixed instant; the engine never reads a clock

template <class T>
std::vector<T> all(const Effects& effects) {
  std::vector<T> result;
  for (const auto& effect : effects) {
    if (const T* item = std::get_if<T>(&effect)) result.push_back(*item);
  }
  return result;
}

template <class T>
T one(const Effects& effects) {
  auto items = all<T>(effects);
  EXPECT_EQ(items.size(), 1u);
  return items.empty() ? T{} : items.front();
}

std::vector<Audit> audits(const Effects& effects, AuditEvent event) {
  std::vector<Audit> result;
  for (auto& audit : all<Audit>(effects)) {
    if (audit.event == event) result.push_back(audit);
  }
  return result;
}

std::map<std::string, CandidateVerdict> verdicts(const Audit& audit) {
  std::map<std::string, CandidateVerdict> result;
  for (const auto& candidate : audit.candidates) result[candidate.agent_id] = candidate.verdict;
  return result;
}

CustomerRef customer(const std::string& id) { return {id, "Customer " + id}; }
AgentRef agent(const std::string& id) { return {id, "Agent " + id}; }

RoutingOptions options(RoutingMode mode = RoutingMode::kHybrid) {
  RoutingOptions o;
  o.mode = mode;
  return o;
}

// The id of the request that a fresh `request` call made.
std::string opened(const Effects& effects) { return one<StoreUpsert>(effects).record.id; }

std::optional<int> position_of(const Routing& routing, const std::string& request_id) {
  for (const auto& w : routing.waiting()) {
    if (w.request_id == request_id) return w.position;
  }
  return std::nullopt;
}

TEST(Routing, ManualAcceptConnectsCustomerAndAgent) {
  Routing routing(options());
  routing.agent_login(agent("a1"), kRoutingT0);
  routing.agent_login(agent("a2"), kRoutingT0);

  auto asked =
      routing.request(customer("c1"), {"billing", "double charge", "Sorry"}, kRoutingT0 + 5);
  const auto offer = one<OfferRequest>(asked);
  EXPECT_EQ(offer.recipients, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(offer.customer.id, "c1");
  EXPECT_EQ(offer.details.category, "billing");
  EXPECT_EQ(offer.waiting_since, kRoutingT0 + 5);
  const auto waiting = one<CustomerStatus>(asked);
  EXPECT_EQ(waiting.status, ConsultStatus::kWaiting);
  EXPECT_EQ(waiting.position, 1);
  ASSERT_EQ(audits(asked, AuditEvent::kOffer).size(), 1u);

  auto accepted = routing.accept("a2", offer.request_id, kRoutingT0 + 2000);
  const auto assigned = one<Assigned>(accepted);
  EXPECT_EQ(assigned.mode, AssignMode::kManual);
  EXPECT_EQ(assigned.agent.id, "a2");
  EXPECT_EQ(assigned.customer.id, "c1");
  EXPECT_FALSE(assigned.room_id.empty());
  const auto status = one<CustomerStatus>(accepted);
  EXPECT_EQ(status.status, ConsultStatus::kConnected);
  EXPECT_EQ(status.agent_id, "a2");
  EXPECT_EQ(status.agent_name, "Agent a2");
  EXPECT_EQ(status.room_id, assigned.room_id);
  EXPECT_FALSE(status.position);
  const auto update = one<RequestUpdate>(accepted);
  EXPECT_EQ(update.status, RequestUpdate::Status::kAssigned);
  EXPECT_EQ(update.agent_id, "a2");
  EXPECT_EQ(audits(accepted, AuditEvent::kAccept).size(), 1u);
  EXPECT_EQ(one<StoreUpsert>(accepted).record.agent.id, "a2");

  EXPECT_TRUE(routing.waiting().empty());
  EXPECT_FALSE(routing.next_deadline());
  ASSERT_TRUE(routing.room(assigned.room_id));
  EXPECT_EQ(routing.room(assigned.room_id)->agent.id, "a2");
  EXPECT_TRUE(routing.on_timer(kRoutingT0 + 60'000).empty());  // the offer window no longer matters
}

TEST(Routing, AskingAgainReturnsTheOpenRequestWithItsStatus) {
  Routing routing(options());
  routing.request(customer("c0"), {}, kRoutingT0);
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0 + 1));

  auto again = routing.request(customer("c1"), {"other", "again", ""}, kRoutingT0 + 2);
  ASSERT_EQ(again.size(), 1u);
  const auto status = one<CustomerStatus>(again);
  EXPECT_EQ(status.request_id, id);
  EXPECT_EQ(status.position, 2);
  EXPECT_EQ(routing.waiting().size(), 2u);

  routing.agent_login(agent("a1"), kRoutingT0 + 3);
  routing.accept("a1", id, kRoutingT0 + 4);
  const auto connected = one<CustomerStatus>(routing.request(customer("c1"), {}, kRoutingT0 + 5));
  EXPECT_EQ(connected.status, ConsultStatus::kConnected);
  EXPECT_EQ(connected.agent_id, "a1");
}

TEST(Routing, DoubleAcceptRaceHasExactlyOneWinnerPerRequest) {
  for (unsigned seed = 1; seed <= 1000; ++seed) {
    std::mt19937 rng(seed);
    RoutingOptions o = options(RoutingMode::kManual);
    o.max_rooms_per_agent = 100;  // only the race may refuse here
    Routing routing(o);
    const int agents = 2 + static_cast<int>(rng() % 7);
    const int requests = 1 + static_cast<int>(rng() % 6);
    for (int a = 0; a < agents; ++a)
      routing.agent_login(agent("a" + std::to_string(a)), kRoutingT0);
    std::vector<std::string> ids;
    for (int r = 0; r < requests; ++r) {
      ids.push_back(opened(routing.request(customer("c" + std::to_string(r)), {}, kRoutingT0 + r)));
    }
    std::vector<std::pair<std::string, std::string>> accepts;  // (agent, request)
    for (int a = 0; a < agents; ++a) {
      for (const auto& id : ids) accepts.emplace_back("a" + std::to_string(a), id);
    }
    std::shuffle(accepts.begin(), accepts.end(), rng);

    std::map<std::string, std::string> winner;  // request -> agent
    for (const auto& [agent_id, request_id] : accepts) {
      auto out = routing.accept(agent_id, request_id, kRoutingT0 + 100);
      auto assigned = all<Assigned>(out);
      auto refusals = all<Refusal>(out);
      ASSERT_EQ(assigned.size() + refusals.size(), 1u) << "seed " << seed;
      if (!assigned.empty()) {
        ASSERT_FALSE(winner.contains(request_id)) << "seed " << seed;
        EXPECT_EQ(assigned[0].agent.id, agent_id);
        winner[request_id] = agent_id;
      } else {
        ASSERT_TRUE(winner.contains(request_id)) << "the first accept must win, seed " << seed;
        EXPECT_EQ(refusals[0].code, RefusalCode::kAlreadyAssigned);
        EXPECT_EQ(refusals[0].user_id, agent_id);  // to the loser only
        EXPECT_EQ(refusals[0].request_id, request_id);
        EXPECT_TRUE(all<CustomerStatus>(out).empty());
      }
    }
    ASSERT_EQ(winner.size(), ids.size()) << "seed " << seed;
    EXPECT_EQ(routing.rooms().size(), ids.size());
    EXPECT_TRUE(routing.waiting().empty());
  }
}

TEST(Routing, AcceptOfUnknownOrCanceledRequestIsNotFound) {
  Routing routing(options());
  routing.agent_login(agent("a1"), kRoutingT0);
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  routing.cancel("c1", id, kRoutingT0 + 1);

  EXPECT_EQ(one<Refusal>(routing.accept("a1", id, kRoutingT0 + 2)).code, RefusalCode::kNotFound);
  EXPECT_EQ(one<Refusal>(routing.accept("a1", "no-such", kRoutingT0 + 2)).code,
            RefusalCode::kNotFound);
}

TEST(Routing, AcceptBeforeLoginIsRefused) {
  Routing routing(options());
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  auto out = routing.accept("a1", id, kRoutingT0 + 1);
  EXPECT_EQ(one<Refusal>(out).code, RefusalCode::kAgentOffline);
  EXPECT_TRUE(all<Assigned>(out).empty());
}

TEST(Routing, RejectThenAutoAssignsToAnotherAgentAfterTheOfferWindow) {
  Routing routing(options());
  routing.agent_login(agent("a1"), kRoutingT0);  // a1 has been idle the longest
  routing.agent_login(agent("a2"), kRoutingT0 + 1);
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0 + 1000));

  auto rejected = routing.reject("a1", id, kRoutingT0 + 2000);
  const auto audit = audits(rejected, AuditEvent::kReject);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].agent_id, "a1");
  EXPECT_EQ(one<StoreUpsert>(rejected).record.rejected_by, (std::vector<std::string>{"a1"}));

  EXPECT_EQ(routing.next_deadline(), kRoutingT0 + 11'000);
  auto timer = routing.on_timer(kRoutingT0 + 11'000);
  const auto assigned = one<Assigned>(timer);
  EXPECT_EQ(assigned.agent.id, "a2");
  EXPECT_EQ(assigned.mode, AssignMode::kAuto);
  EXPECT_EQ(one<CustomerStatus>(timer).status, ConsultStatus::kAutoAssigned);
  const auto auto_audit = audits(timer, AuditEvent::kAutoAssign);
  ASSERT_EQ(auto_audit.size(), 1u);
  EXPECT_EQ(auto_audit[0].reason, "offer_window_passed");
  EXPECT_EQ(verdicts(auto_audit[0]),
            (std::map<std::string, CandidateVerdict>{{"a1", CandidateVerdict::kRejected},
                                                     {"a2", CandidateVerdict::kPicked}}));
}

TEST(Routing, AudienceIsWhoTheRequestIsOfferedToThenItsAgentThenNobody) {
  Routing routing(options(RoutingMode::kManual));
  routing.agent_login(agent("a1"), kRoutingT0);
  routing.agent_login(agent("a2"), kRoutingT0);
  routing.agent_login(agent("a3"), kRoutingT0);
  routing.agent_disconnected("a3", kRoutingT0 + 1);
  routing.agent_login(agent("a4"), kRoutingT0);
  routing.agent_logout("a4", kRoutingT0 + 1);
  const auto request = routing.request(customer("c1"), {}, kRoutingT0 + 1000);
  const auto id = opened(request);
  // The same agents as the offer named: not the disconnected one, not the one logged out.
  EXPECT_EQ(routing.audience(id), one<OfferRequest>(request).recipients);
  EXPECT_EQ(routing.audience(id), (std::vector<std::string>{"a1", "a2"}));

  routing.reject("a1", id, kRoutingT0 + 2000);
  EXPECT_EQ(routing.audience(id), (std::vector<std::string>{"a2"}));
  routing.accept("a2", id, kRoutingT0 + 3000);
  EXPECT_EQ(routing.audience(id), (std::vector<std::string>{"a2"}));
  routing.agent_login(agent("a5"), kRoutingT0 + 3500);
  EXPECT_EQ(routing.audience(id), (std::vector<std::string>{"a2"})) << "assigned: its agent alone";
  routing.room_closed(routing.rooms().front().room_id, "a2", kRoutingT0 + 4000);
  EXPECT_TRUE(routing.audience(id).empty()) << "over: nobody";
  EXPECT_TRUE(routing.audience("no-such-request").empty());
}

TEST(Routing, AudienceInAutoModeIsTheAssignedAgentOnly) {
  Routing routing(options(RoutingMode::kAuto));
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  routing.agent_login(agent("a1"), kRoutingT0 + 1, AgentStatus::kAway);  // not assigned yet
  EXPECT_TRUE(routing.audience(id).empty()) << "no offers in auto mode";
  routing.agent_status("a1", AgentStatus::kAvailable, kRoutingT0 + 2);
  routing.on_timer(kRoutingT0 + 2);
  EXPECT_EQ(routing.audience(id), (std::vector<std::string>{"a1"}));
}

TEST(Routing, RejectedAgentNeverGetsTheRequestAgainEvenAfterRequeue) {
  Routing routing(options());
  routing.agent_login(agent("a1"), kRoutingT0);
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  routing.reject("a1", id, kRoutingT0 + 1);

  auto timer = routing.on_timer(kRoutingT0 + 10'000);
  EXPECT_TRUE(all<Assigned>(timer).empty());
  const auto no_agent = audits(timer, AuditEvent::kNoAgent);
  ASSERT_EQ(no_agent.size(), 1u);
  EXPECT_EQ(verdicts(no_agent[0]).at("a1"), CandidateVerdict::kRejected);
  EXPECT_FALSE(routing.next_deadline());  // waits for a change, not for a timer

  // Logging in again re-delivers waiting offers, but not this one.
  EXPECT_TRUE(all<OfferRequest>(routing.agent_login(agent("a1"), kRoutingT0 + 11'000)).empty());

  // a2 takes it by hand and hands it back to the queue: a1 is still skipped.
  routing.agent_login(agent("a2"), kRoutingT0 + 12'000);
  routing.accept("a2", id, kRoutingT0 + 12'001);
  const auto room = routing.rooms().at(0).room_id;
  auto back = routing.transfer(room, "a2", std::nullopt, kRoutingT0 + 13'000);
  EXPECT_EQ(one<OfferRequest>(back).recipients, (std::vector<std::string>{"a2"}));
  routing.agent_status("a2", AgentStatus::kAway, kRoutingT0 + 13'001);
  auto later = routing.on_timer(kRoutingT0 + 23'000);
  EXPECT_TRUE(all<Assigned>(later).empty());
  EXPECT_EQ(verdicts(audits(later, AuditEvent::kNoAgent).at(0)),
            (std::map<std::string, CandidateVerdict>{{"a1", CandidateVerdict::kRejected},
                                                     {"a2", CandidateVerdict::kAway}}));
}

TEST(Routing, RejectingOwnRoomIsRefused) {
  Routing routing(options());
  routing.agent_login(agent("a1"), kRoutingT0);
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  routing.accept("a1", id, kRoutingT0 + 1);
  EXPECT_EQ(one<Refusal>(routing.reject("a1", id, kRoutingT0 + 2)).code, RefusalCode::kNotWaiting);
  EXPECT_EQ(one<Refusal>(routing.reject("a1", "nope", kRoutingT0 + 2)).code,
            RefusalCode::kNotFound);
}

TEST(Routing, WaitsWithoutAgentsThenAssignsWhenOneLogsIn) {
  Routing routing(options());
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  auto timer = routing.on_timer(kRoutingT0 + 10'000);
  EXPECT_TRUE(all<Assigned>(timer).empty());
  EXPECT_EQ(audits(timer, AuditEvent::kNoAgent).size(), 1u);
  EXPECT_EQ(position_of(routing, id), 1);

  auto login = routing.agent_login(agent("a1"), kRoutingT0 + 30'000);
  const auto assigned = one<Assigned>(login);
  EXPECT_EQ(assigned.request_id, id);
  EXPECT_EQ(assigned.agent.id, "a1");
  EXPECT_EQ(assigned.mode, AssignMode::kAuto);
  EXPECT_TRUE(all<OfferRequest>(login).empty());  // assigned before any offer was re-delivered
}

TEST(Routing, HybridWaitsForTheOfferWindowBeforeAutoAssigning) {
  Routing routing(options());
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  auto login = routing.agent_login(agent("a1"), kRoutingT0 + 5000);
  EXPECT_TRUE(all<Assigned>(login).empty());
  EXPECT_EQ(one<OfferRequest>(login).request_id, id);  // the late joiner sees the offer
  EXPECT_TRUE(routing.on_timer(kRoutingT0 + 9999).empty());
  EXPECT_EQ(one<Assigned>(routing.on_timer(kRoutingT0 + 10'000)).agent.id, "a1");
}

TEST(Routing, AwayAgentsAreSkippedByAutoAssignmentButMayAccept) {
  Routing routing(options());
  routing.agent_login(agent("a1"), kRoutingT0);
  routing.agent_status("a1", AgentStatus::kAway, kRoutingT0 + 1);
  const auto first = opened(routing.request(customer("c1"), {}, kRoutingT0 + 2));
  const auto second = opened(routing.request(customer("c2"), {}, kRoutingT0 + 3));

  auto timer = routing.on_timer(kRoutingT0 + 10'003);
  EXPECT_TRUE(all<Assigned>(timer).empty());
  EXPECT_EQ(verdicts(audits(timer, AuditEvent::kNoAgent).at(0)).at("a1"), CandidateVerdict::kAway);

  EXPECT_EQ(one<Assigned>(routing.accept("a1", second, kRoutingT0 + 20'000)).mode,
            AssignMode::kManual);
  // Back to available: the remaining due request goes to a1 at once.
  auto available = routing.agent_status("a1", AgentStatus::kAvailable, kRoutingT0 + 21'000);
  EXPECT_EQ(one<Assigned>(available).request_id, first);
}

TEST(Routing, AgentLoggingInAwayIsNotAutoAssignedADueRequest) {
  Routing routing(options());
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  routing.on_timer(kRoutingT0 + 10'000);  // due, nobody to take it

  // A console that was away before its reconnect logs in away in one step: nothing is assigned
  // between the login and its status, yet the agent still sees the offer and may accept it.
  auto login = routing.agent_login(agent("a1"), kRoutingT0 + 20'000, AgentStatus::kAway);
  EXPECT_TRUE(all<Assigned>(login).empty());
  EXPECT_EQ(one<OfferRequest>(login).request_id, id);
  EXPECT_EQ(routing.agents().at(0).status, AgentStatus::kAway);
  EXPECT_EQ(presence_of(routing.agents().at(0)), "away");
  EXPECT_TRUE(all<Assigned>(routing.on_timer(kRoutingT0 + 30'000)).empty());
  EXPECT_EQ(position_of(routing, id), 1);

  // Logging in again without a status is available, as before: the due request goes at once.
  auto again = routing.agent_login(agent("a1"), kRoutingT0 + 31'000);
  EXPECT_EQ(one<Assigned>(again).request_id, id);
}

TEST(Routing, AgentLoggingInAwayLeavesTheDueRequestToAnAvailableAgent) {
  Routing routing(options());
  routing.agent_login(agent("a2"), kRoutingT0);
  routing.agent_status("a2", AgentStatus::kAway, kRoutingT0);
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0 + 1));
  routing.on_timer(kRoutingT0 + 10'001);
  // Every agent logging in while the request is due: the away one is skipped, the available one
  // gets it.
  auto away = routing.agent_login(agent("a1"), kRoutingT0 + 10'002, AgentStatus::kAway);
  EXPECT_TRUE(all<Assigned>(away).empty());
  auto available = routing.agent_login(agent("a3"), kRoutingT0 + 10'003, AgentStatus::kAvailable);
  const auto assigned = one<Assigned>(available);
  EXPECT_EQ(assigned.request_id, id);
  EXPECT_EQ(assigned.agent.id, "a3");
}

TEST(Routing, AnAgentsOwnRoomLimitReplacesTheDefaultLive) {
  RoutingOptions o = options(RoutingMode::kAuto);
  o.max_rooms_per_agent = 3;
  Routing routing(o);
  routing.agent_login(agent("a1"), kRoutingT0);
  routing.agent_login(agent("a2"), kRoutingT0);
  // Set before a2 has any room, and for an agent never seen (kept for when they come).
  routing.set_room_limit("a2", 1, kRoutingT0);
  routing.set_room_limit("a9", 5, kRoutingT0);
  EXPECT_EQ(routing.max_rooms_of("a1"), 3);
  EXPECT_EQ(routing.max_rooms_of("a2"), 1);
  EXPECT_EQ(routing.max_rooms_of("a9"), 5);
  for (int i = 0; i < 5; ++i)
    routing.request(customer("c" + std::to_string(i)), {}, kRoutingT0 + i);
  std::map<std::string, int> rooms;
  for (const auto& view : routing.agents()) {
    rooms[view.agent.id] = view.active_rooms;
    EXPECT_EQ(view.max_rooms, view.agent.id == "a2" ? 1 : 3);
  }
  EXPECT_EQ(rooms["a1"], 3);
  EXPECT_EQ(rooms["a2"], 1);  // no second room, though a1 is full and two customers wait
  EXPECT_EQ(routing.waiting_count(), 1u);

  // A manual accept is held to it too.
  const std::string waiting = routing.waiting().at(0).request_id;
  EXPECT_EQ(one<Refusal>(routing.accept("a2", waiting, kRoutingT0 + 10)).code,
            RefusalCode::kAtCapacity);

  // Raised: the waiting request is assigned at once. Lowered: no room is taken away.
  EXPECT_EQ(one<Assigned>(routing.set_room_limit("a2", 2, kRoutingT0 + 20)).agent.id, "a2");
  EXPECT_TRUE(all<Assigned>(routing.set_room_limit("a1", 1, kRoutingT0 + 30)).empty());
  EXPECT_EQ(routing.rooms().size(), 5u);
  // Back to the default (0), and all of them replaced at once after a takeover.
  routing.set_room_limit("a1", 0, kRoutingT0 + 40);
  EXPECT_EQ(routing.max_rooms_of("a1"), 3);
  routing.replace_room_limits({{"a1", 2}, {"a3", 0}});
  EXPECT_EQ(routing.max_rooms_of("a1"), 2);
  EXPECT_EQ(routing.max_rooms_of("a2"), 3);
  EXPECT_EQ(routing.max_rooms_of("a3"), 3);
}

TEST(Routing, CapacityLimitsAutoAssignmentAndManualAccept) {
  RoutingOptions o = options();
  o.max_rooms_per_agent = 2;
  Routing routing(o);
  routing.agent_login(agent("a1"), kRoutingT0);
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(opened(routing.request(customer("c" + std::to_string(i)), {}, kRoutingT0 + i)));
  }
  EXPECT_EQ(one<Assigned>(routing.accept("a1", ids[0], kRoutingT0 + 10)).request_id, ids[0]);
  auto timer = routing.on_timer(kRoutingT0 + 10'003);
  ASSERT_EQ(all<Assigned>(timer).size(), 1u);  // ids[1]; then a1 is full
  EXPECT_EQ(all<Assigned>(timer)[0].request_id, ids[1]);
  const auto no_agent = audits(timer, AuditEvent::kNoAgent);
  ASSERT_EQ(no_agent.size(), 2u);
  EXPECT_EQ(verdicts(no_agent[0]).at("a1"), CandidateVerdict::kAtCapacity);

  auto refused = routing.accept("a1", ids[2], kRoutingT0 + 20'000);
  EXPECT_EQ(one<Refusal>(refused).code, RefusalCode::kAtCapacity);
  EXPECT_EQ(audits(refused, AuditEvent::kRefusal).at(0).reason, "at_capacity");

  // A room closes: capacity frees and the head of the queue is assigned.
  const auto room = routing.rooms().at(0).room_id;
  auto closed = routing.room_closed(room, "c0", kRoutingT0 + 30'000);
  EXPECT_EQ(all<CustomerStatus>(closed).at(0).status, ConsultStatus::kClosed);
  EXPECT_EQ(one<Assigned>(closed).request_id, ids[2]);
  EXPECT_EQ(one<StoreErase>(closed).request_id, ids[0]);
}

TEST(Routing, AutoAssignmentPicksTheLeastLoadedAgent) {
  Routing routing(options(RoutingMode::kAuto));
  routing.agent_login(agent("a1"), kRoutingT0);
  EXPECT_EQ(one<Assigned>(routing.request(customer("c1"), {}, kRoutingT0 + 1)).agent.id, "a1");
  routing.agent_login(agent("a2"), kRoutingT0 + 2);  // idle for less time, but emptier

  auto out = routing.request(customer("c2"), {}, kRoutingT0 + 3);
  EXPECT_EQ(one<Assigned>(out).agent.id, "a2");
  const auto audit = audits(out, AuditEvent::kAutoAssign).at(0);
  EXPECT_EQ(audit.reason, "auto_mode");
  EXPECT_EQ(verdicts(audit),
            (std::map<std::string, CandidateVerdict>{{"a1", CandidateVerdict::kBusier},
                                                     {"a2", CandidateVerdict::kPicked}}));
}

TEST(Routing, AutoAssignmentTiesGoToTheLongestIdleAgent) {
  Routing routing(options(RoutingMode::kAuto));
  routing.agent_login(agent("b"), kRoutingT0);
  routing.agent_login(agent("a"), kRoutingT0 + 100);
  routing.agent_login(agent("c"), kRoutingT0 + 100);
  // b logged in first: longest idle.
  EXPECT_EQ(one<Assigned>(routing.request(customer("c1"), {}, kRoutingT0 + 200)).agent.id, "b");
  // a and c tie on load and idle time; the smaller id wins, b is now busier.
  auto out = routing.request(customer("c2"), {}, kRoutingT0 + 300);
  EXPECT_EQ(one<Assigned>(out).agent.id, "a");
  EXPECT_EQ(verdicts(audits(out, AuditEvent::kAutoAssign).at(0)),
            (std::map<std::string, CandidateVerdict>{{"a", CandidateVerdict::kPicked},
                                                     {"b", CandidateVerdict::kBusier},
                                                     {"c", CandidateVerdict::kLostTie}}));
  EXPECT_EQ(one<Assigned>(routing.request(customer("c3"), {}, kRoutingT0 + 400)).agent.id, "c");
  // All at one room: b's assignment is the oldest, so b has been idle the longest.
  auto fourth = routing.request(customer("c4"), {}, kRoutingT0 + 500);
  EXPECT_EQ(one<Assigned>(fourth).agent.id, "b");
  EXPECT_EQ(verdicts(audits(fourth, AuditEvent::kAutoAssign).at(0)).at("a"),
            CandidateVerdict::kIdleShorter);
}

TEST(Routing, GraceExpiryRequeuesRoomsToTheHeadWithReason) {
  Routing routing(options(RoutingMode::kManual));
  routing.agent_login(agent("a1"), kRoutingT0);
  routing.agent_login(agent("a2"), kRoutingT0);
  const auto r1 = opened(routing.request(customer("c1"), {}, kRoutingT0 + 1));
  const auto r2 = opened(routing.request(customer("c2"), {}, kRoutingT0 + 2));
  const auto w1 = opened(routing.request(customer("w1"), {}, kRoutingT0 + 3));
  routing.accept("a1", r2, kRoutingT0 + 10);
  routing.accept("a1", r1, kRoutingT0 + 11);
  EXPECT_EQ(position_of(routing, w1), 1);

  auto dropped = routing.agent_disconnected("a1", kRoutingT0 + 1000);
  const auto notices = all<AgentReconnecting>(dropped);
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_EQ(notices[0].until, kRoutingT0 + 61'000);
  EXPECT_EQ(routing.next_deadline(), kRoutingT0 + 61'000);
  EXPECT_TRUE(routing.on_timer(kRoutingT0 + 60'999).empty());

  auto expired = routing.on_timer(kRoutingT0 + 61'000);
  const auto requeued = all<Requeued>(expired);
  ASSERT_EQ(requeued.size(), 2u);
  EXPECT_EQ(requeued[0].request_id, r1);  // the older request first
  EXPECT_EQ(requeued[0].reason, "agent_grace_expired");
  EXPECT_EQ(requeued[0].previous_agent_id, "a1");
  EXPECT_EQ(audits(expired, AuditEvent::kRequeue).size(), 2u);
  EXPECT_EQ(audits(expired, AuditEvent::kRequeue)[0].reason, "agent_grace_expired");
  // Offered again, to the agents still here.
  const auto offers = all<OfferRequest>(expired);
  ASSERT_EQ(offers.size(), 2u);
  EXPECT_EQ(offers[0].recipients, (std::vector<std::string>{"a2"}));
  EXPECT_EQ(offers[0].reason, "agent_grace_expired");

  EXPECT_EQ(position_of(routing, r1), 1);
  EXPECT_EQ(position_of(routing, r2), 2);
  EXPECT_EQ(position_of(routing, w1), 3);
  std::map<std::string, CustomerStatus> status;
  for (auto& s : all<CustomerStatus>(expired)) status[s.customer_id] = s;
  EXPECT_EQ(status.at("c1").position, 1);
  EXPECT_EQ(status.at("c1").reason, "agent_grace_expired");
  EXPECT_FALSE(status.at("c1").room_id.empty());
  EXPECT_EQ(status.at("w1").position, 3);

  const auto views = routing.agents();
  EXPECT_FALSE(views.at(0).online);
  EXPECT_EQ(views.at(0).active_rooms, 0);

  // The room keeps its id for the next agent, who learns whose it was.
  const auto room = requeued[0].room_id;
  const auto taken = one<Assigned>(routing.accept("a2", r1, kRoutingT0 + 62'000));
  EXPECT_EQ(taken.room_id, room);
  EXPECT_EQ(taken.previous_agent_id, "a1");
  EXPECT_EQ(taken.reason, "agent_grace_expired");
}

TEST(Routing, GraceExpiredRoomIsServedBeforeOlderRequestsBehindIt) {
  RoutingOptions o = options();
  o.max_rooms_per_agent = 1;
  Routing routing(o);
  routing.agent_login(agent("a1"), kRoutingT0);
  const auto r1 = opened(routing.request(customer("c1"), {}, kRoutingT0));
  routing.accept("a1", r1, kRoutingT0 + 1);
  // w1 waits past its offer window: the only agent is at capacity.
  const auto w1 = opened(routing.request(customer("w1"), {}, kRoutingT0 + 2));
  EXPECT_TRUE(all<Assigned>(routing.on_timer(kRoutingT0 + 10'002)).empty());

  routing.agent_disconnected("a1", kRoutingT0 + 20'000);
  auto expired = routing.on_timer(kRoutingT0 + 80'000);
  EXPECT_EQ(one<Requeued>(expired).request_id, r1);
  EXPECT_EQ(position_of(routing, r1), 1);
  EXPECT_EQ(position_of(routing, w1), 2);
  // Its customer has waited out the grace period: no new offer window, and the next agent gets
  // the head of the queue, not the older request behind it.
  auto login = routing.agent_login(agent("a2"), kRoutingT0 + 80'001);
  const auto assigned = one<Assigned>(login);
  EXPECT_EQ(assigned.request_id, r1);
  EXPECT_EQ(assigned.mode, AssignMode::kAuto);
  EXPECT_EQ(assigned.previous_agent_id, "a1");
  EXPECT_EQ(position_of(routing, w1), 1);
}

TEST(Routing, AgentBackWithinGraceKeepsRooms) {
  Routing routing(options(RoutingMode::kManual));
  routing.agent_login(agent("a1"), kRoutingT0);
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  routing.accept("a1", id, kRoutingT0 + 1);
  routing.agent_disconnected("a1", kRoutingT0 + 1000);

  auto back = routing.agent_reconnected("a1", kRoutingT0 + 30'000);
  EXPECT_EQ(one<AgentReconnected>(back).customer_id, "c1");
  EXPECT_FALSE(routing.next_deadline());
  EXPECT_TRUE(routing.on_timer(kRoutingT0 + 61'000).empty());
  EXPECT_EQ(routing.rooms().at(0).agent.id, "a1");
  EXPECT_TRUE(routing.agents().at(0).online);
}

TEST(Routing, DisconnectedAgentGetsNoOffersNorAssignments) {
  Routing routing(options());
  routing.agent_login(agent("a1"), kRoutingT0);
  routing.agent_disconnected("a1", kRoutingT0 + 1);
  auto asked = routing.request(customer("c1"), {}, kRoutingT0 + 2);
  EXPECT_TRUE(one<OfferRequest>(asked).recipients.empty());
  EXPECT_EQ(verdicts(audits(asked, AuditEvent::kOffer).at(0)).at("a1"),
            CandidateVerdict::kDisconnected);
  EXPECT_TRUE(all<Assigned>(routing.on_timer(kRoutingT0 + 10'002)).empty());
  // Back: the missed offer is re-delivered and the due request assigned.
  auto back = routing.agent_reconnected("a1", kRoutingT0 + 20'000);
  EXPECT_EQ(one<Assigned>(back).agent.id, "a1");
}

TEST(Routing, LoggedOutAgentKeepsRoomsButGetsNoOffers) {
  Routing routing(options());
  routing.agent_login(agent("a1"), kRoutingT0);
  routing.agent_login(agent("a2"), kRoutingT0);
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  routing.accept("a1", id, kRoutingT0 + 1);
  routing.agent_logout("a1", kRoutingT0 + 2);
  EXPECT_EQ(routing.rooms().at(0).agent.id, "a1");
  EXPECT_EQ(one<OfferRequest>(routing.request(customer("c2"), {}, kRoutingT0 + 3)).recipients,
            (std::vector<std::string>{"a2"}));
  EXPECT_EQ(one<Refusal>(routing.agent_status("a1", AgentStatus::kAway, kRoutingT0 + 4)).code,
            RefusalCode::kAgentOffline);
}

TEST(Routing, TransferToTheQueueGoesToTheHeadAndIsOfferedAgain) {
  Routing routing(options(RoutingMode::kManual));
  routing.agent_login(agent("a1"), kRoutingT0);
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  const auto room = one<Assigned>(routing.accept("a1", id, kRoutingT0 + 1)).room_id;
  const auto w1 = opened(routing.request(customer("w1"), {}, kRoutingT0 + 2));

  auto out = routing.transfer(room, "a1", std::nullopt, kRoutingT0 + 3);
  EXPECT_EQ(one<Requeued>(out).reason, "transferred");
  EXPECT_EQ(audits(out, AuditEvent::kTransfer).at(0).reason, "to_queue");
  EXPECT_EQ(audits(out, AuditEvent::kTransfer).at(0).from_agent_id, "a1");
  // Nobody is excluded: the transferring agent sees the offer too.
  EXPECT_EQ(one<OfferRequest>(out).recipients, (std::vector<std::string>{"a1"}));
  std::map<std::string, CustomerStatus> status;
  for (auto& s : all<CustomerStatus>(out)) status[s.customer_id] = s;
  EXPECT_EQ(status.at("c1").position, 1);
  EXPECT_EQ(status.at("c1").reason, "transferred");
  EXPECT_EQ(status.at("w1").position, 2);
  EXPECT_EQ(position_of(routing, w1), 2);
  EXPECT_EQ(routing.agents().at(0).active_rooms, 0);
  EXPECT_TRUE(routing.room(room));  // the room lives on for the customer
}

TEST(Routing, TransferToANamedAgent) {
  Routing routing(options(RoutingMode::kManual));
  routing.agent_login(agent("a1"), kRoutingT0);
  routing.agent_login(agent("a2"), kRoutingT0);
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  const auto room = one<Assigned>(routing.accept("a1", id, kRoutingT0 + 1)).room_id;

  EXPECT_EQ(one<Refusal>(routing.transfer(room, "a1", "ghost", kRoutingT0 + 2)).code,
            RefusalCode::kAgentUnavailable);
  routing.agent_login(agent("a3"), kRoutingT0 + 2);
  routing.agent_logout("a3", kRoutingT0 + 2);
  EXPECT_EQ(one<Refusal>(routing.transfer(room, "a1", "a3", kRoutingT0 + 3)).code,
            RefusalCode::kAgentUnavailable);
  EXPECT_EQ(one<Refusal>(routing.transfer(room, "a1", "a1", kRoutingT0 + 3)).code,
            RefusalCode::kSameAgent);
  EXPECT_EQ(one<Refusal>(routing.transfer(room, "a2", "a2", kRoutingT0 + 3)).code,
            RefusalCode::kNotParticipant);

  auto out = routing.transfer(room, "a1", "a2", kRoutingT0 + 4);
  const auto assigned = one<Assigned>(out);
  EXPECT_EQ(assigned.agent.id, "a2");
  EXPECT_EQ(assigned.room_id, room);
  EXPECT_EQ(assigned.previous_agent_id, "a1");
  EXPECT_EQ(assigned.reason, "transferred");
  const auto status = one<CustomerStatus>(out);
  EXPECT_EQ(status.status, ConsultStatus::kConnected);
  EXPECT_EQ(status.agent_id, "a2");
  EXPECT_EQ(status.reason, "transferred");
  const auto audit = audits(out, AuditEvent::kTransfer).at(0);
  EXPECT_EQ(audit.agent_id, "a2");
  EXPECT_EQ(audit.from_agent_id, "a1");
  EXPECT_EQ(routing.room(room)->agent.id, "a2");
  EXPECT_EQ(routing.agents().at(0).active_rooms, 0);
  EXPECT_EQ(routing.agents().at(1).active_rooms, 1);
}

TEST(Routing, CancelWithdrawsAWaitingRequestOnly) {
  Routing routing(options());
  routing.agent_login(agent("a1"), kRoutingT0);
  const auto first = opened(routing.request(customer("c1"), {}, kRoutingT0));
  const auto second = opened(routing.request(customer("c2"), {}, kRoutingT0 + 1));

  EXPECT_EQ(one<Refusal>(routing.cancel("c2", first, kRoutingT0 + 2)).code, RefusalCode::kNotFound);
  auto out = routing.cancel("c1", first, kRoutingT0 + 2);
  std::map<std::string, CustomerStatus> status;
  for (auto& s : all<CustomerStatus>(out)) status[s.customer_id] = s;
  EXPECT_EQ(status.at("c1").status, ConsultStatus::kCanceled);
  EXPECT_EQ(status.at("c2").position, 1);  // moved up
  EXPECT_EQ(one<RequestUpdate>(out).status, RequestUpdate::Status::kCanceled);
  EXPECT_EQ(audits(out, AuditEvent::kCancel).size(), 1u);
  EXPECT_EQ(one<StoreErase>(out).request_id, first);

  routing.accept("a1", second, kRoutingT0 + 3);
  auto refused = routing.cancel("c2", second, kRoutingT0 + 4);
  EXPECT_EQ(one<Refusal>(refused).code, RefusalCode::kNotWaiting);
  EXPECT_EQ(audits(refused, AuditEvent::kRefusal).at(0).reason, "not_waiting");

  // A new request is possible once the old one is gone.
  EXPECT_NE(opened(routing.request(customer("c1"), {}, kRoutingT0 + 5)), first);
}

TEST(Routing, RoomCloseChecksParticipantsAndEndsTheRequest) {
  Routing routing(options(RoutingMode::kManual));
  routing.agent_login(agent("a1"), kRoutingT0);
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  const auto room = one<Assigned>(routing.accept("a1", id, kRoutingT0 + 1)).room_id;

  EXPECT_EQ(one<Refusal>(routing.room_closed(room, "stranger", kRoutingT0 + 2)).code,
            RefusalCode::kNotParticipant);
  auto closed = routing.room_closed(room, "a1", kRoutingT0 + 3);
  const auto status = one<CustomerStatus>(closed);
  EXPECT_EQ(status.status, ConsultStatus::kClosed);
  EXPECT_EQ(status.agent_id, "a1");
  EXPECT_EQ(audits(closed, AuditEvent::kClose).at(0).reason, "agent");
  EXPECT_FALSE(routing.room(room));
  EXPECT_EQ(one<Refusal>(routing.room_closed(room, "c1", kRoutingT0 + 4)).code,
            RefusalCode::kNotFound);
  EXPECT_TRUE(routing.room_closed(room, "", kRoutingT0 + 4).empty());
}

TEST(Routing, ClosingARequeuedRoomWithdrawsItsOffer) {
  Routing routing(options(RoutingMode::kManual));
  routing.agent_login(agent("a1"), kRoutingT0);
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  const auto room = one<Assigned>(routing.accept("a1", id, kRoutingT0 + 1)).room_id;
  routing.transfer(room, "a1", std::nullopt, kRoutingT0 + 2);
  EXPECT_EQ(one<Refusal>(routing.room_closed(room, "a1", kRoutingT0 + 3)).code,
            RefusalCode::kNotParticipant);
  auto closed = routing.room_closed(room, "c1", kRoutingT0 + 3);
  EXPECT_EQ(one<RequestUpdate>(closed).status, RequestUpdate::Status::kCanceled);
  EXPECT_TRUE(routing.waiting().empty());
}

TEST(Routing, QueuePositionsUpdateAsRequestsLeave) {
  Routing routing(options(RoutingMode::kManual));
  routing.agent_login(agent("a1"), kRoutingT0);
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    auto out = routing.request(customer("c" + std::to_string(i)), {}, kRoutingT0 + i);
    EXPECT_EQ(one<CustomerStatus>(out).position, i + 1);  // nobody else moved
    ids.push_back(opened(out));
  }
  auto out = routing.accept("a1", ids[1], kRoutingT0 + 10);
  std::map<std::string, int> moved;
  for (auto& s : all<CustomerStatus>(out)) {
    if (s.status == ConsultStatus::kWaiting) moved[s.customer_id] = *s.position;
  }
  EXPECT_EQ(moved, (std::map<std::string, int>{{"c2", 2}, {"c3", 3}}));  // c0 did not move
}

TEST(Routing, ManualModeNeverAutoAssigns) {
  Routing routing(options(RoutingMode::kManual));
  routing.agent_login(agent("a1"), kRoutingT0);
  auto asked = routing.request(customer("c1"), {}, kRoutingT0);
  EXPECT_EQ(all<OfferRequest>(asked).size(), 1u);
  EXPECT_FALSE(routing.next_deadline());
  EXPECT_TRUE(routing.on_timer(kRoutingT0 + 3'600'000).empty());
  EXPECT_TRUE(all<Assigned>(routing.agent_login(agent("a2"), kRoutingT0 + 3'600'001)).empty());
  EXPECT_EQ(routing.waiting().size(), 1u);
}

TEST(Routing, AutoModeAssignsAtOnceWithoutOffers) {
  Routing routing(options(RoutingMode::kAuto));
  routing.agent_login(agent("a1"), kRoutingT0);
  auto asked = routing.request(customer("c1"), {}, kRoutingT0 + 1);
  EXPECT_TRUE(all<OfferRequest>(asked).empty());
  EXPECT_TRUE(audits(asked, AuditEvent::kOffer).empty());
  EXPECT_EQ(one<Assigned>(asked).mode, AssignMode::kAuto);
  const auto status = one<CustomerStatus>(asked);  // never told "waiting"
  EXPECT_EQ(status.status, ConsultStatus::kAutoAssigned);

  // Without an eligible agent, it waits and needs no timer.
  routing.agent_status("a1", AgentStatus::kAway, kRoutingT0 + 2);
  auto waits = routing.request(customer("c2"), {}, kRoutingT0 + 3);
  EXPECT_EQ(one<CustomerStatus>(waits).status, ConsultStatus::kWaiting);
  EXPECT_TRUE(all<OfferRequest>(routing.agent_login(agent("a2"), kRoutingT0 + 3)).empty());
  EXPECT_FALSE(routing.next_deadline());
  EXPECT_TRUE(routing.waiting().empty());  // a2 got it on login
}

TEST(Routing, MaxWaitOffersToLeaveAMessageOnce) {
  RoutingOptions o = options(RoutingMode::kManual);
  o.max_wait = 120s;
  Routing routing(o);
  routing.agent_login(agent("a1"), kRoutingT0 - 1);  // signed in, but nobody accepts
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  EXPECT_EQ(routing.next_deadline(), kRoutingT0 + 120'000);
  EXPECT_TRUE(routing.on_timer(kRoutingT0 + 119'999).empty());
  auto out = routing.on_timer(kRoutingT0 + 120'000);
  const auto leave = one<OfferLeaveMessage>(out);
  EXPECT_EQ(leave.request_id, id);
  EXPECT_EQ(leave.waiting_since, kRoutingT0);
  EXPECT_EQ(leave.reason, LeaveReason::kBusy);
  EXPECT_FALSE(leave.opens_at);
  EXPECT_EQ(audits(out, AuditEvent::kLeaveMessage).size(), 1u);
  EXPECT_EQ(routing.waiting().size(), 1u);  // still waiting
  EXPECT_FALSE(routing.next_deadline());
  EXPECT_TRUE(routing.on_timer(kRoutingT0 + 500'000).empty());
}

TEST(Routing, MaxWaitIsOffByDefault) {
  Routing routing(options(RoutingMode::kManual));
  routing.agent_login(agent("a1"), kRoutingT0 - 1);
  routing.request(customer("c1"), {}, kRoutingT0);
  EXPECT_TRUE(all<OfferLeaveMessage>(routing.on_timer(kRoutingT0 + 86'400'000)).empty());
}

// With nobody signed in the customer may leave a message at once, whatever max_wait says; the
// request keeps waiting for an agent who signs in, and the offer is not made twice.
TEST(Routing, NobodySignedInOffersToLeaveAMessageAtOnce) {
  RoutingOptions o = options(RoutingMode::kManual);
  o.max_wait = 120s;
  Routing routing(o);
  auto out = routing.request(customer("c1"), {}, kRoutingT0);
  const auto leave = one<OfferLeaveMessage>(out);
  EXPECT_EQ(leave.reason, LeaveReason::kNobodyOnline);
  EXPECT_EQ(leave.customer_id, "c1");
  EXPECT_EQ(audits(out, AuditEvent::kLeaveMessage).size(), 1u);
  EXPECT_EQ(routing.waiting().size(), 1u);
  EXPECT_TRUE(all<OfferLeaveMessage>(routing.on_timer(kRoutingT0 + 200'000)).empty());
  // An agent who signed in meanwhile: the next customer waits as usual.
  routing.agent_login(agent("a1"), kRoutingT0 + 1);
  EXPECT_TRUE(all<OfferLeaveMessage>(routing.request(customer("c2"), {}, kRoutingT0 + 2)).empty());
}

// Outside business hours a new request is offered to leave a message at once, saying when the
// hours begin again, even with an agent signed in (who may still take it); within them, not.
TEST(Routing, OutsideBusinessHoursOffersToLeaveAMessageWithTheNextOpening) {
  RoutingOptions o = options(RoutingMode::kManual);
  o.hours = std::get<BusinessHours>(BusinessHours::parse("mon-fri 09:00-18:00", "", "UTC"));
  Routing routing(o);
  routing.agent_login(agent("a1"), kRoutingT0 - 1);
  // kRoutingT0 is a Tuesday, 22:13 UTC: closed until Wednesday 09:00.
  auto out = routing.request(customer("c1"), {}, kRoutingT0);
  const auto leave = one<OfferLeaveMessage>(out);
  EXPECT_EQ(leave.reason, LeaveReason::kClosed);
  EXPECT_EQ(leave.opens_at, Millis{1'700'038'800'000});
  EXPECT_EQ(audits(out, AuditEvent::kLeaveMessage).at(0).reason, "closed");
  EXPECT_EQ(routing.waiting().size(), 1u);  // the signed-in agent may still take it
  // Wednesday 10:00 UTC: open, and the agent is there.
  EXPECT_TRUE(
      all<OfferLeaveMessage>(routing.request(customer("c2"), {}, 1'700'042'400'000)).empty());
}

// Closed and nobody signed in: the customer hears the hours, the stronger reason.
TEST(Routing, ClosedHoursComeBeforeNobodySignedIn) {
  RoutingOptions o = options(RoutingMode::kManual);
  o.hours = std::get<BusinessHours>(BusinessHours::parse("sat 10:00-12:00", "", "UTC"));
  Routing routing(o);
  const auto leave = one<OfferLeaveMessage>(routing.request(customer("c1"), {}, kRoutingT0));
  EXPECT_EQ(leave.reason, LeaveReason::kClosed);
  EXPECT_EQ(leave.opens_at, Millis{1'700'301'600'000});  // Saturday 2023-11-18 10:00 UTC
}

TEST(Routing, RestoreReArmsTheAutoAssignDeadlineAndKeepsOrder) {
  RequestRecord old_one{.id = "r-old", .customer = customer("c1"), .requested_at = kRoutingT0};
  RequestRecord newer{.id = "r-new",
                      .customer = customer("c2"),
                      .requested_at = kRoutingT0 + 10,
                      .rejected_by = {"a1"}};
  RequestRecord requeued{.id = "r-back",
                         .customer = customer("c3"),
                         .requested_at = kRoutingT0 + 20,
                         .requeued_at = kRoutingT0 + 30,
                         .room_id = "room-x"};
  Routing routing(options());
  const Millis restart = kRoutingT0 + 600'000;
  auto out = routing.restore({newer, requeued, old_one}, restart);
  const auto view = routing.waiting();
  ASSERT_EQ(view.size(), 3u);
  EXPECT_EQ(view[0].request_id, "r-back");  // requeued lane first
  EXPECT_EQ(view[1].request_id, "r-old");
  EXPECT_EQ(view[2].request_id, "r-new");
  EXPECT_EQ(view[1].waiting_since, kRoutingT0);  // the original request time is kept
  EXPECT_EQ(all<CustomerStatus>(out).size(), 3u);
  EXPECT_EQ(routing.next_deadline(), restart + 10'000);

  routing.agent_login(agent("a1"), restart + 1000);
  EXPECT_TRUE(routing.on_timer(restart + 9999).empty());
  auto timer = routing.on_timer(restart + 10'000);
  const auto assigned = all<Assigned>(timer);
  ASSERT_EQ(assigned.size(), 2u);  // a1 rejected r-new before the restart
  EXPECT_EQ(assigned[0].request_id, "r-back");
  EXPECT_EQ(assigned[0].room_id, "room-x");
  EXPECT_EQ(assigned[1].request_id, "r-old");
  EXPECT_EQ(position_of(routing, "r-new"), 1);
}

TEST(Routing, RestoreKeepsRoomsForTheGracePeriod) {
  RequestRecord held{.id = "r1",
                     .customer = customer("c1"),
                     .requested_at = kRoutingT0,
                     .room_id = "room-1",
                     .agent = agent("a1"),
                     .mode = AssignMode::kAuto};
  RequestRecord lost{.id = "r2",
                     .customer = customer("c2"),
                     .requested_at = kRoutingT0 + 1,
                     .room_id = "room-2",
                     .agent = agent("a2")};
  RequestRecord duplicate{.id = "r3", .customer = customer("c1"), .requested_at = kRoutingT0 + 2};
  Routing routing(options(RoutingMode::kManual));
  const Millis restart = kRoutingT0 + 600'000;
  auto out = routing.restore({held, lost, duplicate}, restart);
  EXPECT_EQ(all<AgentReconnecting>(out).size(), 2u);
  EXPECT_EQ(one<StoreErase>(out).request_id, "r3");  // c1 already has an open request
  EXPECT_EQ(routing.next_deadline(), restart + 60'000);
  for (const auto& view : routing.agents()) EXPECT_FALSE(view.online);

  auto login = routing.agent_login(agent("a1"), restart + 5000);
  EXPECT_EQ(one<AgentReconnected>(login).room_id, "room-1");
  auto expired = routing.on_timer(restart + 60'000);
  const auto requeued = one<Requeued>(expired);
  EXPECT_EQ(requeued.room_id, "room-2");
  EXPECT_EQ(requeued.reason, "agent_grace_expired");
  EXPECT_EQ(routing.room("room-1")->agent.id, "a1");
  EXPECT_EQ(one<CustomerStatus>(routing.request(customer("c1"), {}, restart + 60'001)).status,
            ConsultStatus::kAutoAssigned);
}

TEST(Routing, AgentsAreRecordedOnLoginLogoutStatusAndTheEndOfTheirGrace) {
  Routing routing(options());
  const auto login =
      one<StoreAgent>(routing.agent_login(agent("a1"), kRoutingT0, AgentStatus::kAway));
  EXPECT_EQ(login.record.agent.id, "a1");
  EXPECT_EQ(login.record.agent.display_name, "Agent a1");
  EXPECT_TRUE(login.record.online);
  EXPECT_EQ(login.record.status, AgentStatus::kAway);
  const auto available =
      one<StoreAgent>(routing.agent_status("a1", AgentStatus::kAvailable, kRoutingT0));
  EXPECT_EQ(available.record.status, AgentStatus::kAvailable);
  // The same status again changes nothing, so nothing is written.
  EXPECT_TRUE(
      all<StoreAgent>(routing.agent_status("a1", AgentStatus::kAvailable, kRoutingT0)).empty());
  EXPECT_FALSE(one<StoreAgent>(routing.agent_logout("a1", kRoutingT0 + 1)).record.online);

  routing.agent_login(agent("a2"), kRoutingT0);
  routing.agent_disconnected("a2", kRoutingT0 + 1);
  const auto expired = one<StoreAgent>(routing.on_timer(kRoutingT0 + 1 + 60'000));
  EXPECT_EQ(expired.record.agent.id, "a2");
  EXPECT_FALSE(expired.record.online);
}

TEST(Routing, RestoredAgentsAreAsRecordedAndDecideAgainOnceReportedConnected) {
  RequestRecord waiting{.id = "r1", .customer = customer("c1"), .requested_at = kRoutingT0};
  RequestRecord held{.id = "r2",
                     .customer = customer("c2"),
                     .requested_at = kRoutingT0,
                     .room_id = "room-2",
                     .agent = agent("a2")};
  const std::vector<AgentRecord> agents{
      {.agent = agent("a1"), .online = true, .status = AgentStatus::kAvailable},
      {.agent = agent("a2"), .online = true, .status = AgentStatus::kAvailable},
      {.agent = agent("away"), .online = true, .status = AgentStatus::kAway},
      {.agent = agent("gone"), .online = false, .status = AgentStatus::kAway},
  };
  Routing routing(options());
  const Millis takeover = kRoutingT0 + 5000;
  auto out = routing.restore({waiting, held}, takeover, agents);
  EXPECT_EQ(one<AgentReconnecting>(out).room_id, "room-2");
  std::map<std::string, AgentView> views;
  for (const auto& view : routing.agents()) views[view.agent.id] = view;
  ASSERT_EQ(views.size(), 4u);
  EXPECT_TRUE(views["a1"].online);
  EXPECT_FALSE(views["a1"].connected);
  EXPECT_EQ(views["a1"].grace_until, takeover + 60'000);
  EXPECT_EQ(views["away"].status, AgentStatus::kAway);
  EXPECT_FALSE(views["gone"].online);
  EXPECT_EQ(views["gone"].status, AgentStatus::kAway);  // what they chose is kept for their login
  EXPECT_FALSE(views["gone"].grace_until.has_value());

  // Reported connected (presence): offered the waiting request and auto-assigned when it is due,
  // without logging in again; the away agent is offered but never auto-assigned.
  auto back = routing.agent_reconnected("a1", takeover + 100);
  EXPECT_EQ(all<OfferRequest>(back).size(), 1u);
  routing.agent_reconnected("away", takeover + 100);
  routing.agent_reconnected("a2", takeover + 100);
  const auto assigned = all<Assigned>(routing.on_timer(takeover + 10'000));
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_EQ(assigned[0].request_id, "r1");
  EXPECT_EQ(assigned[0].agent.id, "a1");  // a2 has a room already
  EXPECT_EQ(routing.room("room-2")->agent.id, "a2");

  // An agent recorded as logged in who is never reported connected is logged out by the grace.
  Routing alone(options());
  alone.restore({}, takeover, {{.agent = agent("a9"), .online = true}});
  const auto out_of_grace = one<StoreAgent>(alone.on_timer(takeover + 60'000));
  EXPECT_FALSE(out_of_grace.record.online);
  EXPECT_FALSE(alone.agents().at(0).online);
}

TEST(Routing, AuditsListEveryKnownAgentWithWhyItWasSkipped) {
  RoutingOptions o = options();
  o.max_rooms_per_agent = 1;
  Routing routing(o);
  for (const char* id : {"away", "busy", "gone", "no", "off", "pick"}) {
    routing.agent_login(agent(id), kRoutingT0);
  }
  routing.agent_status("away", AgentStatus::kAway, kRoutingT0);
  routing.agent_logout("off", kRoutingT0);
  routing.agent_disconnected("gone", kRoutingT0);
  const auto busy = opened(routing.request(customer("c0"), {}, kRoutingT0));
  routing.accept("busy", busy, kRoutingT0);
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0 + 1));
  routing.reject("no", id, kRoutingT0 + 2);

  auto out = routing.on_timer(kRoutingT0 + 10'001);
  const auto audit = audits(out, AuditEvent::kAutoAssign).at(0);
  EXPECT_EQ(audit.request_id, id);
  EXPECT_EQ(audit.agent_id, "pick");
  EXPECT_EQ(audit.at, kRoutingT0 + 10'001);
  EXPECT_EQ(verdicts(audit),
            (std::map<std::string, CandidateVerdict>{{"away", CandidateVerdict::kAway},
                                                     {"busy", CandidateVerdict::kAtCapacity},
                                                     {"gone", CandidateVerdict::kDisconnected},
                                                     {"no", CandidateVerdict::kRejected},
                                                     {"off", CandidateVerdict::kOffline},
                                                     {"pick", CandidateVerdict::kPicked}}));
  EXPECT_EQ(audit.candidates.at(1).active_rooms, 1);
  EXPECT_EQ(to_string(CandidateVerdict::kAtCapacity), "at_capacity");
  EXPECT_EQ(to_string(AuditEvent::kAutoAssign), "auto_assign");
}

TEST(Routing, NextDeadlineIsTheEarliestTimerAndEarlierTimersDoNothing) {
  // Random traffic; after every call, firing the timer before next_deadline must change nothing,
  // and the invariants hold: one open request per customer, loads within the limit, positions 1..n.
  for (unsigned seed = 1; seed <= 200; ++seed) {
    std::mt19937 rng(seed);
    RoutingOptions o = options(static_cast<RoutingMode>(rng() % 3));
    o.max_wait = 30s;
    o.max_rooms_per_agent = 2;
    Routing routing(o);
    Millis now = kRoutingT0;
    for (int step = 0; step < 150; ++step) {
      now += rng() % 4000;
      const std::string a = "a" + std::to_string(rng() % 4);
      const std::string c = "c" + std::to_string(rng() % 8);
      const auto waiting = routing.waiting();
      const auto rooms = routing.rooms();
      std::string request_id =
          waiting.empty() ? "none" : waiting[rng() % waiting.size()].request_id;
      std::string room_id = rooms.empty() ? "none" : rooms[rng() % rooms.size()].room_id;
      switch (rng() % 12) {
        case 0:
          routing.request(customer(c), {}, now);
          break;
        case 1:
          routing.agent_login(agent(a), now);
          break;
        case 2:
          routing.agent_logout(a, now);
          break;
        case 3:
          routing.agent_status(a, rng() % 2 ? AgentStatus::kAway : AgentStatus::kAvailable, now);
          break;
        case 4:
          routing.agent_disconnected(a, now);
          break;
        case 5:
          routing.agent_reconnected(a, now);
          break;
        case 6:
          routing.accept(a, request_id, now);
          break;
        case 7:
          routing.reject(a, request_id, now);
          break;
        case 8:
          routing.room_closed(room_id, rooms.empty() ? "" : rooms[0].customer.id, now);
          break;
        case 9: {
          const auto& r = rooms.empty() ? RoomView{} : rooms[rng() % rooms.size()];
          if (rng() % 2) {
            routing.transfer(r.room_id, r.agent.id, std::nullopt, now);
          } else {
            routing.transfer(r.room_id, r.agent.id, a, now);
          }
          break;
        }
        case 10:
          routing.cancel(c, request_id, now);
          break;
        default:
          routing.request(customer(c), {}, now);
          break;
      }
      const auto deadline = routing.next_deadline();
      if (deadline && *deadline > now && rng() % 2) {
        now = *deadline - 1;
        ASSERT_TRUE(routing.on_timer(now).empty()) << "seed " << seed << " step " << step;
      }
      if (deadline && *deadline <= now + 4000) {
        now = std::max(now, *deadline);
        routing.on_timer(now);
        if (auto next = routing.next_deadline()) {
          ASSERT_GT(*next, now) << "seed " << seed;
        }
      }

      std::set<std::string> customers;
      for (const auto& w : routing.waiting()) {
        EXPECT_EQ(w.position, static_cast<int>(customers.size()) + 1);
        ASSERT_TRUE(customers.insert(w.customer_id).second) << "seed " << seed;
      }
      std::map<std::string, int> load;
      for (const auto& r : routing.rooms()) {
        if (r.agent.id.empty()) continue;
        ASSERT_TRUE(customers.insert(r.customer.id).second) << "seed " << seed;
        ++load[r.agent.id];
      }
      for (const auto& view : routing.agents()) {
        EXPECT_EQ(view.active_rooms, load[view.agent.id]);
        EXPECT_LE(view.active_rooms, o.max_rooms_per_agent);
      }
    }
  }
}

TEST(Routing, ModeAndStatusNamesRoundTrip) {
  for (auto mode : {RoutingMode::kHybrid, RoutingMode::kManual, RoutingMode::kAuto}) {
    EXPECT_EQ(parse_routing_mode(to_string(mode)), mode);
  }
  EXPECT_FALSE(parse_routing_mode("random"));
  EXPECT_EQ(parse_agent_status("away"), AgentStatus::kAway);
  EXPECT_FALSE(parse_agent_status("busy"));
  EXPECT_EQ(to_string(ConsultStatus::kAutoAssigned), "auto_assigned");
  EXPECT_EQ(to_string(RefusalCode::kAlreadyAssigned), "already_assigned");
}

TEST(Routing, IdGeneratorsComeFromTheOptions) {
  RoutingOptions o = options(RoutingMode::kAuto);
  int n = 0;
  o.new_request_id = [&n] { return "R" + std::to_string(++n); };
  o.new_room_id = [&n] { return "ROOM" + std::to_string(++n); };
  Routing routing(o);
  routing.agent_login(agent("a1"), kRoutingT0);
  const auto assigned = one<Assigned>(routing.request(customer("c1"), {}, kRoutingT0));
  EXPECT_EQ(assigned.request_id, "R1");
  EXPECT_EQ(assigned.room_id, "ROOM2");
}

// customer_status: what GET /api/consult/current answers; a read that changes nothing.

TEST(Routing, CustomerStatusIsEmptyWithoutAnOpenRequest) {
  Routing routing(options());
  EXPECT_FALSE(routing.customer_status("c1"));
  EXPECT_FALSE(routing.customer_status(""));
  EXPECT_TRUE(routing.waiting().empty());  // asking created nothing
  EXPECT_FALSE(routing.next_deadline());
}

TEST(Routing, CustomerStatusGivesThePositionWhileWaiting) {
  Routing routing(options(RoutingMode::kManual));
  const auto first = opened(routing.request(customer("c0"), {}, kRoutingT0));
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0 + 1));
  auto status = routing.customer_status("c1");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->request_id, id);
  EXPECT_EQ(status->customer_id, "c1");
  EXPECT_EQ(status->status, ConsultStatus::kWaiting);
  EXPECT_EQ(status->position, 2);
  EXPECT_TRUE(status->agent_id.empty());
  EXPECT_FALSE(status->agent_reconnecting);

  routing.cancel("c0", first, kRoutingT0 + 2);
  EXPECT_EQ(routing.customer_status("c1")->position, 1);
  EXPECT_FALSE(routing.customer_status("c0"));
  EXPECT_EQ(routing.waiting_count(), 1u);
}

TEST(Routing, CustomerStatusNamesTheAgentAndTheModeOnceAssigned) {
  Routing routing(options());
  routing.agent_login(agent("a1"), kRoutingT0);
  const auto manual = opened(routing.request(customer("c1"), {}, kRoutingT0));
  const auto assigned = one<Assigned>(routing.accept("a1", manual, kRoutingT0 + 1));
  auto status = routing.customer_status("c1");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, ConsultStatus::kConnected);
  EXPECT_EQ(status->agent_id, "a1");
  EXPECT_EQ(status->agent_name, "Agent a1");
  EXPECT_EQ(status->room_id, assigned.room_id);
  EXPECT_FALSE(status->position);

  routing.request(customer("c2"), {}, kRoutingT0 + 2);
  routing.on_timer(kRoutingT0 + 20'000);  // past the offer window: auto-assigned
  EXPECT_EQ(routing.customer_status("c2")->status, ConsultStatus::kAutoAssigned);
}

TEST(Routing, CustomerStatusSaysWhenTheAgentIsReconnecting) {
  Routing routing(options(RoutingMode::kManual));
  routing.agent_login(agent("a1"), kRoutingT0);
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0));
  routing.accept("a1", id, kRoutingT0 + 1);
  routing.agent_disconnected("a1", kRoutingT0 + 1000);
  EXPECT_TRUE(routing.customer_status("c1")->agent_reconnecting);
  EXPECT_EQ(routing.customer_status("c1")->status, ConsultStatus::kConnected);
  // Asking again says the same.
  EXPECT_TRUE(one<CustomerStatus>(routing.request(customer("c1"), {}, kRoutingT0 + 2000))
                  .agent_reconnecting);

  routing.agent_reconnected("a1", kRoutingT0 + 3000);
  EXPECT_FALSE(routing.customer_status("c1")->agent_reconnecting);

  // Grace expiry: the room waits again at the head of the queue.
  routing.agent_disconnected("a1", kRoutingT0 + 4000);
  routing.on_timer(kRoutingT0 + 4000 + 60'000);
  auto status = routing.customer_status("c1");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, ConsultStatus::kWaiting);
  EXPECT_EQ(status->position, 1);
  EXPECT_FALSE(status->agent_reconnecting);
  EXPECT_FALSE(status->room_id.empty());
}

TEST(Routing, CustomerStatusOfRestoredRoomsSaysTheAgentIsReconnecting) {
  Routing routing(options());
  RequestRecord record;
  record.id = "q1";
  record.customer = customer("c1");
  record.requested_at = kRoutingT0;
  record.room_id = "r1";
  record.agent = agent("a1");
  routing.restore({record}, kRoutingT0 + 5);
  auto status = routing.customer_status("c1");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->room_id, "r1");
  EXPECT_TRUE(status->agent_reconnecting);
  // The store does not keep when the agent got the room.
  EXPECT_FALSE(routing.room("r1")->assigned_at);
}

TEST(Routing, ViewsCarryTheDetailsConsolesShow) {
  Routing routing(options(RoutingMode::kManual));
  routing.agent_login(agent("a1"), kRoutingT0);
  routing.agent_login(agent("a2"), kRoutingT0);
  const auto id = opened(
      routing.request(customer("c1"), {"billing", "double charge", "Sorry"}, kRoutingT0 + 5));
  const auto waiting = routing.waiting().at(0);
  EXPECT_EQ(waiting.customer_name, "Customer c1");
  EXPECT_EQ(waiting.details.category, "billing");
  EXPECT_EQ(waiting.details.reason, "double charge");
  EXPECT_EQ(waiting.details.last_bot_message, "Sorry");

  const auto room_id = one<Assigned>(routing.accept("a1", id, kRoutingT0 + 100)).room_id;
  auto room = routing.room(room_id);
  ASSERT_TRUE(room);
  EXPECT_EQ(room->details.category, "billing");
  EXPECT_EQ(room->assigned_at, kRoutingT0 + 100);
  // A transfer gives the room a new assignment time.
  routing.transfer(room_id, "a1", std::string_view("a2"), kRoutingT0 + 900);
  EXPECT_EQ(routing.room(room_id)->agent.id, "a2");
  EXPECT_EQ(routing.room(room_id)->assigned_at, kRoutingT0 + 900);
  // Back in the queue it has none.
  routing.transfer(room_id, "a2", std::nullopt, kRoutingT0 + 1000);
  EXPECT_FALSE(routing.room(room_id)->assigned_at);
}

TEST(Routing, AgentPresenceNamesWhatConsolesShow) {
  Routing routing(options(RoutingMode::kManual));
  routing.agent_login(agent("a1"), kRoutingT0);
  routing.agent_login(agent("a2"), kRoutingT0);
  routing.agent_login(agent("a3"), kRoutingT0);
  routing.agent_status("a2", AgentStatus::kAway, kRoutingT0 + 1);
  routing.agent_logout("a3", kRoutingT0 + 2);
  const auto id = opened(routing.request(customer("c1"), {}, kRoutingT0 + 3));
  routing.accept("a1", id, kRoutingT0 + 4);
  std::map<std::string, std::string_view> shown;
  for (const auto& view : routing.agents()) shown[view.agent.id] = presence_of(view);
  EXPECT_EQ(shown["a1"], "available");
  EXPECT_EQ(shown["a2"], "away");
  EXPECT_EQ(shown["a3"], "offline");

  routing.agent_disconnected("a1", kRoutingT0 + 5);
  EXPECT_EQ(presence_of(routing.agents().at(0)), "reconnecting");
  EXPECT_EQ(routing.agents().at(0).active_rooms, 1);
  routing.on_timer(kRoutingT0 + 5 + 60'000);  // grace over: logged out, rooms requeued
  EXPECT_EQ(presence_of(routing.agents().at(0)), "offline");
  EXPECT_EQ(routing.agents().at(0).active_rooms, 0);
}

}  // namespace
}  // namespace aicc::chat
