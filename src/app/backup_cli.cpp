#include "app/backup_cli.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <optional>

#include "store/sqlite/attachment_folder.hpp"
#include "store/sqlite/backup.hpp"

namespace aicc::app {
namespace {

namespace fs = std::filesystem;

std::filesystem::path attachments_folder(const config::Config& config) {
  return config.attachments.path.empty()
             ? store::sqlite::AttachmentFolder::beside(config.store.sqlite.path)
             : fs::path(config.attachments.path);
}

// Why this command must not run here, or nothing. SQLite makes its journal files with the
// creator's owner: run as root on a server's folder, it could leave files the server cannot open.
std::optional<std::string> wrong_place(const config::Config& config, const char* command) {
  if (config.store.kind != "sqlite") {
    return std::string("store.kind is ") + config.store.kind +
           ": back up and restore PostgreSQL with pg_dump and pg_restore (see the README, "
           "\"Operating it\")";
  }
  if (::geteuid() == 0) {
    fs::path folder = fs::absolute(config.store.sqlite.path).parent_path();
    struct stat info {};
    if (::stat(folder.c_str(), &info) == 0 && info.st_uid != 0) {
      return "run it as the owner of " + folder.string() + ", not as root (for example: sudo -u " +
             "aicc-chat aicc-chat " + command + " ...), so that every file it makes there " +
             "stays readable by the server";
    }
  }
  return std::nullopt;
}

std::string local_time(std::int64_t seconds) {
  const std::time_t when = static_cast<std::time_t>(seconds);
  std::tm parts{};
  ::localtime_r(&when, &parts);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %Z", &parts);
  return text;
}

}  // namespace

int run_backup_command(const config::Config& config, const std::string& file) {
  if (file.empty() || file.front() == '-') {
    std::fputs("usage: aicc-chat [--config FILE] backup BACKUP_FILE\n", stderr);
    return 2;
  }
  if (auto why = wrong_place(config, "backup")) {
    std::fprintf(stderr, "aicc-chat backup: %s\n", why->c_str());
    return 2;
  }
  try {
    const auto summary =
        store::sqlite::make_backup(config.store.sqlite.path, attachments_folder(config), file);
    for (const std::string& id : summary.missing) {
      std::fprintf(stderr, "aicc-chat backup: warning: the file of attachment %s is missing\n",
                   id.c_str());
    }
    std::printf("backup written to %s: %ju bytes, %zu attachment file%s\n", file.c_str(),
                summary.bytes, summary.attachments, summary.attachments == 1 ? "" : "s");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aicc-chat backup: %s\n", e.what());
    return 1;
  }
}

int run_restore_command(const config::Config& config, const std::string& file) {
  if (file.empty() || file.front() == '-') {
    std::fputs("usage: aicc-chat [--config FILE] restore BACKUP_FILE   (with the server stopped)\n",
               stderr);
    return 2;
  }
  if (auto why = wrong_place(config, "restore")) {
    std::fprintf(stderr, "aicc-chat restore: %s\n", why->c_str());
    return 2;
  }
  try {
    const auto summary =
        store::sqlite::restore_backup(file, config.store.sqlite.path, attachments_folder(config));
    std::printf(
        "restored %s into %s: the backup of %s taken %s, %zu attachment file%s; start the "
        "server\n",
        file.c_str(), config.store.sqlite.path.c_str(), summary.source.c_str(),
        local_time(summary.made_at).c_str(), summary.attachments,
        summary.attachments == 1 ? "" : "s");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aicc-chat restore: %s\n", e.what());
    return 1;
  }
}

}  // namespace aicc::app
