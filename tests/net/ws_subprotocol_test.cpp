#include <gtest/gtest.h>

#include "net/ws_session.hpp"

namespace aicc::net {

TEST(StompSubprotocol, PicksTheNewestOffered) {
  EXPECT_EQ(choose_stomp_subprotocol("v10.stomp, v11.stomp, v12.stomp"), "v12.stomp");
  EXPECT_EQ(choose_stomp_subprotocol("v11.stomp,v10.stomp"), "v11.stomp");
  EXPECT_EQ(choose_stomp_subprotocol(" v10.stomp "), "v10.stomp");
}

TEST(StompSubprotocol, AnswersNothingForForeignOffers) {
  EXPECT_EQ(choose_stomp_subprotocol(""), "");
  EXPECT_EQ(choose_stomp_subprotocol("mqtt, wamp"), "");
  EXPECT_EQ(choose_stomp_subprotocol("v12.stomp.evil"), "");
}

}  // namespace aicc::net
