#include "net/certificates.hpp"

#include <algorithm>
// Before OpenSSL's headers: on Windows, Asio's bring in wincrypt.h, whose
// X509_NAME macros OpenSSL's undo.
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <climits>
#include <ctime>
#include <memory>
#include <optional>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/error.hpp"
#include "host/hive_file.hpp"

namespace fs = std::filesystem;

namespace vigil {

namespace {

// -- RAII for OpenSSL objects -------------------------------------------------

/// Frees an OpenSSL object with `free_fn`.
template <auto free_fn>
struct openssl_deleter {
  template <class T>
  void operator()(T* ptr) const noexcept {
    free_fn(ptr);
  }
};

using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO_free_all>>;
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BN_free>>;
using asn1_integer_ptr = std::unique_ptr<ASN1_INTEGER, openssl_deleter<ASN1_INTEGER_free>>;
using asn1_octet_string_ptr
  = std::unique_ptr<ASN1_OCTET_STRING, openssl_deleter<ASN1_OCTET_STRING_free>>;
using asn1_ia5string_ptr = std::unique_ptr<ASN1_IA5STRING, openssl_deleter<ASN1_IA5STRING_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509_free>>;
using extension_ptr = std::unique_ptr<X509_EXTENSION, openssl_deleter<X509_EXTENSION_free>>;
using general_name_ptr = std::unique_ptr<GENERAL_NAME, openssl_deleter<GENERAL_NAME_free>>;
using general_names_ptr = std::unique_ptr<GENERAL_NAMES, openssl_deleter<GENERAL_NAMES_free>>;

// -- errors -------------------------------------------------------------------

/// Drains this thread's OpenSSL error queue into one message.
std::string drain_openssl_errors() {
  std::string out;
  char buf[256];
  while (auto code = ERR_get_error()) {
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty())
      out += "; ";
    out += buf;
  }
  return out.empty() ? std::string{"no OpenSSL error reported"} : out;
}

/// An `ec::tls_error` naming `what` failed and why, by OpenSSL's account.
caf::error openssl_failure(const std::string& what) {
  return make_error(ec::tls_error, what + ": " + drain_openssl_errors());
}

// -- PEM ----------------------------------------------------------------------

/// Refuses to prompt for a passphrase (OpenSSL's default reads the terminal).
int no_passphrase(char*, int, int, void*) {
  return -1;
}

caf::expected<bio_ptr> memory_bio(std::string_view bytes, const std::string& what) {
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    return make_error(ec::invalid_argument, what + ": PEM text too large");
  bio_ptr bio{BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size()))};
  if (!bio)
    return openssl_failure(what + ": BIO_new_mem_buf");
  return bio;
}

/// The first certificate of `pem`; `what` names its origin in errors.
caf::expected<x509_ptr> parse_cert(std::string_view pem, const std::string& what) {
  auto bio = memory_bio(pem, what);
  if (!bio)
    return bio.error();
  x509_ptr cert{PEM_read_bio_X509(bio->get(), nullptr, no_passphrase, nullptr)};
  if (!cert)
    return openssl_failure("cannot read a certificate from " + what);
  return cert;
}

/// The (unencrypted) private key in `pem`; `what` names its origin in errors.
caf::expected<pkey_ptr> parse_key(std::string_view pem, const std::string& what) {
  auto bio = memory_bio(pem, what);
  if (!bio)
    return bio.error();
  pkey_ptr key{PEM_read_bio_PrivateKey(bio->get(), nullptr, no_passphrase, nullptr)};
  if (!key)
    return openssl_failure("cannot read a private key from " + what);
  return key;
}

/// Everything written to the memory BIO `bio`.
std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  auto size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string{};
}

caf::expected<std::string> cert_to_pem(X509* cert) {
  bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    return openssl_failure("PEM_write_bio_X509");
  return bio_contents(bio.get());
}

caf::expected<std::string> key_to_pem(EVP_PKEY* key) {
  bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return openssl_failure("PEM_write_bio_PrivateKey");
  return bio_contents(bio.get());
}

// -- building a certificate ---------------------------------------------------

