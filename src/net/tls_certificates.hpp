// The server's TLS certificate and key (server.tls.*), loaded into an OpenSSL context that new
// connections take; reload() (SIGHUP) swaps in a freshly read pair, and connections already open
// keep the context they started with, so a renewal drops nobody.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "config/config.hpp"

namespace boost::asio::ssl {
class context;
}

namespace aicc::net {

class TlsCertificates {
 public:
  // Throws std::runtime_error naming the file and the reason when the pair cannot be used.
  explicit TlsCertificates(config::TlsConfig settings);

  // The context for a new connection; shared, so it outlives a reload while in use.
  std::shared_ptr<boost::asio::ssl::context> current() const;

  // Reads the files again. On success the new pair serves new connections and the certificate's
  // subject and expiry are returned; on failure the old pair stays and the reason is returned.
  struct Reloaded {
    bool ok = false;
    std::string detail;
  };
  Reloaded reload();

  // "CN=chat.example.com, expires 2027-03-01": what the logs say about the pair in use.
  std::string describe() const;

 private:
  const config::TlsConfig settings_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::string description_;
};

struct CertificateSummary {
  std::string text;            // "CN=chat.example.com, expires 2027-03-01"
  std::int64_t not_after = 0;  // unix seconds
};

// A context configured as the server's (versions, ciphers, options) from PEM files, and what its
// certificate says. Throws std::runtime_error with the file and OpenSSL's reason.
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(
    const config::TlsConfig& settings, CertificateSummary* summary = nullptr);

}  // namespace aicc::net
