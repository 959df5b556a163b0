// Static files from the web root: GET and HEAD only, no path traversal, content types by
// extension, validators (ETag, Last-Modified) and caching headers. A path without an extension
// that names no file is tried as a page ("/agent" serves agent.html). Pages carry a
// Content-Security-Policy without inline scripts or styles.
#pragma once

#include <boost/beast/http/message_generator.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/response.hpp"

namespace aicc::http {

// The file under `root` that a request path names, or nullopt when the path is malformed
// (bad %-escape, NUL, backslash, "..", control characters) or escapes the root.
std::optional<std::string> resolve_static_path(std::string_view root, std::string_view target_path);

std::string_view mime_type(std::string_view path);

// A page other sites may show in an <iframe> (the customer widget): its CSP `frame-ancestors`
// names the origins allowed to embed it, where every other page says 'self' only.
struct EmbeddablePage {
  std::string file;             // path under the root, e.g. "/widget.html"
  std::string frame_ancestors;  // CSP source list, e.g. "'self' https://shop.example.com"
};

class StaticFiles {
 public:
  explicit StaticFiles(std::string root, std::vector<EmbeddablePage> embeddable = {});
  // Serves the file; 404 when there is none; 400 for a malformed path.
  bhttp::message_generator serve(const Request& request) const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
  std::vector<EmbeddablePage> embeddable_;
};

// The CSP frame-ancestors list for the allowed browser origins of `ws.allowed-origins`: "*" allows
// any; empty means the server's own origin and localhost, as for WebSocket handshakes.
std::string frame_ancestors_for(const std::vector<std::string>& allowed_origins);

}  // namespace aicc::http