caf::expected<pkey_ptr> generate_key(key_type type) {
  pkey_ptr key;
  switch (type) {
    case key_type::ec_p256:
      key.reset(EVP_EC_gen("P-256"));
      break;
    case key_type::rsa_2048:
      key.reset(EVP_RSA_gen(2048));
      break;
  }
  if (!key)
    return openssl_failure("generating a key pair");
  return key;
}

/// A positive serial of 16 random bytes (the top bit cleared), as RFC 5280
/// and the CA/Browser Forum want: unique without keeping state.
caf::expected<void> set_random_serial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1)
    return openssl_failure("RAND_bytes");
  bytes[0] &= 0x7f;
  bignum_ptr number{BN_bin2bn(bytes, sizeof(bytes), nullptr)};
  if (!number)
    return openssl_failure("BN_bin2bn");
  asn1_integer_ptr serial{BN_to_ASN1_INTEGER(number.get(), nullptr)};
  if (!serial || X509_set_serialNumber(cert, serial.get()) != 1)
    return openssl_failure("setting the serial number");
  return {};
}

caf::expected<void> set_validity(X509* cert, const cert_request& request) {
  if (request.valid_for.count() <= 0)
    return make_error(ec::invalid_argument, "certificate validity must be positive");
  auto now = std::time(nullptr);
  long from = static_cast<long>(request.not_before_offset.count());
  long to = from + static_cast<long>(request.valid_for.count());
  if (X509_time_adj_ex(X509_getm_notBefore(cert), 0, from, &now) == nullptr
      || X509_time_adj_ex(X509_getm_notAfter(cert), 0, to, &now) == nullptr)
    return openssl_failure("setting the validity period");
  return {};
}

/// The common name a request asks for, or its first SAN when it names none.
caf::expected<std::string> common_name_of(const cert_request& request) {
  if (!request.common_name.empty())
    return request.common_name;
  if (!request.dns_names.empty())
    return request.dns_names.front();
  if (!request.ip_addresses.empty())
    return request.ip_addresses.front();
  return make_error(ec::invalid_argument, "a certificate request needs a common name or a SAN");
}

caf::expected<void> set_subject(X509* cert, const std::string& common_name) {
  auto* name = X509_get_subject_name(cert);
  auto* bytes = reinterpret_cast<const unsigned char*>(common_name.data());
  if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, bytes,
                                 static_cast<int>(common_name.size()), -1, 0)
      != 1)
    return openssl_failure("setting the subject CN=" + common_name);
  return {};
}

/// Adds the extension `nid` given in OpenSSL's configuration syntax.
caf::expected<void> add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  extension_ptr ext{X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str())};
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return openssl_failure(std::string{"adding the extension "} + OBJ_nid2sn(nid) + "=" + value);
  return {};
}

/// Whether `name` can be a dNSName: printable ASCII, no spaces, not empty.
bool usable_dns_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return c > ' ' && c < 0x7f;
  });
}

