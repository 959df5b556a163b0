#include "net/tls_certificates.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace aicc::net {
namespace {

namespace fs = std::filesystem;

// A self-signed P-256 certificate for `common_name`, valid `days`, written as PEM files.
void write_certificate(const fs::path& cert_file, const fs::path& key_file,
                       const std::string& common_name, long days = 30) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  ASSERT_TRUE(key);
  std::unique_ptr<X509, decltype(&X509_free)> certificate(X509_new(), X509_free);
  X509_set_version(certificate.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), days * 86400);
  X509_set_pubkey(certificate.get(), key.get());
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(certificate.get(), name);
  ASSERT_GT(X509_sign(certificate.get(), key.get(), EVP_sha256()), 0);
  FILE* out = std::fopen(cert_file.c_str(), "w");
  ASSERT_NE(out, nullptr);
  PEM_write_X509(out, certificate.get());
  std::fclose(out);
  out = std::fopen(key_file.c_str(), "w");
  ASSERT_NE(out, nullptr);
  PEM_write_PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(out);
}

class TlsCertificatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("aicc-tls-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    settings_.cert_file = (dir_ / "server.crt").string();
    settings_.key_file = (dir_ / "server.key").string();
    write_certificate(settings_.cert_file, settings_.key_file, "first.test");
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  config::TlsConfig settings_;
};

TEST_F(TlsCertificatesTest, LoadsThePairWithModernVersionsOnly) {
  TlsCertificates certificates(settings_);
  EXPECT_EQ(certificates.describe().rfind("CN=first.test, expires ", 0), 0u)
      << certificates.describe();
  SSL_CTX* native = certificates.current()->native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(native), TLS1_2_VERSION);
  EXPECT_NE(SSL_CTX_get_options(native) & SSL_OP_NO_COMPRESSION, 0u);
  EXPECT_NE(SSL_CTX_get_options(native) & SSL_OP_NO_RENEGOTIATION, 0u);

  settings_.min_version = "1.3";
  TlsCertificates strict(settings_);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(strict.current()->native_handle()), TLS1_3_VERSION);
}

TEST_F(TlsCertificatesTest, SummarisesTheCertificate) {
  CertificateSummary summary;
  make_server_tls_context(settings_, &summary);
  const auto now = std::time(nullptr);
  EXPECT_GT(summary.not_after, now + 29 * 86400);
  EXPECT_LT(summary.not_after, now + 31 * 86400);
}

TEST_F(TlsCertificatesTest, RefusesWhatIsNotAPairAndNamesTheFile) {
  const fs::path other_cert = dir_ / "other.crt";
  const fs::path other_key = dir_ / "other.key";
  write_certificate(other_cert, other_key, "other.test");
  config::TlsConfig mismatched = settings_;
  mismatched.key_file = other_key.string();
  try {
    TlsCertificates refused(mismatched);
    FAIL() << "a key of another certificate was taken";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("is not the key of server.tls.cert-file"),
              std::string::npos)
        << e.what();
  }
  config::TlsConfig missing = settings_;
  missing.cert_file = (dir_ / "missing.crt").string();
  EXPECT_THROW(TlsCertificates{missing}, std::runtime_error);
  config::TlsConfig garbage = settings_;
  garbage.key_file = (dir_ / "garbage.key").string();
  std::ofstream(garbage.key_file)
      << "-----BEGIN PRIVATE KEY-----\n%%%%\n-----END PRIVATE KEY-----\n";
  try {
    TlsCertificates refused(garbage);
    FAIL() << "a garbage key was taken";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("server.tls.key-file"), std::string::npos) << e.what();
  }
}

TEST_F(TlsCertificatesTest, ReloadSwapsThePairAndKeepsTheOldOneOnFailure) {
  TlsCertificates certificates(settings_);
  const auto in_use = certificates.current();

  write_certificate(settings_.cert_file, settings_.key_file, "renewed.test");
  const auto reloaded = certificates.reload();
  ASSERT_TRUE(reloaded.ok) << reloaded.detail;
  EXPECT_EQ(reloaded.detail.rfind("CN=renewed.test", 0), 0u);
  EXPECT_NE(certificates.current(), in_use);
  // A connection that took the old context still holds a working one.
  EXPECT_NE(SSL_CTX_get0_certificate(in_use->native_handle()), nullptr);

  std::ofstream(settings_.cert_file) << "not a certificate\n";
  const auto renewed = certificates.current();
  const auto failed = certificates.reload();
  EXPECT_FALSE(failed.ok);
  EXPECT_NE(failed.detail.find("server.tls.cert-file"), std::string::npos) << failed.detail;
  EXPECT_EQ(certificates.current(), renewed);
  EXPECT_EQ(certificates.describe().rfind("CN=renewed.test", 0), 0u);
}

}  // namespace
}  // namespace aicc::net
