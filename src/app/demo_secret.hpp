// Demo mode's JWT secret, kept in the data folder (beside the SQLite file) so that a restart of a
// demo keeps everybody signed in: 32 random bytes (hex) made at the first start, read at later
// ones. Demo mode only: a secret on disk beside the data is not how production keeps one.
#pragma once

#include <string>

namespace aicc::app {

struct DemoSecret {
  std::string secret;
  std::string file;  // where it is kept; empty when it could not be (a fresh one each start)
  bool created = false;
};

// `sqlite_path`: store.sqlite.path (":memory:" or empty: nowhere to keep it).
DemoSecret demo_jwt_secret(const std::string& sqlite_path);

}  // namespace aicc::app