/// Adds subjectAltName with every DNS and IP entry of `request`; built from
/// GENERAL_NAME objects rather than configuration text, so that no name can
/// inject further entries.
caf::expected<void> add_subject_alt_names(X509* cert, const cert_request& request) {
  if (request.dns_names.empty() && request.ip_addresses.empty())
    return {};
  general_names_ptr names{GENERAL_NAMES_new()};
  if (!names)
    return openssl_failure("GENERAL_NAMES_new");
  // Takes `value` (a unique_ptr); on every path it is freed or owned by `names`.
  auto push = [&](int type, auto value) -> caf::expected<void> {
    general_name_ptr entry{GENERAL_NAME_new()};
    if (!entry)
      return openssl_failure("GENERAL_NAME_new");
    GENERAL_NAME_set0_value(entry.get(), type, value.release());
    if (sk_GENERAL_NAME_push(names.get(), entry.get()) <= 0)
      return openssl_failure("adding a subjectAltName entry");
    entry.release(); // now owned by `names`
    return {};
  };
  for (auto& dns : request.dns_names) {
    if (!usable_dns_name(dns))
      return make_error(ec::invalid_argument, "not a usable DNS name: '" + dns + "'");
    asn1_ia5string_ptr text{ASN1_IA5STRING_new()};
    if (!text || ASN1_STRING_set(text.get(), dns.data(), static_cast<int>(dns.size())) != 1)
      return openssl_failure("encoding the DNS name " + dns);
    if (auto pushed = push(GEN_DNS, std::move(text)); !pushed)
      return pushed.error();
  }
  for (auto& ip : request.ip_addresses) {
    asn1_octet_string_ptr address{a2i_IPADDRESS(ip.c_str())};
    if (!address) {
      ERR_clear_error();
      return make_error(ec::invalid_argument, "not an IP address: '" + ip + "'");
    }
    if (auto pushed = push(GEN_IPADD, std::move(address)); !pushed)
      return pushed.error();
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
    return openssl_failure("adding subjectAltName");
  return {};
}

/// Issues a certificate for `request`; `issuer_cert`/`issuer_key` sign it, or
/// the new certificate signs itself when they are null.
caf::expected<key_and_cert> issue(const cert_request& request, bool is_ca, X509* issuer_cert,
                                  EVP_PKEY* issuer_key) {
  auto common_name = common_name_of(request);
  if (!common_name)
    return common_name.error();
  auto key = generate_key(request.key);
  if (!key)
    return key.error();
  x509_ptr cert{X509_new()};
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1)
    return openssl_failure("X509_new");
  if (auto ok = set_random_serial(cert.get()); !ok)
    return ok.error();
  if (auto ok = set_validity(cert.get(), request); !ok)
    return ok.error();
  if (auto ok = set_subject(cert.get(), *common_name); !ok)
    return ok.error();
  auto* issuer_name = X509_get_subject_name(issuer_cert ? issuer_cert : cert.get());
  if (X509_set_issuer_name(cert.get(), issuer_name) != 1
      || X509_set_pubkey(cert.get(), key->get()) != 1)
    return openssl_failure("setting the issuer and public key");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert ? issuer_cert : cert.get(), cert.get(), nullptr, nullptr, 0);
  // The authority key identifier names the issuer's subject key identifier; an
  // issuer made elsewhere without one is named by issuer name and serial.
  bool issuer_has_key_id = issuer_cert == nullptr
                           || X509_get_ext_by_NID(issuer_cert, NID_subject_key_identifier, -1) >= 0;
  std::vector<std::pair<int, std::string>> extensions;
  if (is_ca) {
    extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                  {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"}};
  } else {
    // keyEncipherment only means something for RSA key exchange.
    extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                  {NID_key_usage, request.key == key_type::rsa_2048
                                    ? "critical,digitalSignature,keyEncipherment"
                                    : "critical,digitalSignature"},
                  {NID_ext_key_usage, "serverAuth"}};
  }
  // The subject key identifier first: a self-signed certificate's authority key
  // identifier copies it.
  extensions.emplace_back(NID_subject_key_identifier, "hash");
  extensions.emplace_back(NID_authority_key_identifier,
                          issuer_has_key_id ? "keyid:always" : "issuer:always");
  for (auto& [nid, value] : extensions)
    if (auto ok = add_extension(cert.get(), &ctx, nid, value); !ok)
      return ok.error();
  if (auto ok = add_subject_alt_names(cert.get(), request); !ok)
    return ok.error();

  if (X509_sign(cert.get(), issuer_key ? issuer_key : key->get(), EVP_sha256()) <= 0)
    return openssl_failure("signing the certificate for " + *common_name);
  auto key_pem = key_to_pem(key->get());
  if (!key_pem)
    return key_pem.error();
  auto cert_pem = cert_to_pem(cert.get());
  if (!cert_pem)
    return cert_pem.error();
  return key_and_cert{std::move(*key_pem), std::move(*cert_pem)};
}

// -- the platform's files -----------------------------------------------------

constexpr auto renew_before = std::chrono::hours{24 * 30};
constexpr auto ca_lifetime = std::chrono::hours{24 * 3650};
constexpr auto server_lifetime = std::chrono::hours{24 * 397};
constexpr unsigned key_mode = 0600;
constexpr unsigned cert_mode = 0644;

/// The platform's CA as loaded from (or just written to) the data directory.
struct loaded_ca {
  x509_ptr cert;
  pkey_ptr key; ///< null when ca.key is missing: the CA cannot sign
  std::string cert_pem;
  bool created = false;
};

/// Reads a file that may be absent: an empty optional when it is.
caf::expected<std::optional<std::string>> read_optional(const fs::path& file) {
  auto bytes = read_whole_file(file);
  if (bytes)
    return std::optional<std::string>{std::move(*bytes)};
  if (code_of(bytes.error()) == ec::not_found)
    return std::optional<std::string>{};
  return bytes.error();
}

