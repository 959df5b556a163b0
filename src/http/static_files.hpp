// Static files from the web root: GET and HEAD only, no path traversal, content types by
// extension, validators (ETag, Last-Modified) and caching headers.
#pragma once

#include <boost/beast/http/message_generator.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "http/response.hpp"

namespace aicc::http {

// The file under `root` that a request path names, or nullopt when the path is malformed
// (bad %-escape, NUL, backslash, "..", control characters) or escapes the root.
std::optional<std::string> resolve_static_path(std::string_view root, std::string_view target_path);

std::string_view mime_type(std::string_view path);

class StaticFiles {
 public:
  explicit StaticFiles(std::string root);
  // Serves the file; 404 when there is none; 400 for a malformed path.
  bhttp::message_generator serve(const Request& request) const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace aicc::http
