// Process-wide counters for GET /metrics (Prometheus text format 0.0.4).
//
// Counters are relaxed atomics: they are read rarely and written on hot paths, and a scrape only
// needs each value to be eventually right, not a consistent snapshot across values.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "stomp/frame.hpp"

namespace aicc::net {

enum class Transport : std::uint8_t {
  kWebSocket,
  kSockJsWebSocket,
  kSockJsXhrStreaming,
  kSockJsXhrPolling,
  kSockJsEventSource,
  kSockJsHtmlFile,
  kSockJsJsonp,
  kTcp
};
inline constexpr std::size_t kTransportCount = 8;
std::string_view to_string(Transport transport);

class Metrics {
 public:
  static constexpr std::size_t kCommandCount = 15;

  void connection_opened(Transport t) {
    connections_[index(t)].fetch_add(1, std::memory_order_relaxed);
    connections_total_.fetch_add(1, std::memory_order_relaxed);
  }
  void connection_closed(Transport t) {
    connections_[index(t)].fetch_sub(1, std::memory_order_relaxed);
  }
  void frame_in(stomp::Command c) {
    frames_in_[std::size_t(c)].fetch_add(1, std::memory_order_relaxed);
  }
  void frame_out(stomp::Command c) {
    frames_out_[std::size_t(c)].fetch_add(1, std::memory_order_relaxed);
  }
  void delivered(std::uint64_t n = 1) { delivered_.fetch_add(n, std::memory_order_relaxed); }
  void bytes_in(std::uint64_t n) { bytes_in_.fetch_add(n, std::memory_order_relaxed); }
  void bytes_out(std::uint64_t n) { bytes_out_.fetch_add(n, std::memory_order_relaxed); }
  void http_request() { http_requests_.fetch_add(1, std::memory_order_relaxed); }
  // Errors by kind: a small, fixed vocabulary ("slow_consumer", "protocol", "auth", ...).
  void error(std::string_view kind);

  std::int64_t open_connections() const;
  std::string render() const;
  // More lines for render(), from parts that keep their own figures (the bus, the store pool,
  // readiness): each returns whole "# HELP / # TYPE / value" blocks. Added before serving.
  void add_section(std::function<std::string()> section);

 private:
  static std::size_t index(Transport t) { return static_cast<std::size_t>(t); }

  std::array<std::atomic<std::int64_t>, kTransportCount> connections_{};
  std::atomic<std::uint64_t> connections_total_{0};
  std::array<std::atomic<std::uint64_t>, kCommandCount> frames_in_{};
  std::array<std::atomic<std::uint64_t>, kCommandCount> frames_out_{};
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> bytes_in_{0};
  std::atomic<std::uint64_t> bytes_out_{0};
  std::atomic<std::uint64_t> http_requests_{0};
  std::vector<std::function<std::string()>> sections_;
  mutable std::mutex errors_mutex_;
  std::map<std::string, std::uint64_t, std::less<>> errors_;
};

// Resident set size of this process in bytes, from /proc/self/statm (0 where unavailable).
std::uint64_t process_resident_bytes();

}  // namespace aicc::net
