// Maps method + exact path to a handler; everything else under GET/HEAD is a static file.
#pragma once

#include <boost/beast/http/message_generator.hpp>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "http/response.hpp"
#include "http/static_files.hpp"

namespace aicc::http {

class Router {
 public:
  using Handler = std::function<bhttp::message_generator(const Request&)>;

  explicit Router(StaticFiles static_files) : static_files_(std::move(static_files)) {}

  void add(bhttp::verb method, std::string path, Handler handler);
  bhttp::message_generator handle(const Request& request) const;

 private:
  std::map<std::pair<std::string, bhttp::verb>, Handler, std::less<>> routes_;
  StaticFiles static_files_;
};

// The path part of a request target ("/a/b?x=1" -> "/a/b").
std::string_view target_path(std::string_view target);

}  // namespace aicc::http
