// A redis-server private to one test (scripts/redis-private.sh on a free loopback port, its own
// folder), stopped and removed with the object; stop() and start() restart it on the same port.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "net/redis_bus.hpp"
#include "util/random.hpp"

namespace aicc::net::testing {

inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

inline std::string run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  std::string out;
  std::array<char, 256> buffer{};
  while (pipe && std::fgets(buffer.data(), buffer.size(), pipe.get())) out += buffer.data();
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class PrivateRedis {
 public:
  explicit PrivateRedis(int port = free_port())
      : dir_(std::filesystem::temp_directory_path() / ("aicc-redis-test-" + util::random_hex(6))),
        port_(port) {
    start();
  }
  ~PrivateRedis() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  void start() {
    const std::string url = run(script() + " start " + dir_.string() + " " + std::to_string(port_));
    if (url.rfind("redis://", 0) != 0) throw std::runtime_error("redis did not start: " + url);
  }
  void stop() { run(script() + " stop " + dir_.string()); }
  // Runs a redis-cli command against it (e.g. "CLIENT KILL TYPE normal"); its output.
  std::string cli(const std::string& command) const {
    return run("redis-cli -h 127.0.0.1 -p " + std::to_string(port_) + " " + command);
  }
  RedisAddress address() const { return RedisAddress{.host = "127.0.0.1", .port = port_}; }

 private:
  static std::string script() { return std::string(AICC_SOURCE_DIR) + "/scripts/redis-private.sh"; }
  std::filesystem::path dir_;
  int port_;
};

}  // namespace aicc::net::testing
