#include "config/config.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "util/quote.hpp"
#include "util/utf8.hpp"

extern char** environ;

namespace aicc::config {
namespace {

// A configuration file is a few kilobytes. Anything much larger is a mistake or an attack, and is
// refused before the YAML parser sees it.
constexpr std::size_t kMaxFileBytes = 1024 * 1024;
// Bounds on the walk over the parsed YAML, so that aliases pointing at aliases ("billion laughs")
// or absurd nesting cannot make it slow; a real file is far below both.
constexpr std::size_t kMaxYamlNodes = 100000;
constexpr int kMaxYamlDepth = 16;
// Values quoted back in error messages are cut to this many characters.
constexpr std::size_t kMaxQuoted = 60;

constexpr std::string_view kEnvPrefix = "AICC_";

// What is wrong with a value, without the key's name; nullopt when nothing is.
using Problem = std::optional<std::string>;

// One value from one source, before conversion to the member's type.
struct RawValue {
  bool is_null = false;            // YAML `key:` with nothing after it, `~` or `null`
  bool is_list = false;            // a YAML sequence (environment and --set give text only)
  std::string text;                // the scalar, when neither null nor a list
  std::vector<std::string> items;  // the sequence's scalars, when is_list
};

struct Key {
  std::string name;         // dotted kebab-case, e.g. "server.shutdown-timeout-ms"
  std::string env;          // e.g. "AICC_SERVER_SHUTDOWN_TIMEOUT_MS"
  std::string description;  // one line, with the accepted range or choices
  bool sensitive = false;   // never echoed: secrets and URLs that may carry a password
  std::function<Problem(Config&, const RawValue&)> set;
  std::function<std::string(const Config&)> show;
};

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  return out;
}

// `text` in double quotes, shortened and with control characters escaped, safe for a log line.
std::string quote(std::string_view text) { return util::quoted(text, kMaxQuoted); }

// Shortest form that reads back the same, without exponents for whole numbers (1000000, not 1e+06).
std::string format_double(double value) {
  char buffer[64];
  const bool whole = std::abs(value) < 1e15 && value == std::floor(value);
  const auto result =
      whole ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, 0)
            : std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// "shutdown_timeout_ms" and "shutdownTimeoutMs" become "shutdown-timeout-ms"; used to check the
// schema's names against the member paths and to find near misses of unknown keys.
std::string kebab(std::string_view text) {
  std::string out;
  if (std::none_of(text.begin(), text.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
    for (char c : lower(text)) out += c == '_' ? '-' : c;  // SERVER_PORT
    return out;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_') {
      out += '-';
    } else if (c >= 'A' && c <= 'Z') {
      if (i > 0 && text[i - 1] != '.' && text[i - 1] != '_' && text[i - 1] != '-') out += '-';
      out += char(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

std::string env_name(std::string_view key) {
  std::string out(kEnvPrefix);
  for (char c : key) {
    if (c == '.' || c == '-') {
      out += '_';
    } else if (c >= 'a' && c <= 'z') {
      out += char(c - 'a' + 'A');
    } else {
      out += c;
    }
  }
  return out;
}

Problem single_text(const RawValue& value, std::string& out) {
  if (value.is_list) return "expected a single value, not a list";
  if (value.is_null) return "needs a value";
  out = value.text;
  return std::nullopt;
}

Problem parse_integer(std::string_view raw, std::int64_t min, std::int64_t max, std::int64_t& out) {
  const std::string_view text = trim(raw);
  const char* end = text.data() + text.size();
  std::int64_t n = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (text.empty() || ptr != end || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return quote(raw) + " is not a whole number";
  }
  if (ec == std::errc::result_out_of_range || n < min || n > max) {
    return std::string(text.substr(0, kMaxQuoted)) + " is out of range " + std::to_string(min) +
           ".." + std::to_string(max);
  }
  out = n;
  return std::nullopt;
}

Problem parse_double(std::string_view raw, double min, double max, double& out) {
  const std::string_view text = trim(raw);
  const char* end = text.data() + text.size();
  double d = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), end, d);
  if (text.empty() || ptr != end || (ec != std::errc() && ec != std::errc::result_out_of_range) ||
      std::isnan(d)) {
    return quote(raw) + " is not a number";
  }
  if (ec == std::errc::result_out_of_range || !(d >= min && d <= max)) {
    return std::string(text.substr(0, kMaxQuoted)) + " is out of range " + format_double(min) +
           ".." + format_double(max);
  }
  out = d;
  return std::nullopt;
}

Problem parse_bool(std::string_view raw, bool& out) {
  const std::string text = lower(trim(raw));
  if (text == "true" || text == "yes" || text == "on" || text == "1") {
    out = true;
  } else if (text == "false" || text == "no" || text == "off" || text == "0") {
    out = false;
  } else {
    return quote(raw) + " is not a boolean (true/false, yes/no, on/off, 1/0)";
  }
  return std::nullopt;
}

// A comma-separated list from the environment or --set: items trimmed, empty items dropped.
std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

using TextCheck = std::function<Problem(const std::string&)>;

Problem any_text(const std::string&) { return std::nullopt; }

Problem not_blank(const std::string& text) {
  if (trim(text).empty()) return "must not be empty";
  return std::nullopt;
}

Problem host_name(const std::string& text) {
  if (text.empty()) return "must not be empty";
  if (text.find_first_of(" \t\r\n/") != std::string::npos) {
    return quote(text) + " is not an address or host name";
  }
  return std::nullopt;
}

// A browser Origin header is scheme://host[:port] with no path; "*" allows any.
Problem origin(const std::string& text) {
  if (text == "*") return std::nullopt;
  const std::size_t sep = text.find("://");
  const bool ok = sep != std::string::npos && sep > 0 && sep + 3 < text.size() &&
                  text.find_first_of(" \t\r\n/", sep + 3) == std::string::npos;
  if (!ok) return quote(text) + " is not an origin (scheme://host[:port] with no path, or *)";
  return std::nullopt;
}

// URLs of databases may carry a password, so the value is not quoted back.
TextCheck url_with_scheme(std::vector<std::string_view> schemes, bool allow_empty) {
  return [schemes = std::move(schemes), allow_empty](const std::string& text) -> Problem {
    if (text.empty() && allow_empty) return std::nullopt;
    for (std::string_view scheme : schemes) {
      if (text.size() > scheme.size() && text.compare(0, scheme.size(), scheme) == 0) {
        return std::nullopt;
      }
    }
    std::string list;
    for (std::string_view scheme : schemes)
      list += (list.empty() ? "" : " or ") + std::string(scheme);
    return "must start with " + list;
  };
}

// Text no longer than `bytes` bytes; a longer one is a mistake, refused before anything reads it.
TextCheck at_most(std::size_t bytes) {
  return [bytes](const std::string& text) -> Problem {
    if (text.size() > bytes) {
      return "is " + std::to_string(text.size()) + " bytes long, at most " + std::to_string(bytes) +
             " are allowed";
    }
    return std::nullopt;
  };
}

Problem bot_url(const std::string& text) {
  if (text == "builtin") return std::nullopt;
  if (url_with_scheme({"http://", "https://"}, false)(text)) {
    return quote(text) + " is neither \"builtin\" nor an http:// or https:// URL";
  }
  return std::nullopt;
}

// Each builder takes the key's name, the member's path as written in the source (checked to match
// the name), an accessor returning a reference to the member, and the constraints. KEY(server.port)
// expands to the path and the accessor, so a member cannot be mapped under another member's name.
#define KEY(path) \
#path, [](auto& c) -> auto& { return c.path; }

template <class Access>
using MemberOf = std::remove_cvref_t<decltype(std::declval<Access>()(std::declval<Config&>()))>;

Key make_key(std::string_view name, std::string_view path, std::string description) {
  assert(kebab(path) == name && "the key's name must be its member path in kebab-case");
  (void)path;
  return Key{std::string(name), env_name(name), std::move(description), false, {}, {}};
}

template <class Access>
Key int_key(std::string_view name, std::string_view path, Access access, std::int64_t min,
            std::int64_t max, std::string_view description) {
  using T = MemberOf<Access>;
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  assert(std::in_range<T>(min) && std::in_range<T>(max));
  Key key = make_key(
      name, path,
      std::string(description) + " (" + std::to_string(min) + ".." + std::to_string(max) + ")");
  key.set = [access, min, max](Config& config, const RawValue& value) -> Problem {
    std::string text;
    if (Problem p = single_text(value, text)) return p;
    std::int64_t n = 0;
    if (Problem p = parse_integer(text, min, max, n)) return p;
    access(config) = static_cast<T>(n);
    return std::nullopt;
  };
  key.show = [access](const Config& config) { return std::to_string(access(config)); };
  return key;
}

template <class Access>
Key real_key(std::string_view name, std::string_view path, Access access, double min, double max,
             std::string_view description) {
  static_assert(std::is_same_v<MemberOf<Access>, double>);
  Key key = make_key(
      name, path,
      std::string(description) + " (" + format_double(min) + ".." + format_double(max) + ")");
  key.set = [access, min, max](Config& config, const RawValue& value) -> Problem {
    std::string text;
    if (Problem p = single_text(value, text)) return p;
    return parse_double(text, min, max, access(config));
  };
  key.show = [access](const Config& config) { return format_double(access(config)); };
  return key;
}

template <class Access>
Key bool_key(std::string_view name, std::string_view path, Access access,
             std::string_view description) {
  static_assert(std::is_same_v<MemberOf<Access>, bool>);
  Key key = make_key(name, path, std::string(description));
  key.set = [access](Config& config, const RawValue& value) -> Problem {
    std::string text;
    if (Problem p = single_text(value, text)) return p;
    return parse_bool(text, access(config));
  };
  key.show = [access](const Config& config) {
    return std::string(access(config) ? "true" : "false");
  };
  return key;
}

// A string; YAML null sets it empty.
template <class Access>
Key text_key(std::string_view name, std::string_view path, Access access, TextCheck check,
             std::string_view description, bool sensitive = false) {
  static_assert(std::is_same_v<MemberOf<Access>, std::string>);
  Key key = make_key(name, path, std::string(description));
  key.sensitive = sensitive;
  key.set = [access, check = std::move(check)](Config& config, const RawValue& value) -> Problem {
    if (value.is_list) return "expected a single value, not a list";
    if (Problem p = check(value.text)) return p;
    access(config) = value.text;
    return std::nullopt;
  };
  key.show = [access](const Config& config) {
    const std::string& v = access(config);
    return v.empty() ? std::string("\"\"") : v;
  };
  return key;
}

// One of a few words, matched without regard to case and stored in lower case.
template <class Access>
Key choice_key(std::string_view name, std::string_view path, Access access,
               std::vector<std::string_view> choices, std::string_view description) {
  static_assert(std::is_same_v<MemberOf<Access>, std::string>);
  std::string listed;
  for (std::string_view c : choices) listed += (listed.empty() ? "" : ", ") + std::string(c);
  Key key = make_key(name, path, std::string(description) + " (" + listed + ")");
  key.set = [access, choices = std::move(choices), listed](Config& config,
                                                           const RawValue& value) -> Problem {
    std::string raw;
    if (Problem p = single_text(value, raw)) return p;
    const std::string word = lower(trim(raw));
    for (std::string_view c : choices) {
      if (word == c) {
        access(config) = word;
        return std::nullopt;
      }
    }
    return quote(raw) + " is not one of " + listed;
  };
  key.show = [access](const Config& config) { return access(config); };
  return key;
}

// A list of strings: a YAML sequence, or comma-separated text. YAML null sets it empty.
template <class Access>
Key list_key(std::string_view name, std::string_view path, Access access, TextCheck check,
             std::string_view description) {
  static_assert(std::is_same_v<MemberOf<Access>, std::vector<std::string>>);
  Key key = make_key(name, path, std::string(description));
  key.set = [access, check = std::move(check)](Config& config, const RawValue& value) -> Problem {
    std::vector<std::string> items = value.is_list ? value.items : split_list(value.text);
    for (const std::string& item : items) {
      if (Problem p = check(item)) return p;
    }
    access(config) = std::move(items);
    return std::nullopt;
  };
  key.show = [access](const Config& config) {
    std::string out = "[";
    for (const std::string& item : access(config)) out += (out.size() > 1 ? ", " : "") + item;
    return out + "]";
  };
  return key;
}

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
constexpr std::int64_t kGiB = 1024 * kMiB;
constexpr std::int64_t kHourMs = 3600 * 1000;

// The schema: every key, once. Defaults are whatever the structs in config.hpp say.
std::vector<Key> make_keys() {
  std::vector<Key> k;
  k.push_back(
      bool_key("demo", KEY(demo), "demo mode: demo users and a random JWT secret, with warnings"));

  k.push_back(text_key("server.host", KEY(server.host), host_name, "listen address"));
  k.push_back(int_key("server.port", KEY(server.port), 0, 65535, "HTTP port; 0 picks a free one"));
  k.push_back(
      int_key("server.threads", KEY(server.threads), 0, 1024, "I/O threads; 0 means one per core"));
  k.push_back(text_key("server.web-root", KEY(server.web_root), any_text,
                       "folder of the static web pages; empty: web/ beside the build tree"));
  k.push_back(text_key("server.port-file", KEY(server.port_file), any_text,
                       "file to write the HTTP port to once every listener listens; empty: none"));
  k.push_back(int_key("server.shutdown-timeout-ms", KEY(server.shutdown_timeout_ms), 0,
                      10 * 60 * 1000, "bound on a graceful shutdown, milliseconds"));
  k.push_back(int_key("server.max-connections", KEY(server.max_connections), 0, 10000000,
                      "open connections at most; 0: only the descriptor limit"));
  k.push_back(
      bool_key("server.trust-proxy", KEY(server.trust_proxy),
               "behind a reverse proxy: client address and TLS from X-Forwarded-For/-Proto"));
  k.push_back(text_key("server.tls.cert-file", KEY(server.tls.cert_file), any_text,
                       "PEM certificate (and chain): serve HTTPS/WSS on server.port; empty: none"));
  k.push_back(text_key("server.tls.key-file", KEY(server.tls.key_file), any_text,
                       "PEM private key of server.tls.cert-file"));
  k.push_back(choice_key("server.tls.min-version", KEY(server.tls.min_version), {"1.2", "1.3"},
                         "oldest TLS version accepted"));

  k.push_back(
      bool_key("auth.cookie-secure", KEY(auth.cookie_secure),
               "mark the refresh cookie Secure even when the request did not come over TLS"));
  k.push_back(int_key("auth.login-attempts-per-user", KEY(auth.login_attempts_per_user), 1, 1000,
                      "failed logins of one username allowed in auth.login-window"));
  k.push_back(int_key("auth.login-attempts-per-address", KEY(auth.login_attempts_per_address), 1,
                      100000,
                      "failed logins from one client address allowed in auth.login-window"));
  k.push_back(int_key("auth.login-window", KEY(auth.login_window), 1, 86400,
                      "window of the failed-login limits, seconds"));
  k.push_back(int_key("auth.ws-ticket-validity", KEY(auth.ws_ticket_validity), 1, 300,
                      "seconds a WebSocket ticket may wait to be used"));
  k.push_back(
      int_key("auth.refresh-reuse-grace", KEY(auth.refresh_reuse_grace), 0, 300,
              "seconds a rotated refresh token is still accepted (tabs refreshing at once)"));
  k.push_back(int_key("auth.revocation-sync-interval", KEY(auth.revocation_sync_interval), 1, 3600,
                      "seconds between reads of the logins revoked by another process or node "
                      "(aicc-chat user disable), whose live sessions then end"));
  k.push_back(int_key("auth.hash-threads", KEY(auth.hash_threads), 1, 64,
                      "threads that check passwords (argon2id), apart from all other work"));
  k.push_back(int_key("auth.hash-queue", KEY(auth.hash_queue), 0, 100000,
                      "logins that may wait for a password thread; more are refused with 503"));

  k.push_back(text_key("jwt.secret", KEY(jwt.secret), any_text,
                       "HS256 key, at least 32 bytes; required outside demo mode", true));
  k.push_back(text_key("jwt.issuer", KEY(jwt.issuer), any_text,
                       "iss claim of issued tokens; empty: tokens of any issuer are accepted"));
  k.push_back(int_key("jwt.access-token-validity", KEY(jwt.access_token_validity), 1, 7 * 24 * 3600,
                      "access token lifetime, seconds"));
  k.push_back(int_key("jwt.refresh-token-validity", KEY(jwt.refresh_token_validity), 60,
                      365 * 24 * 3600, "refresh token lifetime, seconds"));
  k.push_back(int_key("jwt.clock-skew", KEY(jwt.clock_skew), 0, 600,
                      "tolerance on exp, nbf and iat, seconds"));
  k.push_back(text_key("jwt.audience", KEY(jwt.audience), any_text,
                       "aud claim of issued tokens, then required on every token; empty: tokens "
                       "that name an audience are refused"));

  k.push_back(int_key("stomp.max-frame-bytes", KEY(stomp.max_frame_bytes), kKiB, 64 * kMiB,
                      "largest STOMP frame, headers and body, bytes"));
  k.push_back(
      int_key("stomp.max-headers", KEY(stomp.max_headers), 1, 10000, "most headers in one frame"));
  k.push_back(int_key("stomp.max-header-bytes", KEY(stomp.max_header_bytes), 256, kMiB,
                      "largest header block of one frame, bytes"));
  k.push_back(int_key("stomp.heartbeat-send-ms", KEY(stomp.heartbeat_send_ms), 0, kHourMs,
                      "heart-beat interval the server offers to send; 0: never"));
  k.push_back(int_key("stomp.heartbeat-receive-ms", KEY(stomp.heartbeat_receive_ms), 0, kHourMs,
                      "heart-beat interval the server wants to receive; 0: never"));
  k.push_back(real_key("stomp.heartbeat-grace", KEY(stomp.heartbeat_grace), 1.0, 10.0,
                       "a peer is silent after grace times the negotiated interval"));
  k.push_back(int_key("stomp.outbound-queue-bytes", KEY(stomp.outbound_queue_bytes), kKiB, kGiB,
                      "unsent bytes per connection before it is a slow consumer"));
  k.push_back(int_key("stomp.max-subscriptions", KEY(stomp.max_subscriptions), 1, 100000,
                      "subscriptions per connection"));
  k.push_back(int_key("stomp.max-transaction-frames", KEY(stomp.max_transaction_frames), 1, 1000000,
                      "SEND/ACK/NACK frames buffered in one transaction"));
  k.push_back(int_key("stomp.max-unacked", KEY(stomp.max_unacked), 1, 1000000,
                      "unacknowledged messages per subscription in client ack modes"));
  k.push_back(int_key("stomp.connect-timeout-ms", KEY(stomp.connect_timeout_ms), 100,
                      10 * 60 * 1000, "a new connection must send CONNECT within this, ms"));
  k.push_back(int_key("stomp.tcp-port", KEY(stomp.tcp_port), 0, 65535,
                      "port of STOMP over plain TCP, for back-end clients and benchmarks; 0: off"));
  k.push_back(text_key("stomp.tcp-host", KEY(stomp.tcp_host), host_name,
                       "listen address of STOMP over TCP; loopback by default, as it has no TLS "
                       "and no Origin check"));

  k.push_back(int_key("limits.connection.sends-per-second", KEY(limits.connection.sends_per_second),
                      1, 1000000, "every SEND of one connection: frames per second"));
  k.push_back(int_key("limits.connection.send-burst", KEY(limits.connection.send_burst), 1,
                      10000000, "every SEND of one connection: frames in a burst"));
  k.push_back(int_key("limits.connection.bytes-per-second", KEY(limits.connection.bytes_per_second),
                      1, kGiB, "every SEND of one connection: body bytes per second"));
  k.push_back(int_key("limits.connection.bytes-burst", KEY(limits.connection.bytes_burst), 1, kGiB,
                      "every SEND of one connection: body bytes in a burst"));
  k.push_back(int_key("limits.chat.sends-per-second", KEY(limits.chat.sends_per_second), 1, 1000000,
                      "SENDs of one user to conversations: frames per second"));
  k.push_back(int_key("limits.chat.send-burst", KEY(limits.chat.send_burst), 1, 10000000,
                      "SENDs of one user to conversations: frames in a burst"));
  k.push_back(int_key("limits.chat.bytes-per-second", KEY(limits.chat.bytes_per_second), 1, kGiB,
                      "SENDs of one user to conversations: body bytes per second"));
  k.push_back(int_key("limits.chat.bytes-burst", KEY(limits.chat.bytes_burst), 1, kGiB,
                      "SENDs of one user to conversations: body bytes in a burst"));
  k.push_back(int_key("limits.lobby.sends-per-second", KEY(limits.lobby.sends_per_second), 1,
                      1000000, "SENDs of one user to the lobby: frames per second"));
  k.push_back(int_key("limits.lobby.send-burst", KEY(limits.lobby.send_burst), 1, 10000000,
                      "SENDs of one user to the lobby: frames in a burst"));
  k.push_back(int_key("limits.lobby.bytes-per-second", KEY(limits.lobby.bytes_per_second), 1, kGiB,
                      "SENDs of one user to the lobby: body bytes per second"));
  k.push_back(int_key("limits.lobby.bytes-burst", KEY(limits.lobby.bytes_burst), 1, kGiB,
                      "SENDs of one user to the lobby: body bytes in a burst"));
  k.push_back(int_key("limits.abuse-refusals", KEY(limits.abuse_refusals), 1, 1000000,
                      "rate refusals in a row before the connection is closed"));
  k.push_back(int_key("limits.sessions-per-user", KEY(limits.sessions_per_user), 1, 100000,
                      "STOMP sessions one user may hold at once"));

  k.push_back(list_key("ws.allowed-origins", KEY(ws.allowed_origins), origin,
                       "browser origins allowed to connect and to frame the widget, and (listed "
                       "exactly) to call /api/auth/* and /api/bot/message; empty: same origin and "
                       "localhost; * allows any but CORS"));
  k.push_back(
      bool_key("ws.permessage-deflate", KEY(ws.permessage_deflate), "offer WebSocket compression"));
  k.push_back(
      real_key("ws.handshake-rate-per-ip", KEY(ws.handshake_rate_per_ip), 0.001, 1000000,
               "WebSocket handshakes (and STOMP/TCP connections) per second per client address"));
  k.push_back(real_key("ws.handshake-burst-per-ip", KEY(ws.handshake_burst_per_ip), 1, 1000000,
                       "handshakes a client address may make at once"));

  k.push_back(int_key("sockjs.heartbeat-ms", KEY(sockjs.heartbeat_ms), 100, kHourMs,
                      "SockJS heartbeat frame interval, ms"));
  k.push_back(int_key("sockjs.disconnect-delay-ms", KEY(sockjs.disconnect_delay_ms), 0, kHourMs,
                      "a session without a receiving connection ends after this, ms"));
  k.push_back(int_key("sockjs.streaming-bytes", KEY(sockjs.streaming_bytes), kKiB, kGiB,
                      "bytes sent on one streaming response before it is renewed"));
  k.push_back(bool_key("sockjs.cookie-needed", KEY(sockjs.cookie_needed),
                       "cookie_needed in /info, for sticky load balancers"));
  k.push_back(bool_key("sockjs.test-services", KEY(sockjs.test_services),
                       "serve the SockJS protocol suite's test endpoints (/echo, /close, ...)"));

  k.push_back(choice_key("log.level", KEY(log.level), {"trace", "debug", "info", "warn", "error"},
                         "lowest level logged"));
  k.push_back(choice_key("log.format", KEY(log.format), {"text", "json"}, "log line format"));

  k.push_back(choice_key("store.kind", KEY(store.kind), {"sqlite", "postgres"},
                         "where durable data lives"));
  k.push_back(text_key("store.sqlite.path", KEY(store.sqlite.path), not_blank,
                       "SQLite database file (store.kind sqlite)"));
  k.push_back(text_key("store.postgres.url", KEY(store.postgres.url),
                       url_with_scheme({"postgresql://", "postgres://"}, true),
                       "PostgreSQL connection URL (store.kind postgres)", true));
  k.push_back(int_key("store.postgres.pool-size", KEY(store.postgres.pool_size), 1, 256,
                      "PostgreSQL connections this node opens at most"));
  k.push_back(int_key("store.postgres.wait-ms", KEY(store.postgres.wait_ms), 10, 600000,
                      "longest wait for a free PostgreSQL connection before a call is refused"));
  k.push_back(choice_key("bus.kind", KEY(bus.kind), {"local", "redis"},
                         "how nodes share fan-out, presence and queues"));
  k.push_back(text_key("bus.redis.url", KEY(bus.redis.url),
                       url_with_scheme({"redis://", "rediss://"}, true),
                       "Redis URL (bus.kind redis)", true));

  k.push_back(choice_key("routing.mode", KEY(routing.mode), {"hybrid", "manual", "auto"},
                         "how consult requests reach agents"));
  k.push_back(int_key("routing.auto-assign-after", KEY(routing.auto_assign_after), 0, 3600,
                      "seconds an offer waits for a manual accept before auto-assignment"));
  k.push_back(int_key("routing.max-rooms-per-agent", KEY(routing.max_rooms_per_agent), 1, 100,
                      "active rooms at which an agent gets no more auto-assignments"));
  k.push_back(int_key("routing.agent-grace", KEY(routing.agent_grace), 0, 86400,
                      "seconds a disconnected agent keeps their rooms"));
  k.push_back(int_key("routing.room-idle-close", KEY(routing.room_idle_close), 0, 604800,
                      "seconds without a message after which a room is closed; 0: never"));
  k.push_back(int_key("routing.customer-grace", KEY(routing.customer_grace), 1, 86400,
                      "seconds a customer with no connection left keeps a waiting request"));
  k.push_back(
      int_key("routing.max-wait", KEY(routing.max_wait), 0, 86400,
              "seconds in the queue before the customer may leave a message instead; 0: off"));

  // The same limits as chat::BusinessHours::parse (config does not depend on chat).
  k.push_back(text_key("hours.weekly", KEY(hours.weekly), at_most(2000),
                       "opening hours, e.g. \"mon-fri 09:00-18:00, sat 10:00-13:00\"; empty: "
                       "always open"));
  k.push_back(text_key("hours.holidays", KEY(hours.holidays), at_most(8000),
                       "days closed, e.g. \"2026-12-25, 01-01\" (MM-DD: every year)"));
  k.push_back(text_key("hours.timezone", KEY(hours.timezone), at_most(64),
                       "time zone of the hours: a zone name (Asia/Seoul) or a POSIX TZ string "
                       "(KST-9)"));

  k.push_back(int_key("retention.chats-days", KEY(retention.chats_days), 0, 36500,
                      "delete closed chats (rooms, messages, notes, files, ratings), bot messages, "
                      "left messages and customers' context older than this; 0: keep"));
  k.push_back(int_key("retention.attachments-days", KEY(retention.attachments_days), 0, 36500,
                      "delete files in chats older than this; 0: as retention.chats-days"));
  k.push_back(int_key("retention.audit-days", KEY(retention.audit_days), 0, 36500,
                      "delete audit entries older than this; 0: keep"));
  k.push_back(bool_key("privacy.mask-identifiers", KEY(privacy.mask_identifiers),
                       "mask resident registration numbers and card numbers in chat texts as they "
                       "arrive (stored and shown masked); the bot never gets them either way"));
  k.push_back(int_key("retention.batch-size", KEY(retention.batch_size), 1, 100000,
                      "rows of each kind deleted per transaction by the daily retention job"));
  k.push_back(int_key("attachments.max-bytes", KEY(attachments.max_bytes), 1024, 100 * 1024 * 1024,
                      "largest file a chat takes, bytes"));
  k.push_back(int_key("attachments.uploads-per-minute", KEY(attachments.uploads_per_minute), 1,
                      10000, "files one user may upload per minute"));
  k.push_back(text_key("attachments.path", KEY(attachments.path), any_text,
                       "folder of the files (store.kind sqlite); empty: attachments beside the "
                       "database"));

  k.push_back(text_key("bot.url", KEY(bot.url), bot_url,
                       "bot server base URL, or builtin for the demo bot"));
  k.push_back(int_key("bot.timeout-ms", KEY(bot.timeout_ms), 100, 120000,
                      "time allowed for one bot answer, ms"));
  k.push_back(text_key("bot.webhook-secret", KEY(bot.webhook_secret), any_text,
                       "HMAC key of the bot's webhook calls", true));
  k.push_back(bool_key("bot.webhook-require-signature", KEY(bot.webhook_require_signature),
                       "refuse unsigned webhook calls; false for local trials only"));
  k.push_back(int_key("bot.stream-first-part-ms", KEY(bot.stream_first_part_ms), 100, 120000,
                      "a streamed bot answer's first part must come within this"));
  k.push_back(int_key("bot.stream-idle-ms", KEY(bot.stream_idle_ms), 100, 600000,
                      "at most this long between two parts of a streamed bot answer"));
  k.push_back(int_key("bot.stream-total-ms", KEY(bot.stream_total_ms), 100, 1800000,
                      "a streamed bot answer must be whole within this"));
  k.push_back(int_key("bot.stream-update-ms", KEY(bot.stream_update_ms), 50, 500,
                      "the customer's growing answer is updated at most this often"));
  k.push_back(int_key("bot.demo-typing-ms", KEY(bot.demo_typing_ms), 0, 1000,
                      "the built-in demo bot types its answers out this often, ms (0: at once)"));
  k.push_back(int_key("bot.capabilities-refresh-s", KEY(bot.capabilities_refresh_s), 10, 86400,
                      "what the bot can do is asked again this often, s"));
  k.push_back(int_key("bot.summary-timeout-ms", KEY(bot.summary_timeout_ms), 100, 60000,
                      "time allowed for the bot's handoff summary, ms"));
  k.push_back(bool_key("bot.suggest-replies", KEY(bot.suggest_replies),
                       "ask the bot for replies the agent could send to each customer message"));
  k.push_back(int_key("bot.suggestion-timeout-ms", KEY(bot.suggestion_timeout_ms), 100, 60000,
                      "time allowed for the bot's suggested replies, ms"));
  k.push_back(choice_key("bot.need-human", KEY(bot.need_human), {"queue", "offer"},
                         "an answer with needHuman queues a consult request, or offers one"));
  return k;
}

#undef KEY

struct Schema {
  std::vector<Key> keys;
  std::map<std::string, const Key*, std::less<>> by_name;
  std::map<std::string, const Key*, std::less<>> by_env;
  std::set<std::string, std::less<>> sections;  // "server", "store", "store.sqlite", ...
};

Schema build_schema() {
  Schema schema;
  schema.keys = make_keys();
  for (const Key& key : schema.keys) {
    const bool new_name = schema.by_name.emplace(key.name, &key).second;
    const bool new_env = schema.by_env.emplace(key.env, &key).second;
    assert(new_name && new_env && "two keys with one name or one environment variable");
    (void)new_name, (void)new_env;
    for (std::size_t dot = key.name.find('.'); dot != std::string::npos;
         dot = key.name.find('.', dot + 1)) {
      schema.sections.insert(key.name.substr(0, dot));
    }
  }
  for (const Key& key : schema.keys) {
    assert(!schema.sections.contains(key.name) && "a key cannot also be a section");
    (void)key;
  }
  return schema;
}

const Schema& schema() {
  static const Schema instance = build_schema();
  return instance;
}

// Optimal string alignment distance: edits, counting a swap of neighbours as one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string_view last_segment(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

// The key the user most likely meant: a near spelling (after turning snake_case and camelCase
// into kebab-case), else the only key with the same last part ("port" -> "server.port").
std::optional<std::string> suggest(std::string_view unknown) {
  if (unknown.size() > 100) return std::nullopt;
  const std::string wanted = kebab(unknown);
  const Key* best = nullptr;
  std::size_t best_distance = 0;
  for (const Key& key : schema().keys) {
    const std::size_t distance = edit_distance(wanted, key.name);
    if (best == nullptr || distance < best_distance) best = &key, best_distance = distance;
  }
  const std::size_t allowed = std::min<std::size_t>(3, 1 + best->name.size() / 8);
  if (best_distance <= allowed) return best->name;
  const Key* same_tail = nullptr;
  for (const Key& key : schema().keys) {
    if (last_segment(key.name) == last_segment(wanted)) {
      if (same_tail != nullptr) return std::nullopt;
      same_tail = &key;
    }
  }
  if (same_tail != nullptr) return same_tail->name;
  return std::nullopt;
}

std::string unknown_key(std::string_view name) {
  std::string message = "unknown key " + quote(name);
  if (auto guess = suggest(name)) message += " (did you mean \"" + *guess + "\"?)";
  return message;
}

std::string at_mark(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return file;
  return file + " line " + std::to_string(mark.line + 1) + ", column " +
         std::to_string(mark.column + 1);
}

util::Result<std::string, std::string> read_file(const std::string& path) {
  using util::unexpected;
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) {
    return unexpected("configuration file " + quote(path) + " does not exist");
  }
  if (ec) return unexpected("cannot read configuration file " + quote(path) + ": " + ec.message());
  if (std::filesystem::is_directory(status)) {
    return unexpected("configuration file " + quote(path) + " is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return unexpected("cannot open configuration file " + quote(path) + ": " +
                      std::strerror(errno));
  }
  // Read at most one byte past the limit: enough to know the file is too large.
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), std::streamsize(text.size()));
  if (in.bad()) return unexpected("cannot read configuration file " + quote(path));
  text.resize(std::size_t(in.gcount()));
  if (text.size() > kMaxFileBytes) {
    return unexpected("configuration file " + quote(path) + " is larger than 1 MiB");
  }
  return text;
}

