// Who may use a SockJS session (pure: no I/O, no clock).
//
// The SockJS protocol names a session by an id that the client chooses and that appears in every
// URL of the session, so it ends up in access logs and proxies. Knowing it must not be enough to
// send frames as the session's owner or to read its frames. A session is therefore bound to what
// opened it:
//
// - the client address of the opening request (the TCP peer, or the first X-Forwarded-For hop
//   with server.trust-proxy); every later request must come from the same address;
// - a secret of 128 random bits that the opening response sets as the cookie `aicc_sockjs`,
//   HttpOnly, with the session's own path (so tabs and sessions never share one). A client that
//   once shows the cookie has proved it keeps cookies, and from then on (after kCookieGrace) every
//   request must show it. A client that never does (a non-browser client, or a browser that
//   refuses cookies in a cross-site frame) stays bound to its address alone.
//
// The grace exists because a browser stores a cookie a little after it reads the response that
// set it: a request sent in between goes without it, and may reach the server after a later one
// that had it. Refusing it would lose the messages it carries.
//
// A request that fails the binding is refused without touching the session.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace aicc::sockjs {

inline constexpr std::string_view kBindingCookie = "aicc_sockjs";
// How long after the owner first showed the cookie a request without it is still let through.
inline constexpr std::chrono::seconds kCookieGrace{3};

enum class BindingVerdict {
  kAllowed,
  kWrongAddress,   // the request comes from another client address than the opening one
  kWrongCookie,    // the request shows an aicc_sockjs cookie with another secret
  kMissingCookie,  // the owner has shown the cookie before, this request does not
};

// The human text for a refusal, for the body of the 403 answer.
std::string_view describe(BindingVerdict verdict);

class Binding {
 public:
  // `secret` must be unpredictable (util::random_hex(16)).
  Binding(std::string address, std::string secret);

  // Checks one request: its client address and every aicc_sockjs value in its Cookie header.
  // An allowed request that shows the right cookie makes the cookie required kCookieGrace later.
  BindingVerdict check(std::string_view address, std::string_view cookie_header,
                       std::chrono::steady_clock::time_point now);

  const std::string& secret() const { return secret_; }
  // Whether a request without the cookie is refused at `now`.
  bool cookie_required(std::chrono::steady_clock::time_point now) const {
    return cookie_shown_at_ && now - *cookie_shown_at_ >= kCookieGrace;
  }

 private:
  std::string address_;  // client address of the opening request
  std::string secret_;   // value of the aicc_sockjs cookie
  // When the owner first showed the cookie.
  std::optional<std::chrono::steady_clock::time_point> cookie_shown_at_;
};

// The Set-Cookie value that carries `secret` for the session whose URLs start with
// `session_path` (e.g. "/ws-chat/000/abc"); nullopt when that path cannot be a cookie path (then
// the session is bound to its address only). `secure` adds the Secure attribute.
std::optional<std::string> binding_set_cookie(std::string_view session_path,
                                              std::string_view secret, bool secure);

// Calls `each` with the value of every cookie named `name` in a Cookie request header.
template <class Each>
void for_each_cookie(std::string_view header, std::string_view name, Each&& each) {
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t')) pair.remove_suffix(1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    std::string_view value = pair.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    each(value);
  }
}

}  // namespace aicc::sockjs