caf::expected<loaded_ca> create_ca(const fs::path& dir) {
  cert_request request;
  request.common_name = "Vigil Platform CA";
  request.valid_for = ca_lifetime;
  auto made = make_self_signed_ca(request);
  if (!made)
    return made.error();
  // The key first: a crash in between leaves a key without a certificate, which
  // the next start replaces (no agent can trust a CA that was never written).
  if (auto ok = write_file_atomically(dir / "ca.key", made->key_pem, key_mode); !ok)
    return ok.error();
  if (auto ok = write_file_atomically(dir / "ca.pem", made->cert_pem, cert_mode); !ok)
    return ok.error();
  auto cert = parse_cert(made->cert_pem, "the new CA");
  auto key = parse_key(made->key_pem, "the new CA key");
  if (!cert)
    return cert.error();
  if (!key)
    return key.error();
  return loaded_ca{std::move(*cert), std::move(*key), std::move(made->cert_pem), true};
}

caf::expected<loaded_ca> load_or_create_ca(const fs::path& dir) {
  auto cert_pem = read_optional(dir / "ca.pem");
  if (!cert_pem)
    return cert_pem.error();
  if (!*cert_pem)
    return create_ca(dir);
  auto cert = parse_cert(**cert_pem, (dir / "ca.pem").string());
  if (!cert)
    return cert.error();
  loaded_ca ca{std::move(*cert), nullptr, std::move(**cert_pem), false};
  auto key_pem = read_optional(dir / "ca.key");
  if (!key_pem)
    return key_pem.error();
  if (*key_pem) {
    auto key = parse_key(**key_pem, (dir / "ca.key").string());
    if (!key)
      return key.error();
    if (X509_check_private_key(ca.cert.get(), key->get()) != 1)
      return openssl_failure((dir / "ca.key").string() + " does not match "
                             + (dir / "ca.pem").string());
    ca.key = std::move(*key);
  }
  return ca;
}

/// Whether `dir/server.pem` and `dir/server.key` can stay: readable, matching,
/// issued by `ca`, naming every entry, and valid for more than `renew_before`.
bool server_certificate_is_current(const fs::path& dir, X509* ca,
                                   const std::vector<std::string>& dns_names,
                                   const std::vector<std::string>& ip_addresses) {
  auto cert_pem = read_whole_file(dir / "server.pem");
  auto key_pem = read_whole_file(dir / "server.key");
  if (!cert_pem || !key_pem)
    return false;
  auto cert = parse_cert(*cert_pem, "server.pem");
  auto key = parse_key(*key_pem, "server.key");
  if (!cert || !key)
    return false;
  auto* leaf = cert->get();
  auto renew_at = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()
                                                       + renew_before);
  bool current = X509_check_private_key(leaf, key->get()) == 1
                 && X509_check_issued(ca, leaf) == X509_V_OK
                 && X509_verify(leaf, X509_get0_pubkey(ca)) == 1
                 && X509_cmp_time(X509_get0_notBefore(leaf), nullptr) < 0
                 && X509_cmp_time(X509_get0_notAfter(leaf), &renew_at) > 0;
  for (auto& name : dns_names)
    current = current && X509_check_host(leaf, name.data(), name.size(), 0, nullptr) == 1;
  for (auto& ip : ip_addresses)
    current = current && X509_check_ip_asc(leaf, ip.c_str(), 0) == 1;
  ERR_clear_error(); // a failed check is an answer, not an error
  return current;
}

/// Whether `text` is an IPv4 or IPv6 address as inet_pton reads them (Asio's
/// parser, which is inet_pton on POSIX and portable, but for the "%scope" it
/// also takes: no address in a certificate has one).
bool is_ip_address(const std::string& text) {
  boost::system::error_code error;
  boost::asio::ip::make_address(text, error);
  return !error && text.find('%') == std::string::npos;
}

void add_unique(std::vector<std::string>& list, std::string value) {
  if (std::find(list.begin(), list.end(), value) == list.end())
    list.push_back(std::move(value));
}

} // namespace

caf::expected<key_and_cert> make_self_signed_ca(const cert_request& request) {
  ERR_clear_error();
  return issue(request, true, nullptr, nullptr);
}

