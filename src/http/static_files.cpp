#include "http/static_files.hpp"

#include <sys/stat.h>

#include <array>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <cstdio>
#include <ctime>

#include "http/request_id.hpp"
#include "util/url_decode.hpp"

namespace aicc::http {
namespace {

std::string http_date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

}  // namespace

std::optional<std::string> resolve_static_path(std::string_view root,
                                               std::string_view target_path) {
  constexpr std::size_t kMaxPath = 1024;
  if (target_path.empty() || target_path.front() != '/' || target_path.size() > kMaxPath)
    return std::nullopt;
  std::string decoded;
  for (std::size_t i = 0; i < target_path.size(); ++i) {
    char c = target_path[i];
    if (c == '%') {
      if (i + 2 >= target_path.size()) return std::nullopt;
      const int hi = util::hex_digit_value(target_path[i + 1]);
      const int lo = util::hex_digit_value(target_path[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F || c == '\\') return std::nullopt;
    decoded.push_back(c);
  }
  // Every segment must be a plain name: no "." or ".." and no hidden files.
  std::size_t start = 1;
  while (start <= decoded.size()) {
    std::size_t end = decoded.find('/', start);
    if (end == std::string::npos) end = decoded.size();
    const std::string_view segment = std::string_view(decoded).substr(start, end - start);
    if (!segment.empty() && segment.front() == '.') return std::nullopt;
    if (segment.empty() && end != decoded.size()) return std::nullopt;  // "//"
    start = end + 1;
  }
  std::string path(root);
  path.append(decoded);
  if (path.back() == '/') path.append("index.html");
  return path;
}

std::string_view mime_type(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".wav", "audio/wav"},
  }};
  const std::size_t dot = path.rfind('.');
  if (dot != std::string_view::npos && path.find('/', dot) == std::string_view::npos) {
    const std::string_view extension = path.substr(dot);
    for (const auto& [ext, type] : kTypes) {
      if (ext == extension) return type;
    }
  }
  return "application/octet-stream";
}

StaticFiles::StaticFiles(std::string root, std::vector<EmbeddablePage> embeddable)
    : root_(std::move(root)), embeddable_(std::move(embeddable)) {
  while (!root_.empty() && root_.back() == '/') root_.pop_back();
}

std::string frame_ancestors_for(const std::vector<std::string>& allowed_origins) {
  std::string list = "'self'";
  if (allowed_origins.empty()) return list + " http://localhost:* http://127.0.0.1:*";
  for (const std::string& origin : allowed_origins) {
    if (origin == "*") return "*";
    list += ' ';
    list += origin;
  }
  return list;
}

bhttp::message_generator StaticFiles::serve(const Request& request) const {
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const auto file = resolve_static_path(root_, path);
  if (!file)
    return error_response(request, bhttp::status::bad_request, "bad_path", "malformed path");

  std::string file_path = *file;
  struct stat info {};
  bool found = ::stat(file_path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
  // "/agent" is the page agent.html: short addresses for the pages people type.
  const std::size_t last_slash = path.rfind('/');
  if (!found && path.find('.', last_slash) == std::string_view::npos && path.back() != '/') {
    file_path += ".html";
    found = ::stat(file_path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
  }
  if (!found) return error_response(request, bhttp::status::not_found, "not_found", "no such file");
  std::string_view frame_ancestors = "'self'";
  for (const EmbeddablePage& page : embeddable_) {
    if (file_path == root_ + page.file) frame_ancestors = page.frame_ancestors;
  }
  char etag[64];
  std::snprintf(etag, sizeof etag, "\"%llx-%llx\"", static_cast<unsigned long long>(info.st_size),
                static_cast<unsigned long long>(info.st_mtime));
  const std::string_view type = mime_type(file_path);
  // Pages must be revalidated so a deployment shows at once; assets may be cached for an hour.
  const bool is_page = type.starts_with("text/html");
  auto set_headers = [&](auto& response) {
    response.set(bhttp::field::server, "aicc-chat");
    response.set("X-Content-Type-Options", "nosniff");
    if (const std::string_view id = request_id_of(request); !id.empty()) {
      response.set(kRequestIdField, id);
    }
    response.set(bhttp::field::content_type, type);
    response.set(bhttp::field::etag, etag);
    response.set(bhttp::field::last_modified, http_date(info.st_mtime));
    response.set(bhttp::field::cache_control, is_page ? "no-cache" : "public, max-age=3600");
    if (is_page) {
      response.set("Content-Security-Policy",
                   std::string("default-src 'self'; script-src 'self'; style-src 'self'; img-src "
                               "'self' data: blob:; "
                               "connect-src 'self' ws: wss:; frame-ancestors ") +
                       std::string(frame_ancestors));
      response.set("Referrer-Policy", "same-origin");
    }
    response.keep_alive(request.keep_alive());
  };

  if (request[bhttp::field::if_none_match] == etag) {
    bhttp::response<bhttp::empty_body> response{bhttp::status::not_modified, request.version()};
    set_headers(response);
    return response;
  }
  if (request.method() == bhttp::verb::head) {
    bhttp::response<bhttp::empty_body> response{bhttp::status::ok, request.version()};
    set_headers(response);
    response.content_length(static_cast<std::uint64_t>(info.st_size));
    return response;
  }
  boost::beast::error_code error;
  bhttp::file_body::value_type body;
  body.open(file_path.c_str(), boost::beast::file_mode::scan, error);
  if (error) return error_response(request, bhttp::status::not_found, "not_found", "no such file");
  const auto size = body.size();
  bhttp::response<bhttp::file_body> response{std::piecewise_construct,
                                             std::make_tuple(std::move(body)),
                                             std::make_tuple(bhttp::status::ok, request.version())};
  set_headers(response);
  response.content_length(size);
  return response;
}

}  // namespace aicc::http
