// Checks made on a WebSocket (or SockJS) handshake before it is accepted: the browser's Origin,
// and a per-IP rate limit so one address cannot exhaust the server with handshakes (each one costs
// a token check and a connection).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/token_bucket.hpp"

namespace aicc::net {

// Is a handshake with this Origin header allowed? `host` is the request's Host header.
// - No Origin (not a browser): allowed; browsers always send one on cross-origin WebSockets.
// - `allowed` empty: the same origin as Host, or any http(s) origin on localhost / 127.0.0.1 /
// [::1].
// - `allowed` has "*": any origin. Otherwise the origin must equal one entry
// ("https://shop.example").
bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed);

// Token bucket per client address: `rate` handshakes per second, bursts up to `burst`.
class HandshakeRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  HandshakeRateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}

  bool allow(const std::string& address, Clock::time_point now);

 private:
  // Buckets of addresses idle long enough to be full again are dropped now and then.
  void sweep(Clock::time_point now);

  double rate_;
  double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, util::TokenBucket> buckets_;
  Clock::time_point last_sweep_{};
};

}  // namespace aicc::net