// YAML is Unicode text without control characters other than tab and line breaks (YAML 1.2
// section 5.1). Anything else is refused before yaml-cpp sees it: its scanner can spend seconds
// and gigabytes on a few hundred such bytes.
Problem check_text(const std::string& file, std::string_view text) {
  for (std::size_t line = 1; !text.empty(); ++line) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    const std::string_view content = text.substr(0, end);
    for (const char ch : content) {
      const auto c = static_cast<unsigned char>(ch);
      if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7F) {
        return file + " line " + std::to_string(line) + ": a control character (byte " +
               std::to_string(c) + ") is not allowed in YAML";
      }
    }
    if (!util::is_valid_utf8(content))
      return file + " line " + std::to_string(line) + ": not UTF-8";
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return std::nullopt;
}

class YamlWalker {
 public:
  YamlWalker(Config& config, const std::string& file) : config_(config), file_(file) {}

  Problem walk_root(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull()) return std::nullopt;  // an empty file
    if (!root.IsMap()) return at_mark(file_, root.Mark()) + ": expected a map of keys";
    return walk_map(root, "", 0);
  }

 private:
  Problem walk_map(const YAML::Node& map, const std::string& prefix, int depth) {
    if (depth > kMaxYamlDepth) return at_mark(file_, map.Mark()) + ": nested too deeply";
    for (auto it = map.begin(); it != map.end(); ++it) {
      // Copies: yaml-cpp's it-> goes through a temporary, so references to it would dangle.
      const YAML::Node name_node = it->first;
      const YAML::Node value = it->second;
      if (Problem p = count(name_node)) return p;
      if (!name_node.IsScalar() || name_node.Scalar().empty()) {
        return at_mark(file_, name_node.Mark()) + ": a key must be a non-empty name";
      }
      const std::string name =
          prefix.empty() ? name_node.Scalar() : prefix + "." + name_node.Scalar();
      const auto found = schema().by_name.find(name);
      if (found != schema().by_name.end()) {
        if (Problem p = assign(*found->second, name_node, value)) return p;
      } else if (value.IsMap() && value.size() > 0) {
        // A section ("server:") or a section written with dots ("store.sqlite:").
        if (Problem p = walk_map(value, name, depth + 1)) return p;
      } else if (schema().sections.contains(name)) {
        // A section whose keys are all commented out is empty, not an error.
        if (value.IsNull() || value.IsMap()) continue;
        return name + ": expected a map of keys under it, such as \"" + first_key_under(name) +
               "\" (" + at_mark(file_, value.Mark()) + ")";
      } else {
        return unknown_key(name) + " in " + at_mark(file_, name_node.Mark());
      }
    }
    return std::nullopt;
  }

  Problem assign(const Key& key, const YAML::Node& name_node, const YAML::Node& value) {
    const auto [previous, inserted] = seen_.emplace(key.name, name_node.Mark());
    if (!inserted) {
      return key.name + " is set twice in " + file_ + " (lines " +
             std::to_string(previous->second.line + 1) + " and " +
             std::to_string(name_node.Mark().line + 1) + ")";
    }
    RawValue raw;
    if (value.IsNull()) {
      raw.is_null = true;
    } else if (value.IsScalar()) {
      raw.text = value.Scalar();
    } else if (value.IsSequence()) {
      raw.is_list = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        const YAML::Node item = *it;
        if (Problem p = count(item)) return p;
        if (item.IsNull()) {
          raw.items.emplace_back();
        } else if (item.IsScalar()) {
          raw.items.push_back(item.Scalar());
        } else {
          return key.name + ": list items must be single values (" + at_mark(file_, item.Mark()) +
                 ")";
        }
      }
    } else {
      return key.name + ": expected a value, not a map (" + at_mark(file_, value.Mark()) + ")";
    }
    if (Problem p = key.set(config_, raw)) {
      return key.name + ": " + *p + " (" + at_mark(file_, value.Mark()) + ")";
    }
    return std::nullopt;
  }

  Problem count(const YAML::Node& node) {
    if (++nodes_ > kMaxYamlNodes) {
      return at_mark(file_, node.Mark()) + ": more than " + std::to_string(kMaxYamlNodes) +
             " entries (are aliases repeating a large part?)";
    }
    return std::nullopt;
  }

  static std::string first_key_under(const std::string& section) {
    const auto it = schema().by_name.lower_bound(section + ".");
    return it == schema().by_name.end() ? section : it->first;
  }

  Config& config_;
  const std::string& file_;
  std::map<std::string, YAML::Mark> seen_;  // keys set so far, with where
  std::size_t nodes_ = 0;
};

