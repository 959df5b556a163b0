#include "test_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>

#include "store/postgres/connection.hpp"
#include "util/random.hpp"

namespace aicc::store::postgres::testing {
namespace {

// A loopback port nobody listens on now.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  std::array<char, 256> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe.get())) out += buffer.data();
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// A private server started by this process, stopped at exit.
struct OwnServer {
  std::filesystem::path dir;
  std::string url;

  OwnServer() {
    dir = std::filesystem::temp_directory_path() / ("aicc-pg-test-" + util::random_hex(6));
    const std::string script = std::string(AICC_SOURCE_DIR) + "/scripts/postgres-private.sh";
    url = run(script + " start " + dir.string() + " " + std::to_string(free_port()) + " --fast");
    if (url.rfind("postgresql://", 0) != 0) {
      throw std::runtime_error("could not start a private PostgreSQL: " + url);
    }
  }
  ~OwnServer() {
    const std::string script = std::string(AICC_SOURCE_DIR) + "/scripts/postgres-private.sh";
    run(script + " stop " + dir.string());
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

}  // namespace

const std::string& server_url() {
  static const std::string url = [] {
    if (const char* given = std::getenv("AICC_TEST_POSTGRES_URL"); given && *given) {
      return std::string(given);
    }
    static OwnServer server;  // destroyed at exit, after the tests
    return server.url;
  }();
  return url;
}

std::string schema_url(const std::string& schema) {
  static std::mutex mutex;
  static std::set<std::string> created;
  {
    std::lock_guard lock(mutex);
    if (created.insert(schema).second) {
      Connection admin(server_url());
      admin.execute("CREATE SCHEMA IF NOT EXISTS " + schema, "create a test schema");
    }
  }
  const std::string& base = server_url();
  const char separator = base.find('?') == std::string::npos ? '?' : '&';
  // The application name tells this schema's connections apart in pg_stat_activity.
  return base + separator + "options=-csearch_path%3D" + schema + "&application_name=" + schema;
}

std::string fresh_schema() { return "t_" + util::random_hex(8); }

}  // namespace aicc::store::postgres::testing
