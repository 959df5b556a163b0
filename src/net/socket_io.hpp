// What the readiness-driven transports (ws_transport, tcp_session) share: work buffers per I/O
// thread, the non-blocking gathered write that keeps only what the socket did not take, and how a
// socket error reads in the logs.
#pragma once

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <string>
#include <vector>

#include "stomp/message.hpp"

namespace aicc::net {

// Several queued frames go out in one gathered write, up to this size.
inline constexpr std::size_t kMaxWriteBytes = 64 * 1024;
// Asio hands at most 64 buffers to one writev: a header and two per frame.
inline constexpr std::size_t kMaxFramesPerWrite = 31;

// One set per I/O thread, shared by every connection on it: an idle connection holds none.
// Nothing here is kept across a suspension.
struct IoScratch {
  std::array<char, 64 * 1024> read;
  std::vector<stomp::Outbound> items;
  std::vector<boost::asio::const_buffer> buffers;
  std::vector<std::string> messages;
  std::string frame;
};
IoScratch& io_scratch();

bool would_block(const boost::system::error_code& error);
std::string describe_socket_error(const boost::system::error_code& error);

// Writes `buffers` without blocking and appends what the socket did not take to `kept`. False on
// a real error (in `error`); a full socket is not one.
bool write_now(boost::asio::ip::tcp::socket& socket,
               const std::vector<boost::asio::const_buffer>& buffers, std::string& kept,
               boost::system::error_code& error);

enum class KeptWrite { kDone, kWaiting, kFailed };
// Writes what `kept` holds without blocking and drops what went out; once all is out, its memory
// is given back (kDone). kWaiting: the socket is full; kFailed: `error` says why.
KeptWrite write_kept(boost::asio::ip::tcp::socket& socket, std::string& kept,
                     boost::system::error_code& error);

}  // namespace aicc::net
