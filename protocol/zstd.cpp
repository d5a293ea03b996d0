#include "protocol/zstd.hpp"

#include <memory>
#include <new>
#include <stdexcept>

#include <zstd.h>

#include "common/error.hpp"

namespace vigil::protocol {

zstd_compressor::zstd_compressor(int level) : ctx_(ZSTD_createCCtx()) {
  if (ctx_ == nullptr)
    throw std::bad_alloc{};
  if (ZSTD_isError(ZSTD_CCtx_setParameter(ctx_, ZSTD_c_compressionLevel, level))
      || ZSTD_isError(ZSTD_CCtx_setParameter(ctx_, ZSTD_c_checksumFlag, 1))) {
    ZSTD_freeCCtx(ctx_);
    throw std::bad_alloc{};
  }
}

zstd_compressor::~zstd_compressor() {
  ZSTD_freeCCtx(ctx_);
}

void zstd_compressor::drive(std::string_view data, int mode) {
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  auto directive = static_cast<ZSTD_EndDirective>(mode);
  for (;;) {
    auto old_size = out_.size();
    auto room = ZSTD_CStreamOutSize();
    out_.resize(old_size + room);
    ZSTD_outBuffer out{out_.data() + old_size, room, 0};
    auto remaining = ZSTD_compressStream2(ctx_, &out, &in, directive);
    out_.resize(old_size + out.pos);
    if (ZSTD_isError(remaining))
      throw std::bad_alloc{};
    bool done = directive == ZSTD_e_continue ? in.pos == in.size : remaining == 0;
    if (done)
      return;
  }
}

void zstd_compressor::write(std::string_view data) {
  drive(data, ZSTD_e_continue);
}

std::string zstd_compressor::finish() {
  drive({}, ZSTD_e_end);
  return std::move(out_);
}

std::string zstd_compress(std::string_view data, int level) {
  zstd_compressor compressor{level};
  compressor.write(data);
  return compressor.finish();
}

caf::expected<std::string> zstd_decompress(std::string_view data, size_t max_size,
                                           std::string_view what) {
  auto name = std::string{what};
  if (data.empty())
    return make_error(ec::corruption, name + ": truncated zstd data (empty)");
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx{ZSTD_createDCtx(), ZSTD_freeDCtx};
  if (!ctx || ZSTD_isError(ZSTD_DCtx_setParameter(ctx.get(), ZSTD_d_windowLogMax,
                                                  max_zstd_window_log)))
    throw std::bad_alloc{};
  std::string out;
  std::string buffer(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  // zstd consumes the last byte of a frame only once all of its output has been
  // flushed, so the input running out is the end; a non-zero hint then means
  // the stream stopped inside a frame.
  size_t hint = 1;
  while (in.pos < in.size) {
    ZSTD_outBuffer chunk{buffer.data(), buffer.size(), 0};
    hint = ZSTD_decompressStream(ctx.get(), &chunk, &in);
    if (ZSTD_isError(hint))
      return make_error(ec::corruption,
                        name + ": corrupt zstd data: " + ZSTD_getErrorName(hint));
    if (chunk.pos > max_size - out.size())
      return make_error(ec::protocol_error, name + ": too large: decompresses to more than "
                                              + std::to_string(max_size) + " bytes");
    out.append(buffer.data(), chunk.pos);
  }
  if (hint != 0)
    return make_error(ec::corruption, name + ": truncated zstd data");
  return out;
}

namespace {

/// The smallest window log covering `bytes`, at least zstd's minimum.
int window_log_for(size_t bytes) {
  int log = 10; // zstd's smallest window
  while (log < 31 && (size_t{1} << log) < bytes)
    ++log;
  return log;
}

} // namespace

std::string zstd_patch(std::string_view reference, std::string_view target, int level) {
  if (!patch_window_fits(reference.size(), target.size()))
    throw std::invalid_argument{"zstd_patch: reference and target exceed the patch window"};
  auto window = window_log_for(reference.size() + target.size());
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> ctx{ZSTD_createCCtx(), ZSTD_freeCCtx};
  if (!ctx)
    throw std::bad_alloc{};
  auto set = [&](ZSTD_cParameter p, int v) {
    if (ZSTD_isError(ZSTD_CCtx_setParameter(ctx.get(), p, v)))
      throw std::bad_alloc{};
  };
  set(ZSTD_c_compressionLevel, level);
  set(ZSTD_c_checksumFlag, 1);
  set(ZSTD_c_contentSizeFlag, 1);
  set(ZSTD_c_windowLog, window);
  set(ZSTD_c_enableLongDistanceMatching, 1);
  if (ZSTD_isError(ZSTD_CCtx_refPrefix(ctx.get(), reference.data(), reference.size())))
    throw std::bad_alloc{};
  std::string out(ZSTD_compressBound(target.size()), '\0');
  auto n = ZSTD_compress2(ctx.get(), out.data(), out.size(), target.data(), target.size());
  if (ZSTD_isError(n))
    throw std::bad_alloc{};
  out.resize(n);
  return out;
}

caf::expected<std::string> zstd_apply_patch(std::string_view reference, std::string_view patch,
                                            size_t size, std::string_view what) {
  auto name = std::string{what};
  auto declared = ZSTD_getFrameContentSize(patch.data(), patch.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR || declared == ZSTD_CONTENTSIZE_UNKNOWN)
    return make_error(ec::corruption, name + ": not a zstd patch with its content size");
  if (declared != size)
    return make_error(ec::corruption, name + ": rebuilds " + std::to_string(declared)
                                        + " bytes, " + std::to_string(size) + " expected");
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx{ZSTD_createDCtx(), ZSTD_freeDCtx};
  if (!ctx || ZSTD_isError(ZSTD_DCtx_setParameter(ctx.get(), ZSTD_d_windowLogMax,
                                                  max_patch_window_log)))
    throw std::bad_alloc{};
  if (ZSTD_isError(ZSTD_DCtx_refPrefix(ctx.get(), reference.data(), reference.size())))
    throw std::bad_alloc{};
  std::string out(size, '\0');
  auto n = ZSTD_decompressDCtx(ctx.get(), out.data(), out.size(), patch.data(), patch.size());
  if (ZSTD_isError(n))
    return make_error(ec::corruption, name + ": " + ZSTD_getErrorName(n));
  if (n != size)
    return make_error(ec::corruption, name + ": rebuilt " + std::to_string(n) + " bytes, "
                                        + std::to_string(size) + " expected");
  return out;
}

} // namespace vigil::protocol
