// One step of a storage adapter's schema, shared by the SQLite and PostgreSQL adapters.
#pragma once

#include <string_view>

namespace aicc::store {

// Versions are 1, 2, 3, ... in the order they were written; a released migration is never edited
// or renumbered, only followed by a new one.
struct Migration {
  int version;                   // its position in the sequence, from 1
  std::string_view description;  // what it does, for errors and the schema_migrations table
  std::string_view script;       // one SQL script; may hold several statements
};

}  // namespace aicc::store
