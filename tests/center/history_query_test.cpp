#include "center/history_query.hpp"

#include <gtest/gtest.h>

namespace aicc::center {
namespace {

using Parameters = std::map<std::string, std::string>;

chat::RoomQuery parsed(const Parameters& parameters) {
  auto result = parse_history_query(parameters);
  EXPECT_TRUE(std::holds_alternative<chat::RoomQuery>(result)) << std::get<std::string>(result);
  return std::holds_alternative<chat::RoomQuery>(result) ? std::get<chat::RoomQuery>(result)
                                                         : chat::RoomQuery{};
}

std::string refusal(const Parameters& parameters) {
  auto result = parse_history_query(parameters);
  return std::holds_alternative<std::string>(result) ? std::get<std::string>(result) : "";
}

TEST(HistoryQuery, NothingGivenListsEveryRoomAPageAtATime) {
  const chat::RoomQuery query = parsed({});
  EXPECT_EQ(query.limit, kDefaultHistoryPage);
  EXPECT_TRUE(query.agent_id.empty());
  EXPECT_TRUE(query.words.empty());
  EXPECT_EQ(query.state, chat::RoomQuery::State::kAny);
  EXPECT_FALSE(query.before.has_value());
  // Empty values count as not given, as an HTML form sends them.
  EXPECT_EQ(parsed({{"from", ""}, {"q", ""}, {"minRating", ""}, {"state", ""}}).limit,
            kDefaultHistoryPage);
}

TEST(HistoryQuery, ReadsEveryFilter) {
  const chat::RoomQuery query = parsed({{"from", "1700000000000"},
                                        {"to", "1700086400000"},
                                        {"agentId", "agent_1"},
                                        {"customerId", "guest-1"},
                                        {"category", "payment_error"},
                                        {"state", "closed"},
                                        {"minRating", "2"},
                                        {"maxRating", "4"},
                                        {"q", "  환불  receipt\u3000ABC-1 "},
                                        {"before", "1700000500000:r_7:x"},
                                        {"limit", "100"}});
  EXPECT_EQ(query.from, 1700000000000);
  EXPECT_EQ(query.to, 1700086400000);
  EXPECT_EQ(query.agent_id, "agent_1");
  EXPECT_EQ(query.customer_id, "guest-1");
  EXPECT_EQ(query.category, "payment_error");
  EXPECT_EQ(query.state, chat::RoomQuery::State::kClosed);
  EXPECT_EQ(query.min_score, 2);
  EXPECT_EQ(query.max_score, 4);
  EXPECT_EQ(query.words, (std::vector<std::string>{"환불", "receipt", "ABC-1"}));
  ASSERT_TRUE(query.before.has_value());
  EXPECT_EQ(query.before->first, 1700000500000);
  EXPECT_EQ(query.before->second, "r_7:x");  // the id is all after the first colon
  EXPECT_EQ(query.limit, 100u);
  EXPECT_TRUE(parsed({{"unrated", "1"}}).unrated);
  EXPECT_EQ(parsed({{"state", "open"}}).state, chat::RoomQuery::State::kOpen);
  EXPECT_EQ(parsed({{"state", "whatever"}}).state, chat::RoomQuery::State::kAny);
}

TEST(HistoryQuery, TheCursorOfAPageIsReadBackAsItsBefore) {
  chat::RoomRecord last;
  last.id = "r_9";
  last.created_at = 1700000000123;
  const chat::RoomQuery next = parsed({{"before", history_cursor(last)}});
  ASSERT_TRUE(next.before.has_value());
  EXPECT_EQ(*next.before, (std::pair<chat::Millis, std::string>{1700000000123, "r_9"}));
}

TEST(HistoryQuery, RefusesHostileOrMalformedValuesSayingWhich) {
  EXPECT_NE(refusal({{"from", "-1"}}).find("from"), std::string::npos);
  EXPECT_NE(refusal({{"to", "12abc"}}).find("to"), std::string::npos);
  EXPECT_NE(refusal({{"to", "99999999999999999999999"}}).find("to"), std::string::npos);
  EXPECT_NE(refusal({{"agentId", std::string(129, 'a')}}).find("agentId"), std::string::npos);
  EXPECT_NE(refusal({{"category", std::string("a\0b", 3)}}).find("category"), std::string::npos);
  EXPECT_NE(refusal({{"customerId", "\xff\xfe"}}).find("customerId"), std::string::npos);
  EXPECT_NE(refusal({{"minRating", "0"}}).find("minRating"), std::string::npos);
  EXPECT_NE(refusal({{"maxRating", "6"}}).find("maxRating"), std::string::npos);
  EXPECT_NE(refusal({{"minRating", "4"}, {"maxRating", "2"}}).find("above"), std::string::npos);
  EXPECT_NE(refusal({{"unrated", "1"}, {"minRating", "3"}}).find("unrated"), std::string::npos);
  EXPECT_NE(refusal({{"q", std::string(201, 'a')}}).find("200"), std::string::npos);
  EXPECT_NE(refusal({{"q", std::string(65, 'a')}}).find("64"), std::string::npos);
  EXPECT_NE(refusal({{"q", "1 2 3 4 5 6 7 8 9"}}).find("8 words"), std::string::npos);
  EXPECT_NE(refusal({{"q", "a\x01"}}).find("control"), std::string::npos);
  EXPECT_NE(refusal({{"q", "\xc3\x28"}}).find("UTF-8"), std::string::npos);
  for (const char* before : {"1700", "abc:r_1", "1700:", ":r_1", "-5:r_1"}) {
    EXPECT_NE(refusal({{"before", before}}).find("before"), std::string::npos) << before;
  }
  for (const char* limit : {"0", "101", "-1", "ten", "1e2"}) {
    EXPECT_NE(refusal({{"limit", limit}}).find("limit"), std::string::npos) << limit;
  }
}

}  // namespace
}  // namespace aicc::center
