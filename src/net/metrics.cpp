#include "net/metrics.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace aicc::net {

std::string_view to_string(Transport transport) {
  switch (transport) {
    case Transport::kWebSocket:
      return "websocket";
    case Transport::kSockJsWebSocket:
      return "sockjs_websocket";
    case Transport::kSockJsXhrStreaming:
      return "sockjs_xhr_streaming";
    case Transport::kSockJsXhrPolling:
      return "sockjs_xhr_polling";
    case Transport::kSockJsEventSource:
      return "sockjs_eventsource";
    case Transport::kSockJsHtmlFile:
      return "sockjs_htmlfile";
    case Transport::kSockJsJsonp:
      return "sockjs_jsonp";
    case Transport::kTcp:
      return "tcp";
  }
  return "unknown";
}

void Metrics::error(std::string_view kind) {
  std::lock_guard lock(errors_mutex_);
  auto it = errors_.find(kind);
  if (it == errors_.end()) {
    errors_.emplace(std::string(kind), 1);
  } else {
    ++it->second;
  }
}

std::int64_t Metrics::open_connections() const {
  std::int64_t total = 0;
  for (const auto& c : connections_) total += c.load(std::memory_order_relaxed);
  return total;
}

std::uint64_t process_resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size_pages = 0;
  std::uint64_t resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

std::string Metrics::render() const {
  std::ostringstream out;
  out << "# HELP aicc_connections Open STOMP connections by transport.\n"
         "# TYPE aicc_connections gauge\n";
  for (std::size_t i = 0; i < kTransportCount; ++i) {
    out << "aicc_connections{transport=\"" << to_string(Transport(i)) << "\"} "
        << connections_[i].load(std::memory_order_relaxed) << '\n';
  }
  out << "# HELP aicc_connections_opened_total STOMP connections opened since start.\n"
         "# TYPE aicc_connections_opened_total counter\n"
      << "aicc_connections_opened_total " << connections_total_.load(std::memory_order_relaxed)
      << '\n';
  auto frames = [&](std::string_view name, std::string_view help, const auto& counters) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " counter\n";
    for (std::size_t i = 0; i < kCommandCount; ++i) {
      const auto value = counters[i].load(std::memory_order_relaxed);
      if (value == 0) continue;
      out << name << "{command=\"" << stomp::to_string(stomp::Command(i)) << "\"} " << value
          << '\n';
    }
  };
  frames("aicc_frames_in_total", "STOMP frames received, by command.", frames_in_);
  frames("aicc_frames_out_total", "STOMP frames sent, by command.", frames_out_);
  out << "# HELP aicc_messages_delivered_total MESSAGE frames handed to subscribers.\n"
         "# TYPE aicc_messages_delivered_total counter\n"
      << "aicc_messages_delivered_total " << delivered_.load(std::memory_order_relaxed) << '\n'
      << "# HELP aicc_bytes_received_total Payload bytes received from clients.\n"
         "# TYPE aicc_bytes_received_total counter\n"
      << "aicc_bytes_received_total " << bytes_in_.load(std::memory_order_relaxed) << '\n'
      << "# HELP aicc_bytes_sent_total Payload bytes sent to clients.\n"
         "# TYPE aicc_bytes_sent_total counter\n"
      << "aicc_bytes_sent_total " << bytes_out_.load(std::memory_order_relaxed) << '\n'
      << "# HELP aicc_http_requests_total HTTP requests served.\n"
         "# TYPE aicc_http_requests_total counter\n"
      << "aicc_http_requests_total " << http_requests_.load(std::memory_order_relaxed) << '\n';
  out << "# HELP aicc_errors_total Errors by kind.\n# TYPE aicc_errors_total counter\n";
  {
    std::lock_guard lock(errors_mutex_);
    for (const auto& [kind, count] : errors_)
      out << "aicc_errors_total{kind=\"" << kind << "\"} " << count << '\n';
  }
  out << "# HELP aicc_process_resident_memory_bytes Resident memory of the server process.\n"
         "# TYPE aicc_process_resident_memory_bytes gauge\n"
      << "aicc_process_resident_memory_bytes " << process_resident_bytes() << '\n';
  for (const auto& section : sections_) out << section();
  return out.str();
}

void Metrics::add_section(std::function<std::string()> section) {
  sections_.push_back(std::move(section));
}

}  // namespace aicc::net