caf::expected<key_and_cert> make_signed_cert(const cert_request& request,
                                             const key_and_cert& issuer) {
  ERR_clear_error();
  auto issuer_cert = parse_cert(issuer.cert_pem, "the issuer's certificate");
  if (!issuer_cert)
    return issuer_cert.error();
  auto issuer_key = parse_key(issuer.key_pem, "the issuer's key");
  if (!issuer_key)
    return issuer_key.error();
  if (X509_check_private_key(issuer_cert->get(), issuer_key->get()) != 1)
    return openssl_failure("the issuer's key does not match its certificate");
  return issue(request, request.is_ca, issuer_cert->get(), issuer_key->get());
}

caf::expected<void> ensure_platform_certificates(const fs::path& data_dir,
                                                 std::vector<std::string> host_names_and_ips) {
  ERR_clear_error();
  std::vector<std::string> dns_names{"localhost"};
  std::vector<std::string> ip_addresses{"127.0.0.1", "::1"};
  for (auto& entry : host_names_and_ips) {
    if (entry.size() >= 2 && entry.front() == '[' && entry.back() == ']')
      entry = entry.substr(1, entry.size() - 2); // "[::1]", as in URLs
    if (entry.empty())
      continue;
    if (is_ip_address(entry)) {
      add_unique(ip_addresses, std::move(entry));
    } else {
      std::transform(entry.begin(), entry.end(), entry.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      add_unique(dns_names, std::move(entry));
    }
  }
  for (auto& name : dns_names)
    if (!usable_dns_name(name))
      return make_error(ec::invalid_argument, "not a usable host name: '" + name + "'");

  auto ca = load_or_create_ca(data_dir);
  if (!ca)
    return ca.error();
  if (!ca->created
      && server_certificate_is_current(data_dir, ca->cert.get(), dns_names, ip_addresses))
    return {};
  if (!ca->key)
    return make_error(ec::tls_error, "the server certificate in " + data_dir.string()
                                       + " must be issued again, but ca.key is missing");

  cert_request request;
  request.common_name = dns_names.size() > 1 ? dns_names[1] : dns_names[0];
  request.dns_names = dns_names;
  request.ip_addresses = ip_addresses;
  request.valid_for = server_lifetime;
  auto ca_key_pem = key_to_pem(ca->key.get());
  if (!ca_key_pem)
    return ca_key_pem.error();
  auto server = make_signed_cert(request, key_and_cert{std::move(*ca_key_pem), ca->cert_pem});
  if (!server)
    return server.error();
  // The key first: a crash in between leaves the old certificate beside a key
  // it does not match, which the next start detects and replaces.
  if (auto ok = write_file_atomically(data_dir / "server.key", server->key_pem, key_mode); !ok)
    return ok.error();
  auto ca_pem = cert_to_pem(ca->cert.get());
  if (!ca_pem)
    return ca_pem.error();
  return write_file_atomically(data_dir / "server.pem", server->cert_pem + *ca_pem, cert_mode);
}

caf::expected<std::chrono::system_clock::time_point>
certificate_not_after(std::string_view cert_pem) {
  ERR_clear_error();
  auto cert = parse_cert(cert_pem, "the PEM text");
  if (!cert)
    return cert.error();
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert->get()), &tm) != 1)
    return openssl_failure("reading notAfter");
  // UTC fields to a time point: timegm, which Windows lacks, by the calendar.
  using namespace std::chrono;
  auto date = sys_days{year{tm.tm_year + 1900} / month(static_cast<unsigned>(tm.tm_mon + 1))
                       / day(static_cast<unsigned>(tm.tm_mday))};
  return time_point_cast<system_clock::duration>(date + hours{tm.tm_hour}
                                                 + minutes{tm.tm_min} + seconds{tm.tm_sec});
}

caf::expected<std::string> certificate_subject(std::string_view cert_pem) {
  ERR_clear_error();
  auto cert = parse_cert(cert_pem, "the PEM text");
  if (!cert)
    return cert.error();
  bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio
      || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert->get()), 0, XN_FLAG_RFC2253)
           < 0)
    return openssl_failure("printing the subject");
  return bio_contents(bio.get());
}

} // namespace vigil
