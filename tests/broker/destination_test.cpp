#include "broker/destination.hpp"

#include <gtest/gtest.h>

namespace aicc::broker {

TEST(Destination, ClassifiesKnownPrefixes) {
  EXPECT_EQ(classify("/topic/chat").kind, DestinationKind::kTopic);
  EXPECT_EQ(classify("/queue/jobs").kind, DestinationKind::kQueue);
  EXPECT_EQ(classify("/user/queue/errors").kind, DestinationKind::kUserQueue);
  EXPECT_EQ(classify("/app/chat.send").kind, DestinationKind::kApp);
}

TEST(Destination, RefusesMalformedNames) {
  for (const char* bad : {"", "topic/chat", "/topic/", "/topic//x", "/topic/../app/x", "/topic/a b",
                          "/topic/*", "/other/x", "/topic"}) {
    const Classified result = classify(bad);
    EXPECT_FALSE(result.ok) << bad;
    EXPECT_FALSE(result.error.empty()) << bad;
  }
  EXPECT_FALSE(classify("/topic/" + std::string(kMaxDestinationBytes, 'a')).ok);
}

TEST(Destination, ClientsSendOnlyToApp) {
  EXPECT_TRUE(check_send("/app/chat.send").ok);
  EXPECT_FALSE(check_send("/topic/chat").ok);
  EXPECT_FALSE(check_send("/user/queue/errors").ok);
}

TEST(Destination, ClientsCannotSubscribeToApp) {
  EXPECT_TRUE(check_subscribe("/topic/chat").ok);
  EXPECT_TRUE(check_subscribe("/user/queue/errors").ok);
  EXPECT_FALSE(check_subscribe("/app/chat.send").ok);
}

TEST(Destination, StripsUserPrefix) { EXPECT_EQ(strip_user_prefix("/user/queue/x"), "/queue/x"); }

}  // namespace aicc::broker
