#include "net/handshake_guard.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace aicc::net {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

// "http://localhost:8080" -> "localhost"; "http://[::1]:80" -> "[::1]".
std::string_view origin_hostname(std::string_view origin) {
  const std::size_t scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view authority = origin.substr(scheme_end + 3);
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    return close == std::string_view::npos ? std::string_view{} : authority.substr(0, close + 1);
  }
  return authority.substr(0, authority.find(':'));
}

}  // namespace

bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;
  const std::string normalized = lower(origin);
  if (allowed.empty()) {
    const bool web_scheme = normalized.starts_with("http://") || normalized.starts_with("https://");
    if (!web_scheme) return false;
    const std::string_view authority =
        std::string_view(normalized).substr(normalized.find("://") + 3);
    if (!host.empty() && authority == lower(host)) return true;
    const std::string_view hostname = origin_hostname(normalized);
    return hostname == "localhost" || hostname == "127.0.0.1" || hostname == "[::1]";
  }
  for (const std::string& entry : allowed) {
    if (entry == "*" || lower(entry) == normalized) return true;
  }
  return false;
}

bool HandshakeRateLimiter::allow(const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  sweep(now);
  auto [it, inserted] = buckets_.try_emplace(address, rate_, burst_, now);
  return it->second.try_take(1.0, now);
}

void HandshakeRateLimiter::sweep(Clock::time_point now) {
  if (now - last_sweep_ < std::chrono::seconds(60)) return;
  last_sweep_ = now;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = it->second.full(now) ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace aicc::net
