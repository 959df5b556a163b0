#include "net/echo_connection.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace aicc::net {
namespace {

struct FakeTransport : ConnectionTransport {
  void wake() override { ++wakes; }
  void abort() override { ++aborts; }
  int wakes = 0;
  int aborts = 0;
};

std::vector<std::string> texts(const std::vector<stomp::Outbound>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) out.emplace_back(item.head());
  return out;
}

TEST(EchoConnection, SendsEveryMessageBackInOrder) {
  EchoConnection echo(false);
  FakeTransport transport;
  echo.start(transport);
  EXPECT_FALSE(echo.has_output());
  echo.on_data("a");
  echo.on_data("Hello world!\xef\xbf\xbf");
  EXPECT_EQ(transport.wakes, 2);
  std::vector<stomp::Outbound> items;
  echo.take_output(items, 1 << 20);
  EXPECT_EQ(texts(items), (std::vector<std::string>{"a", "Hello world!\xef\xbf\xbf"}));
  EXPECT_FALSE(echo.has_output());
  EXPECT_FALSE(echo.should_close());
}

TEST(EchoConnection, TakeOutputKeepsToItsLimitsButTakesAtLeastOne) {
  EchoConnection echo(false);
  FakeTransport transport;
  echo.start(transport);
  echo.on_data(std::string(10, 'x'));
  echo.on_data(std::string(10, 'y'));
  echo.on_data(std::string(10, 'z'));
  std::vector<stomp::Outbound> items;
  EXPECT_EQ(echo.take_output(items, 5), 10u);
  EXPECT_EQ(items.size(), 1u);
  EXPECT_EQ(echo.take_output(items, 100, 1), 10u);
  EXPECT_EQ(items.size(), 2u);
  EXPECT_EQ(echo.take_output(items, 100), 10u);
  EXPECT_EQ(texts(items).back(), std::string(10, 'z'));
}

TEST(EchoConnection, CloseServiceAsksToCloseAtOnceWithGoAway) {
  EchoConnection close(true);
  FakeTransport transport;
  close.start(transport);
  EXPECT_EQ(transport.wakes, 1);
  EXPECT_TRUE(close.should_close());
  close.on_data("ignored");
  EXPECT_FALSE(close.has_output());
  EXPECT_EQ(close.close_code(), 3000);
  EXPECT_EQ(close.close_reason(), "Go away!");
}

TEST(EchoConnection, NothingAfterTheTransportClosed) {
  EchoConnection echo(false);
  FakeTransport transport;
  echo.start(transport);
  echo.on_data("pending");
  echo.on_transport_closed("gone");
  EXPECT_FALSE(echo.has_output());
  echo.on_data("late");
  EXPECT_FALSE(echo.has_output());
  EXPECT_EQ(transport.wakes, 1);
}

TEST(EchoConnection, AClientThatNeverReadsIsCutOff) {
  EchoConnection echo(false);
  FakeTransport transport;
  echo.start(transport);
  const std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 100 && transport.aborts == 0; ++i) echo.on_data(chunk);
  EXPECT_EQ(transport.aborts, 1);
}

}  // namespace
}  // namespace aicc::net
