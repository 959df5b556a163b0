#include "app/demo_secret.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "util/random.hpp"

namespace aicc::app {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFileName = "demo-jwt-secret";
constexpr std::size_t kHexLength = 64;  // 32 bytes

bool valid(const std::string& text) {
  return text.size() == kHexLength && std::all_of(text.begin(), text.end(), [](unsigned char c) {
           return std::isxdigit(c) != 0;
         });
}

std::string read_first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

// Written whole or not at all (a temporary file renamed into place), readable by the owner only.
bool write_secret(const fs::path& file, const std::string& secret) {
  const fs::path temporary = file.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const std::string content = secret + "\n";
  const bool written =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
      ::fsync(fd) == 0;
  ::close(fd);
  std::error_code error;
  if (written) fs::rename(temporary, file, error);
  if (!written || error) {
    fs::remove(temporary, error);
    return false;
  }
  return true;
}

}  // namespace

DemoSecret demo_jwt_secret(const std::string& sqlite_path) {
  DemoSecret result{util::random_hex(32), {}, true};
  if (sqlite_path.empty() || sqlite_path == ":memory:") return result;
  fs::path folder = fs::path(sqlite_path).parent_path();
  if (folder.empty()) folder = ".";
  const fs::path file = folder / kFileName;
  std::error_code error;
  if (fs::exists(file, error)) {
    const std::string kept = read_first_line(file);
    if (valid(kept)) return DemoSecret{kept, file.string(), false};
  }
  fs::create_directories(folder, error);
  if (write_secret(file, result.secret)) result.file = file.string();
  return result;
}

}  // namespace aicc::app
