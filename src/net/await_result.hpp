// The completion token of coroutines that handle errors themselves: `co_await op(...,
// kAwaitResult)` gives the error code (and any result) as a tuple instead of throwing. One
// definition, so that no two files of a unity batch define it each.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace aicc::net {

inline constexpr auto kAwaitResult = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace aicc::net
