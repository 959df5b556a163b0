// A database file in the temp directory for store tests, deleted with its WAL and shared-memory
// files.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

#include "util/random.hpp"

namespace aicc::store::testing {

class TempFile {
 public:
  TempFile()
      : path_((std::filesystem::temp_directory_path() /
               ("aicc-store-test-" + util::random_hex(8) + ".db"))
                  .string()) {}
  ~TempFile() {
    std::error_code ignored;  // a file never created is fine
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
      std::filesystem::remove(path_ + suffix, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace aicc::store::testing