// What yaml-cpp's parser reports, counted before any node is built: where each document starts,
// and no more events than a configuration file could need.
class YamlEventCounter final : public YAML::EventHandler {
 public:
  struct TooMany {
    YAML::Mark mark;
  };

  YAML::Mark document_start;

  void OnDocumentStart(const YAML::Mark& mark) override { document_start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { count(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { count(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    count(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    count(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    count(mark);
  }
  void OnMapEnd() override {}

 private:
  void count(const YAML::Mark& mark) {
    if (++events_ > kMaxYamlNodes) throw TooMany{mark};
  }

  std::size_t events_ = 0;
};

// Parses the text once without building nodes and refuses a file that holds more than one
// document or more than kMaxYamlNodes values. YAML::LoadAll is not used: it asks for documents
// until the parser reports none, and on some malformed input (a flow scalar cut by a line that
// opens a new one) yaml-cpp's parser stops advancing and reports an empty document forever, so
// LoadAll grows until memory runs out. Asking for two documents at most is always bounded.
Problem check_documents(const std::string& file, const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  YamlEventCounter counter;
  try {
    if (!parser.HandleNextDocument(counter)) return std::nullopt;  // no document at all
    if (parser.HandleNextDocument(counter)) {
      return at_mark(file, counter.document_start) +
             ": a second YAML document starts here; a configuration file holds one";
    }
  } catch (const YamlEventCounter::TooMany& e) {
    return at_mark(file, e.mark) + ": more than " + std::to_string(kMaxYamlNodes) +
           " values; a configuration file holds a few hundred";
  } catch (const YAML::DeepRecursion& e) {
    return at_mark(file, e.mark) + ": invalid YAML: nested too deeply";
  } catch (const YAML::Exception& e) {
    return at_mark(file, e.mark) + ": invalid YAML: " + e.msg;
  }
  return std::nullopt;
}

Problem apply_yaml(Config& config, const std::string& file,
                   const std::optional<std::string>& file_text) {
  auto text = file_text ? util::Result<std::string, std::string>(*file_text) : read_file(file);
  if (!text) return text.error();
  if (text->size() > kMaxFileBytes) {
    return "configuration file " + quote(file) + " is larger than 1 MiB";
  }
  if (Problem p = check_text(file, *text)) return p;
  if (Problem p = check_documents(file, *text)) return p;
  try {
    // The one document, now known to parse within the bounds above.
    const YAML::Node root = YAML::Load(*text);
    return YamlWalker(config, file).walk_root(root);
  } catch (const YAML::Exception& e) {
    return at_mark(file, e.mark) + ": " + e.msg;
  }
}

Problem apply_environment(Config& config, const std::map<std::string, std::string>& environment) {
  for (const auto& [name, value] : environment) {
    if (name.compare(0, kEnvPrefix.size(), kEnvPrefix) != 0) continue;
    const auto found = schema().by_env.find(name);
    if (found == schema().by_env.end()) continue;  // another program's AICC_ variable
    const Key& key = *found->second;
    RawValue raw;
    raw.text = value;
    if (Problem p = key.set(config, raw)) return key.name + ": " + *p + " (from " + name + ")";
  }
  return std::nullopt;
}

Problem apply_overrides(Config& config, const std::vector<std::string>& overrides) {
  for (const std::string& item : overrides) {
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos) {
      return "--set " + quote(item) + ": expected key=value, such as --set server.port=8081";
    }
    const std::string name(trim(std::string_view(item).substr(0, eq)));
    if (name.empty()) return "--set " + quote(item) + ": the key before '=' is missing";
    const auto found = schema().by_name.find(name);
    if (found == schema().by_name.end()) return unknown_key(name) + " in --set";
    RawValue raw;
    raw.text = item.substr(eq + 1);
    if (Problem p = found->second->set(config, raw)) {
      return name + ": " + *p + " (from --set)";
    }
  }
  return std::nullopt;
}

// Why a secret of the required length is still guessable, or nothing. Real secrets are random
// (openssl rand); what this catches is what people type instead: a word or pattern repeated to the
// length, a run such as "abcdef...", or a handful of characters. The bars are set so that a random
// value of the required length always passes: 32 random hex digits carry about 115 bits by their
// own character counts (never under 90 in 300 000 draws; the bar is 64), use 8 or more different
// digits (the bar is 6) and step by one in under a quarter of their neighbours.
std::optional<std::string> guessable_secret(std::string_view secret) {
  const std::size_t n = secret.size();
  for (std::size_t period = 1; period <= n / 2; ++period) {
    bool repeats = true;
    for (std::size_t i = period; i < n && repeats; ++i) repeats = secret[i] == secret[i - period];
    if (repeats) {
      return "it repeats a pattern of " + std::to_string(period) + " character" +
             (period == 1 ? "" : "s");
    }
  }
  std::size_t steady_steps = 0;  // neighbours one apart, up or down: "abcd", "9876"
  for (std::size_t i = 1; i < n; ++i) {
    const int step =
        int(static_cast<unsigned char>(secret[i])) - int(static_cast<unsigned char>(secret[i - 1]));
    if (step == 1 || step == -1) ++steady_steps;
  }
  if (n > 1 && steady_steps * 4 >= (n - 1) * 3) {
    return std::string("it is mostly a run of characters");
  }
  std::array<std::size_t, 256> counts{};
  for (char c : secret) ++counts[static_cast<unsigned char>(c)];
  double bits = 0;
  std::size_t distinct = 0;
  for (std::size_t count : counts) {
    if (count == 0) continue;
    ++distinct;
    const double share = double(count) / double(n);
    bits -= double(count) * std::log2(share);
  }
  if (distinct < 6) return "it uses only " + std::to_string(distinct) + " different characters";
  constexpr double kMinBits = 64;
  if (bits < kMinBits) {
    return "its characters carry about " + std::to_string(int(bits)) + " bits, at least " +
           std::to_string(int(kMinBits)) + " are needed";
  }
  return std::nullopt;
}

// Rules that involve more than one key, checked once every source is applied.
Problem check_rules(const Config& config, bool require_secret) {
  constexpr std::size_t kMinSecret = 32;
  const std::string how =
      "set jwt.secret in the configuration file, the AICC_JWT_SECRET environment variable or "
      "--set jwt.secret=... (for example the output of: openssl rand -base64 48)";
  if (config.jwt.secret.empty() && !config.demo && require_secret) {
    return "jwt.secret is required outside demo mode: " + how;
  }
  if (!config.jwt.secret.empty() && config.jwt.secret.size() < kMinSecret) {
    return "jwt.secret is too short: " + std::to_string(config.jwt.secret.size()) +
           " bytes, at least " + std::to_string(kMinSecret) + " are needed; " + how;
  }
  if (!config.jwt.secret.empty()) {
    if (auto why = guessable_secret(config.jwt.secret)) {
      return "jwt.secret is too easy to guess: " + *why + "; " + how;
    }
  }
  if (config.jwt.refresh_token_validity < config.jwt.access_token_validity) {
    return "jwt.refresh-token-validity (" + std::to_string(config.jwt.refresh_token_validity) +
           " s) is shorter than jwt.access-token-validity (" +
           std::to_string(config.jwt.access_token_validity) + " s)";
  }
  if (config.server.tls.cert_file.empty() != config.server.tls.key_file.empty()) {
    return "server.tls.cert-file and server.tls.key-file go together: set both to serve HTTPS, or "
           "neither";
  }
  if (config.store.kind == "postgres" && config.store.postgres.url.empty()) {
    return "store.postgres.url is required when store.kind is postgres";
  }
  if (config.bus.kind == "redis" && config.bus.redis.url.empty()) {
    return "bus.redis.url is required when bus.kind is redis";
  }
  return std::nullopt;
}

}  // namespace

util::Result<Config, std::string> load(const LoadOptions& options) {
  Config config;
  if (!options.file.empty() || options.file_text) {
    if (Problem p = apply_yaml(config, options.file, options.file_text)) {
      return util::unexpected(std::move(*p));
    }
  }
  if (Problem p = apply_environment(config, options.environment)) {
    return util::unexpected(std::move(*p));
  }
  if (Problem p = apply_overrides(config, options.overrides)) {
    return util::unexpected(std::move(*p));
  }
  if (Problem p = check_rules(config, options.require_secret))
    return util::unexpected(std::move(*p));
  return config;
}

std::string describe_keys() {
  const Config defaults;
  std::size_t name_width = 0;
  std::size_t value_width = 0;
  for (const Key& key : schema().keys) {
    name_width = std::max(name_width, key.name.size());
    value_width = std::max(value_width, key.show(defaults).size());
  }
  std::string out;
  for (const Key& key : schema().keys) {
    const std::string value = key.show(defaults);
    out += key.name + std::string(name_width - key.name.size() + 2, ' ');
    out += value + std::string(value_width - value.size() + 2, ' ');
    out += key.description + '\n';
  }
  return out;
}

std::string describe_values(const Config& config) {
  std::string out;
  for (const Key& key : schema().keys) {
    std::string value = key.show(config);
    if (key.sensitive) value = value == "\"\"" ? "(not set)" : "(set)";
    out += key.name + " = " + value + '\n';
  }
  return out;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::size_t eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return out;
}

}  // namespace aicc::config
