#include "store/sqlite/attachment_folder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

#include "util/random.hpp"

namespace aicc::store::sqlite {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& what, const fs::path& path, int error) {
  throw std::runtime_error("attachments: cannot " + what + " " + path.string() + ": " +
                           std::strerror(error));
}

void sync_path(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail("open", path, errno);
  const int result = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (result != 0) fail("flush", path, error);
}

}  // namespace

AttachmentFolder::AttachmentFolder(fs::path dir) : dir_(std::move(dir)) {
  std::error_code error;
  if (dir_.empty()) {
    temporary_ = true;
    dir_ = fs::temp_directory_path(error) / ("aicc-attachments-" + util::random_hex(8));
  }
  fs::create_directories(dir_, error);
  if (error || !fs::is_directory(dir_)) {
    throw std::runtime_error("attachments: cannot use the folder " + dir_.string() + ": " +
                             (error ? error.message() : std::string("not a folder")));
  }
}

AttachmentFolder::~AttachmentFolder() {
  if (!temporary_) return;
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

fs::path AttachmentFolder::stage(std::string_view bytes) {
  const fs::path staged = dir_ / (".staged-" + util::random_hex(12));
  const int fd = ::open(staged.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) fail("create", staged, errno);
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      ::close(fd);
      discard(staged);
      fail("write", staged, error);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    discard(staged);
    fail("flush", staged, error);
  }
  ::close(fd);
  return staged;
}

void AttachmentFolder::commit(const fs::path& staged, std::string_view id) {
  const fs::path final_path = dir_ / std::string(id);
  if (::rename(staged.c_str(), final_path.c_str()) != 0) fail("rename", staged, errno);
  sync_path(dir_, O_RDONLY | O_DIRECTORY);  // the new name survives a crash too
}

void AttachmentFolder::discard(const fs::path& staged) noexcept {
  std::error_code ignored;
  fs::remove(staged, ignored);
}

bool AttachmentFolder::remove(std::string_view id) noexcept {
  std::error_code error;
  fs::remove(dir_ / std::string(id), error);
  return !error;
}

std::optional<std::string> AttachmentFolder::read(std::string_view id) const {
  std::ifstream file(dir_ / std::string(id), std::ios::binary);
  if (!file) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad()) throw std::runtime_error("attachments: cannot read " + std::string(id));
  return bytes;
}

fs::path AttachmentFolder::beside(const std::string& database_path) {
  if (database_path.empty() || database_path == ":memory:") return {};
  const fs::path parent = fs::path(database_path).parent_path();
  return (parent.empty() ? fs::path(".") : parent) / "attachments";
}

}  // namespace aicc::store::sqlite
