#include "http/request_id.hpp"

#include "util/random.hpp"

namespace aicc::http {
namespace {

// Letters, digits and . _ : - only: the id goes into log lines and headers as it is.
bool usable(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == ':' || c == '-';
    if (!plain) return false;
  }
  return true;
}

}  // namespace

std::string assign_request_id(Request& request) {
  std::string id(request[kRequestIdField]);
  if (!usable(id)) {
    id = "r" + util::random_hex(8);
    request.set(kRequestIdField, id);
  }
  return id;
}

std::string_view request_id_of(const Request& request) { return request[kRequestIdField]; }

}  // namespace aicc::http
