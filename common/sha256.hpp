#pragma once

#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace vigil {

/// The SHA-256 of `data` as 64 lowercase hex digits. Throws `std::bad_alloc`
/// when OpenSSL cannot allocate its context (its only failure mode).
std::string sha256_hex(std::string_view data);

/// Whether `text` is a SHA-256 as the protocol spells it: exactly 64 lowercase
/// hex digits.
bool is_sha256_hex(std::string_view text) noexcept;

/// An incremental SHA-256, for data that arrives in pieces (delta chunks,
/// package downloads): `update` any number of times, then `finish_hex` once.
class sha256_hasher {
public:
  /// A hasher over no data yet. Throws `std::bad_alloc` like `sha256_hex`.
  sha256_hasher();

  ~sha256_hasher();

  sha256_hasher(const sha256_hasher&) = delete;
  sha256_hasher& operator=(const sha256_hasher&) = delete;

  /// Appends `data` to the hashed input.
  void update(std::string_view data);

  /// The hash of everything passed to `update`, as 64 lowercase hex digits. The
  /// hasher then starts over, empty.
  std::string finish_hex();

private:
  evp_md_ctx_st* ctx_;
};

} // namespace vigil
