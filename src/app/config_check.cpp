#include "app/config_check.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <variant>

#include "chat/business_hours.hpp"
#include "net/tls_certificates.hpp"
#include "util/time.hpp"

namespace aicc::app {

namespace {

bool is_loopback(std::string_view host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

}  // namespace

std::vector<std::string> configuration_advisories(const config::Config& config) {
  std::vector<std::string> out;
  if (config.demo) {
    out.push_back(
        "demo is on: demo users with published passwords can sign in; never in production");
    if (config.jwt.secret.empty()) {
      out.push_back(
          "jwt.secret is not set: demo mode makes one up and keeps it beside the SQLite file");
    }
  }
  const auto& origins = config.ws.allowed_origins;
  if (std::find(origins.begin(), origins.end(), "*") != origins.end()) {
    out.push_back(
        "ws.allowed-origins has \"*\": pages of any site may open WebSocket and SockJS "
        "connections for a signed-in user");
  }
  if (!config.bot.webhook_require_signature) {
    out.push_back(
        "bot.webhook-require-signature is false: anybody who can reach /api/bot/webhook can "
        "answer as the bot");
  } else if (config.bot.webhook_secret.empty() && config.bot.url != "builtin") {
    out.push_back(
        "bot.webhook-secret is not set: every call to /api/bot/webhook is refused (answers in the "
        "bot's HTTP reply still arrive)");
  }
  if (!config.auth.cookie_secure && !config.server.trust_proxy && !config.server.tls.enabled() &&
      !is_loopback(config.server.host)) {
    out.push_back(
        "auth.cookie-secure is false and server.trust-proxy is off: the refresh cookie is sent "
        "without Secure to a server reachable from other machines over plain HTTP; serve TLS "
        "(server.tls.*), put a TLS proxy in front (server.trust-proxy) or set auth.cookie-secure");
  }
  if (config.bus.kind == "redis" && config.store.kind == "sqlite") {
    out.push_back(
        "bus.kind is redis but store.kind is sqlite: nodes sharing the bus do not share the "
        "store; several nodes need store.kind postgres");
  }
  if (config.stomp.tcp_port != 0 && !is_loopback(config.stomp.tcp_host)) {
    out.push_back("stomp.tcp-host is " + config.stomp.tcp_host +
                  ": STOMP over plain TCP has no TLS and no Origin check; keep it on loopback");
  }
  if (config.store.kind == "sqlite" && !config.store.sqlite.path.empty() &&
      config.store.sqlite.path.front() != '/') {
    out.push_back("store.sqlite.path is relative (" + config.store.sqlite.path +
                  "): it is found from the working directory the server starts in");
  }
  return out;
}

namespace {

// What the certificate and key files deserve a second look for (expiry, who may read the key).
std::vector<std::string> tls_advisories(const config::TlsConfig& tls,
                                        const net::CertificateSummary& certificate,
                                        std::int64_t now) {
  std::vector<std::string> out;
  constexpr std::int64_t kDay = 86400;
  if (certificate.not_after != 0 && certificate.not_after < now) {
    out.push_back("server.tls.cert-file has expired (" + certificate.text +
                  "): browsers refuse it");
  } else if (certificate.not_after != 0 && certificate.not_after < now + 30 * kDay) {
    out.push_back("server.tls.cert-file expires within 30 days (" + certificate.text +
                  "): renew it, then send the server SIGHUP");
  }
  struct stat key {};
  if (::stat(tls.key_file.c_str(), &key) == 0 && (key.st_mode & S_IROTH) != 0) {
    out.push_back("server.tls.key-file " + tls.key_file +
                  " is readable by every user of this machine; chmod o-r it");
  }
  return out;
}

}  // namespace

int run_check_config(const config::LoadOptions& options) {
  const std::string source = options.file.empty() ? "no file" : options.file;
  auto loaded = config::load(options);
  if (!loaded) {
    std::fprintf(stderr, "aicc-chat: configuration error (%s): %s\n", source.c_str(),
                 loaded.error().c_str());
    return 2;
  }
  const config::Config& config = loaded.value();
  if (auto hours = chat::BusinessHours::parse(config.hours.weekly, config.hours.holidays,
                                              config.hours.timezone);
      const auto* refusal = std::get_if<std::string>(&hours)) {
    std::fprintf(stderr, "aicc-chat: configuration error (%s): hours: %s\n", source.c_str(),
                 refusal->c_str());
    return 2;
  }
  net::CertificateSummary certificate;
  if (config.server.tls.enabled()) {
    try {
      net::make_server_tls_context(config.server.tls, &certificate);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "aicc-chat: configuration error (%s): %s\n", source.c_str(), e.what());
      return 2;
    }
  }
  std::printf("# effective configuration (%s, then the environment and --set; secrets masked)\n",
              source.c_str());
  std::fputs(config::describe_values(config).c_str(), stdout);
  if (config.server.tls.enabled()) std::printf("# TLS certificate: %s\n", certificate.text.c_str());
  std::vector<std::string> advisories = configuration_advisories(config);
  if (config.server.tls.enabled()) {
    for (std::string& advisory :
         tls_advisories(config.server.tls, certificate, util::unix_seconds()))
      advisories.push_back(std::move(advisory));
  }
  for (const std::string& advisory : advisories) std::printf("warning: %s\n", advisory.c_str());
  std::printf("configuration is valid (%zu warning%s)\n", advisories.size(),
              advisories.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace aicc::app
