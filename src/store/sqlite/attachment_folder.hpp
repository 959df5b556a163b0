// Where the SQLite store keeps attachment bytes: one file per attachment, named by its id, in a
// folder beside the database (the database keeps what they are and who may read them). A file is
// written whole under a temporary name, flushed to disk and then renamed, so a crash leaves either
// the whole file or none, never a part that the database points to.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace aicc::store::sqlite {

class AttachmentFolder {
 public:
  // Uses `dir` (created if missing); an empty `dir` makes a private temporary folder, removed
  // with this object (for in-memory databases). Throws std::runtime_error when it cannot be used.
  explicit AttachmentFolder(std::filesystem::path dir);
  ~AttachmentFolder();
  AttachmentFolder(const AttachmentFolder&) = delete;
  AttachmentFolder& operator=(const AttachmentFolder&) = delete;

  // Writes `bytes` to a new temporary file and returns its path; throws when the disk refuses.
  std::filesystem::path stage(std::string_view bytes);
  // Gives a staged file its final name (replacing a leftover of a crash) and makes that durable.
  void commit(const std::filesystem::path& staged, std::string_view id);
  // Removes a staged file that will not be kept; never throws.
  void discard(const std::filesystem::path& staged) noexcept;
  // Deletes the file of `id` if there is one (retention, erasure); false when it is still there.
  bool remove(std::string_view id) noexcept;
  // The bytes of `id`; nullopt when there is no such file.
  std::optional<std::string> read(std::string_view id) const;

  // The folder beside a database file: "<folder of path>/attachments"; empty for ":memory:".
  static std::filesystem::path beside(const std::string& database_path);

 private:
  std::filesystem::path dir_;
  bool temporary_ = false;
};

}  // namespace aicc::store::sqlite
