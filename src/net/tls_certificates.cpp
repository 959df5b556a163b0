#include "net/tls_certificates.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509err.h>

#include <boost/asio/ssl/context.hpp>
#include <ctime>
#include <stdexcept>

namespace aicc::net {
namespace {

namespace ssl = boost::asio::ssl;

// OpenSSL's reasons for the last failure, oldest first, then cleared.
std::string openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? std::string("unknown OpenSSL error") : out;
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + openssl_errors());
}

CertificateSummary certificate_summary(SSL_CTX* context) {
  CertificateSummary summary;
  X509* certificate = SSL_CTX_get0_certificate(context);
  if (certificate == nullptr) return {"no certificate", 0};
  char subject[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, subject,
                            sizeof subject);
  summary.text = std::string("CN=") + subject;
  struct tm expiry {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &expiry) == 1) {
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%d", &expiry);
    summary.text += std::string(", expires ") + date;
    summary.not_after = timegm(&expiry);
  }
  return summary;
}

}  // namespace

std::shared_ptr<ssl::context> make_server_tls_context(const config::TlsConfig& settings,
                                                      CertificateSummary* summary) {
  ERR_clear_error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  // Modern versions only: TLS 1.2 with forward-secret AEAD suites, or TLS 1.3 (whose suites are
  // all of that kind). No compression, no renegotiation, the server's preference of suites.
  const int min_version = settings.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(native, min_version) != 1) fail("setting the TLS version");
  if (SSL_CTX_set_cipher_list(native,
                              "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                              "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                              "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1) {
    fail("setting the TLS 1.2 cipher suites");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
  // An idle connection gives its record buffers back (tens of KiB each).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(native, settings.cert_file.c_str()) != 1)
    fail("server.tls.cert-file \"" + settings.cert_file + "\" cannot be used");
  const bool key_loaded =
      SSL_CTX_use_PrivateKey_file(native, settings.key_file.c_str(), SSL_FILETYPE_PEM) == 1;
  if (!key_loaded && ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH)
    fail("server.tls.key-file \"" + settings.key_file + "\" cannot be used");
  if (!key_loaded || SSL_CTX_check_private_key(native) != 1) {
    fail("server.tls.key-file \"" + settings.key_file +
         "\" is not the key of server.tls.cert-file \"" + settings.cert_file + "\"");
  }
  if (summary != nullptr) *summary = certificate_summary(native);
  return context;
}

TlsCertificates::TlsCertificates(config::TlsConfig settings) : settings_(std::move(settings)) {
  CertificateSummary summary;
  context_ = make_server_tls_context(settings_, &summary);
  description_ = summary.text;
}

std::shared_ptr<ssl::context> TlsCertificates::current() const {
  std::lock_guard lock(mutex_);
  return context_;
}

TlsCertificates::Reloaded TlsCertificates::reload() {
  CertificateSummary summary;
  std::shared_ptr<ssl::context> fresh;
  try {
    fresh = make_server_tls_context(settings_, &summary);
  } catch (const std::exception& e) {
    return {false, e.what()};
  }
  std::lock_guard lock(mutex_);
  context_ = std::move(fresh);
  description_ = summary.text;
  return {true, summary.text};
}

std::string TlsCertificates::describe() const {
  std::lock_guard lock(mutex_);
  return description_;
}

}  // namespace aicc::net
