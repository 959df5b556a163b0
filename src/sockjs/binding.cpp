#include "sockjs/binding.hpp"

#include <utility>

namespace aicc::sockjs {
namespace {

// Compares without an early exit, so the time taken says nothing about where a guess differs.
bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
  return diff == 0;
}

bool is_cookie_path_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
         c == '-' || c == '_' || c == '%' || c == '~' || c == '.';
}

}  // namespace

std::string_view describe(BindingVerdict verdict) {
  switch (verdict) {
    case BindingVerdict::kAllowed:
      return "allowed";
    case BindingVerdict::kWrongAddress:
      return "this SockJS session belongs to another client address";
    case BindingVerdict::kWrongCookie:
      return "this SockJS session belongs to another client (its aicc_sockjs cookie differs)";
    case BindingVerdict::kMissingCookie:
      return "this SockJS session belongs to another client (this request lacks its aicc_sockjs "
             "cookie)";
  }
  return "refused";
}

Binding::Binding(std::string address, std::string secret)
    : address_(std::move(address)), secret_(std::move(secret)) {}

BindingVerdict Binding::check(std::string_view address, std::string_view cookie_header,
                              std::chrono::steady_clock::time_point now) {
  if (address != address_) return BindingVerdict::kWrongAddress;
  bool shown = false;
  bool matches = false;
  for_each_cookie(cookie_header, kBindingCookie, [&](std::string_view value) {
    shown = true;
    if (equal_constant_time(value, secret_)) matches = true;
  });
  // A stale cookie of an older session on the same path may come along: one matching value is
  // enough, and only cookies that all differ are a refusal.
  if (matches) {
    if (!cookie_shown_at_) cookie_shown_at_ = now;
    return BindingVerdict::kAllowed;
  }
  if (shown) return BindingVerdict::kWrongCookie;
  return cookie_required(now) ? BindingVerdict::kMissingCookie : BindingVerdict::kAllowed;
}

std::optional<std::string> binding_set_cookie(std::string_view session_path,
                                              std::string_view secret, bool secure) {
  if (session_path.empty() || session_path.front() != '/' || session_path.size() > 512)
    return std::nullopt;
  for (const char c : session_path) {
    if (!is_cookie_path_char(c)) return std::nullopt;
  }
  std::string cookie(kBindingCookie);
  cookie += '=';
  cookie += secret;
  cookie += "; Path=";
  cookie += session_path;
  cookie += "; HttpOnly; SameSite=Strict";
  if (secure) cookie += "; Secure";
  return cookie;
}

}  // namespace aicc::sockjs
