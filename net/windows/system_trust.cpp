// The system trust store on Windows (net/detail/system_trust.hpp): the local
// machine's certificate stores through crypt32, so the agent trusts what the
// machine's administrator (or group policy) trusts, not a directory compiled
// into OpenSSL (SPEC §11, §18).
#include "net/detail/system_trust.hpp"

// After Asio's headers (through the one above): winsock2.h comes before
// windows.h, and OpenSSL's headers undo wincrypt.h's X509_NAME macros.
#include <windows.h>
#include <wincrypt.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "common/error.hpp"

namespace vigil::detail {

namespace {

struct store_closer {
  void operator()(HCERTSTORE store) const noexcept { CertCloseStore(store, 0); }
};
using store_handle = std::unique_ptr<void, store_closer>;

struct x509_deleter {
  void operator()(X509* cert) const noexcept { X509_free(cert); }
};
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

/// The local machine's system store `name`, read only; null when it cannot
/// be opened (GetLastError says why). The machine's, not the user's: the
/// agent is a service, and what it trusts must not depend on its account.
store_handle open_machine_store(const wchar_t* name) {
  return store_handle{CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0,
                                    CERT_SYSTEM_STORE_LOCAL_MACHINE | CERT_STORE_READONLY_FLAG
                                      | CERT_STORE_OPEN_EXISTING_FLAG,
                                    name)};
}

/// The DER bytes of `cert`.
std::string der_of(const CERT_CONTEXT& cert) {
  return {reinterpret_cast<const char*>(cert.pbCertEncoded), cert.cbCertEncoded};
}

/// Calls `visit` with every certificate of `store`.
template <class Visit>
void for_each_certificate(HCERTSTORE store, Visit visit) {
  for (auto* cert = CertEnumCertificatesInStore(store, nullptr); cert != nullptr;
       cert = CertEnumCertificatesInStore(store, cert))
    visit(*cert);
}

/// Whether the store lets `cert` vouch for TLS servers. This reads the
/// enhanced key usage *property*, what an administrator restricted the
/// certificate to in the store; the certificate's own extension is OpenSSL's
/// to check. No property: every purpose (CRYPT_E_NOT_FOUND); a property with
/// no purpose, or one that cannot be read: none.
bool trusted_for_servers(const CERT_CONTEXT& cert) {
  DWORD size = 0;
  if (!CertGetEnhancedKeyUsage(&cert, CERT_FIND_PROP_ONLY_ENHKEY_USAGE_FLAG, nullptr, &size))
    return GetLastError() == static_cast<DWORD>(CRYPT_E_NOT_FOUND);
  std::vector<BYTE> buffer(size);
  auto* usage = reinterpret_cast<CERT_ENHKEY_USAGE*>(buffer.data());
  SetLastError(0);
  if (!CertGetEnhancedKeyUsage(&cert, CERT_FIND_PROP_ONLY_ENHKEY_USAGE_FLAG, usage, &size))
    return GetLastError() == static_cast<DWORD>(CRYPT_E_NOT_FOUND);
  if (usage->cUsageIdentifier == 0)
    return GetLastError() == static_cast<DWORD>(CRYPT_E_NOT_FOUND);
  for (DWORD i = 0; i < usage->cUsageIdentifier; ++i)
    if (std::strcmp(usage->rgpszUsageIdentifier[i], szOID_PKIX_KP_SERVER_AUTH) == 0)
      return true;
  return false;
}

/// The DER bytes of every certificate the machine's "Disallowed" store holds
/// (empty when it cannot be opened).
std::set<std::string> disallowed_certificates() {
  std::set<std::string> out;
  if (auto store = open_machine_store(L"Disallowed"))
    for_each_certificate(store.get(), [&](const CERT_CONTEXT& cert) { out.insert(der_of(cert)); });
  return out;
}

/// `cert` as OpenSSL's, or null when OpenSSL cannot parse it.
x509_ptr parse(const CERT_CONTEXT& cert) {
  const unsigned char* der = cert.pbCertEncoded;
  return x509_ptr{d2i_X509(nullptr, &der, static_cast<long>(cert.cbCertEncoded))};
}

} // namespace

caf::expected<size_t> trust_system_store(boost::asio::ssl::context& ctx) {
  auto roots = open_machine_store(L"ROOT");
  if (!roots) {
    auto code = static_cast<int>(GetLastError());
    return make_error(ec::tls_error, "cannot open the machine's ROOT certificate store: "
                                       + std::system_category().message(code) + " ("
                                       + std::to_string(code) + ")");
  }
  auto* trusted = SSL_CTX_get_cert_store(ctx.native_handle());
  auto disallowed = disallowed_certificates();
  size_t added = 0;
  // From the CA store, no self-signed certificate: one put there by mistake
  // is no root to Windows, and OpenSSL would take it for one.
  auto add_from = [&](HCERTSTORE store, bool intermediates) {
    for_each_certificate(store, [&](const CERT_CONTEXT& cert) {
      if (disallowed.contains(der_of(cert)) || !trusted_for_servers(cert))
        return;
      auto parsed = parse(cert);
      if (!parsed)
        return;
      if (intermediates && X509_check_issued(parsed.get(), parsed.get()) == X509_V_OK)
        return;
      if (X509_STORE_add_cert(trusted, parsed.get()) == 1)
        ++added;
    });
  };
  add_from(roots.get(), false);
  if (auto intermediates = open_machine_store(L"CA"))
    add_from(intermediates.get(), true);
  // A certificate OpenSSL cannot parse, or one already present, is skipped,
  // not an error.
  ERR_clear_error();
  return added;
}

} // namespace vigil::detail
