#include "net/socket_io.hpp"

namespace aicc::net {

namespace asio = boost::asio;
using boost::system::error_code;

IoScratch& io_scratch() {
  thread_local IoScratch instance;
  return instance;
}

bool would_block(const error_code& error) {
  return error == asio::error::would_block || error == asio::error::try_again;
}

std::string describe_socket_error(const error_code& error) {
  if (error == asio::error::eof || error == asio::error::connection_reset ||
      error == asio::error::broken_pipe) {
    return "peer dropped the connection";
  }
  if (error == asio::error::operation_aborted) return "closed by the server";
  return error.message();
}

bool write_now(asio::ip::tcp::socket& socket, const std::vector<asio::const_buffer>& buffers,
               std::string& kept, error_code& error) {
  std::size_t written = socket.write_some(buffers, error);
  if (error && !would_block(error)) return false;
  if (error) written = 0;
  error = {};
  for (const auto& buffer : buffers) {
    if (written >= buffer.size()) {
      written -= buffer.size();
      continue;
    }
    kept.append(static_cast<const char*>(buffer.data()) + written, buffer.size() - written);
    written = 0;
  }
  return true;
}

KeptWrite write_kept(asio::ip::tcp::socket& socket, std::string& kept, error_code& error) {
  if (kept.empty()) return KeptWrite::kDone;
  std::size_t written = socket.write_some(asio::buffer(kept), error);
  if (error && !would_block(error)) return KeptWrite::kFailed;
  if (error) written = 0;
  error = {};
  if (written < kept.size()) {
    kept.erase(0, written);
    return KeptWrite::kWaiting;
  }
  std::string().swap(kept);  // a burst's memory goes back
  return KeptWrite::kDone;
}

}  // namespace aicc::net
