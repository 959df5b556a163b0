// A database file for store tests, in a private folder of its own in the temp directory, deleted
// with everything in it (WAL, shared memory, the attachments folder).
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

#include "util/random.hpp"

namespace aicc::store::testing {

class TempFile {
 public:
  // A database file in a private folder of its own, so what a store keeps beside its file (the
  // attachments folder) is private to the test too, and goes with it.
  TempFile()
      : dir_(std::filesystem::temp_directory_path() / ("aicc-store-test-" + util::random_hex(8))),
        path_((dir_ / "chat.db").string()) {
    std::filesystem::create_directories(dir_);
  }
  ~TempFile() {
    std::error_code ignored;  // a file never created is fine
    std::filesystem::remove_all(dir_, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

}  // namespace aicc::store::testing
