#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

struct ZSTD_CCtx_s;

namespace vigil::protocol {

/// The zstd level deltas are compressed with: fast, and its 2 MiB window stays
/// far below what `zstd_decompress` accepts.
inline constexpr int default_zstd_level = 3;

/// The largest window (log2 bytes) `zstd_decompress` accepts: 8 MiB, the most a
/// hostile frame can make the decoder allocate for its window.
inline constexpr int max_zstd_window_log = 23;

/// Compresses data given in pieces into one zstd frame with a content checksum.
/// Throws `std::bad_alloc` when zstd cannot allocate (its only failure mode with
/// the parameters used).
class zstd_compressor {
public:
  /// A compressor at `level` (1 to 19).
  explicit zstd_compressor(int level = default_zstd_level);

  ~zstd_compressor();

  zstd_compressor(const zstd_compressor&) = delete;
  zstd_compressor& operator=(const zstd_compressor&) = delete;

  /// Appends `data` to the input.
  void write(std::string_view data);

  /// Ends the frame and returns the compressed bytes of everything written. The
  /// compressor must not be used afterwards.
  std::string finish();

private:
  void drive(std::string_view data, int mode);

  ZSTD_CCtx_s* ctx_;
  std::string out_;
};

/// `data` compressed as one zstd frame (see `zstd_compressor`).
std::string zstd_compress(std::string_view data, int level = default_zstd_level);

/// The decompressed bytes of `data` (one or more zstd frames), never holding more
/// than `max_size` bytes of output: data that would decompress to more is an
/// `ec::protocol_error` "<what>: too large: decompresses to more than N bytes",
/// detected without allocating beyond the cap. Bytes that are not zstd, fail a
/// frame checksum, need a window over `max_zstd_window_log`, or end inside a
/// frame are an `ec::corruption` error "<what>: corrupt zstd data: ..." or
/// "<what>: truncated zstd data".
caf::expected<std::string> zstd_decompress(std::string_view data, size_t max_size,
                                           std::string_view what = "zstd");

/// The largest window (log2 bytes) of a package patch: the reference and the
/// target together (two expanded packages of about 35 MB each fit in 2^27).
inline constexpr int max_patch_window_log = 28;

/// Whether a patch between a reference and a target of these sizes fits
/// `max_patch_window_log` (zstd_patch refuses the others).
constexpr bool patch_window_fits(size_t reference_size, size_t target_size) {
  return reference_size + target_size <= (size_t{1} << max_patch_window_log);
}

/// `target` as a zstd patch against `reference` (what `zstd --patch-from`
/// makes: the reference is a raw prefix the frame copies from, with
/// long-distance matching and a window covering both), at `level` (1 to 19;
/// 19 is smallest and slowest). One frame with the content size and a
/// checksum. Throws `std::bad_alloc` when zstd cannot allocate, and
/// `std::invalid_argument` when the two exceed `max_patch_window_log`.
std::string zstd_patch(std::string_view reference, std::string_view target, int level);

/// The target rebuilt from `patch` and the `reference` it was made against;
/// exactly `size` bytes (the size the caller trusts, e.g. signed), decoded in
/// one pass into a buffer of that size (no window buffer beyond it). A patch
/// that names another content size, needs a larger window, is not zstd, fails
/// its checksum, or was made against another reference (its checksum then
/// fails, or it decodes to other bytes, which the caller's hash catches) is an
/// `ec::corruption` error "<what>: ...".
caf::expected<std::string> zstd_apply_patch(std::string_view reference, std::string_view patch,
                                            size_t size, std::string_view what = "patch");

} // namespace vigil::protocol
