#include "collectors/tls_adapter.h"

#include <fmt/core.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <optional>
#include <memory>

namespace soc::collectors {

namespace {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

std::optional<Timestamp> to_timestamp(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  const time_t secs = ::timegm(&tm);
  return Timestamp(std::chrono::seconds(secs));
}

std::string common_name(const X509_NAME* name) {
  if (!name) return {};
  int i = X509_NAME_get_index_by_NID(const_cast<X509_NAME*>(name), NID_commonName, -1);
  if (i < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return {};
  std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return cn;
}

std::string ecs_version(const SSL* ssl) {
  switch (SSL_version(ssl)) {
    case TLS1_3_VERSION: return "1.3";
    case TLS1_2_VERSION: return "1.2";
    case TLS1_1_VERSION: return "1.1";
    case TLS1_VERSION: return "1.0";
    default: return SSL_get_version(ssl);
  }
}

bool is_ip_literal(const std::string& s) {
  ASN1_OCTET_STRING* a = a2i_IPADDRESS(s.c_str());
  if (!a) return false;
  ASN1_OCTET_STRING_free(a);
  return true;
}

}  // namespace

Result<CertificateInfo> read_server_certificate(Socket& socket, const std::string& sni, const std::string& verify_name,
                                                std::chrono::milliseconds timeout) {
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return fail("tls", "cannot create a TLS context: " + openssl_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION);
  SSL_CTX_set_default_verify_paths(ctx.get());
  // Verify, but finish the handshake whatever the result: the expiry is wanted either way.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (!ssl) return fail("tls", "cannot create a TLS session: " + openssl_errors());
  if (!sni.empty() && !is_ip_literal(sni)) SSL_set_tlsext_host_name(ssl.get(), sni.c_str());
  if (!verify_name.empty()) {
    if (is_ip_literal(verify_name)) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), verify_name.c_str());
    else SSL_set1_host(ssl.get(), verify_name.c_str());
  }
  // A non-blocking handshake with one deadline for the whole of it: a server that answers a
  // byte at a time cannot hold the collector longer than `timeout` (its main loop pings the
  // service watchdog between probes).
  const int flags = ::fcntl(socket.fd(), F_GETFL);
  ::fcntl(socket.fd(), F_SETFL, flags | O_NONBLOCK);
  SSL_set_fd(ssl.get(), socket.fd());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const int rc = SSL_connect(ssl.get());
    if (rc == 1) break;
    const int err = SSL_get_error(ssl.get(), rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{socket.fd(), static_cast<short>(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
      if (left.count() > 0 && ::poll(&p, 1, static_cast<int>(left.count())) > 0) continue;
      if (left.count() > 0 && errno == EINTR) continue;
      return fail("tls", fmt::format("TLS handshake failed: no answer within {} ms", timeout.count()));
    }
    std::string why = openssl_errors();
    if (why.empty()) {
      why = err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN ? std::string("the peer closed the connection")
                                                                     : fmt::format("SSL error {}", err);
    }
    return fail("tls", "TLS handshake failed: " + why);
  }
  X509* cert = SSL_get1_peer_certificate(ssl.get());
  if (!cert) {
    SSL_shutdown(ssl.get());
    return fail("tls", "the server sent no certificate");
  }
  CertificateInfo info;
  auto nb = to_timestamp(X509_get0_notBefore(cert));
  auto na = to_timestamp(X509_get0_notAfter(cert));
  if (nb) info.not_before = *nb;
  if (na) info.not_after = *na;
  info.subject_cn = common_name(X509_get_subject_name(cert));
  info.issuer_cn = common_name(X509_get_issuer_name(cert));
  X509_free(cert);
  info.version = ecs_version(ssl.get());
  const long verify = SSL_get_verify_result(ssl.get());
  info.verified = verify == X509_V_OK;
  if (!info.verified) info.verify_error = X509_verify_cert_error_string(verify);
  SSL_shutdown(ssl.get());
  if (!na) return fail("tls", "the certificate's notAfter cannot be read");
  return info;
}

}  // namespace soc::collectors
