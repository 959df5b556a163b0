// The PostgreSQL server the adapter's tests run against.
//
// `make test` starts one private server for the whole run and passes its URL in
// AICC_TEST_POSTGRES_URL. Without it (a test binary run by hand), the first test that needs one
// starts a private server of its own (scripts/postgres-private.sh, in a temporary folder, on a free
// loopback port) and stops it when the program ends.
#pragma once

#include <string>

namespace aicc::store::postgres::testing {

// The server's URL; starts it first when needed. Throws when it cannot.
const std::string& server_url();

// A URL whose connections use the schema `schema` (search_path; created on first use) and name
// themselves after it (application_name), so that each test starts from nothing on the one
// server and can find its own connections.
std::string schema_url(const std::string& schema);

// A new schema name, unique in this run.
std::string fresh_schema();

}  // namespace aicc::store::postgres::testing
