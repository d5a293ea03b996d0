#include "protocol/zstd.hpp"

#include <memory>
#include <new>

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

} // namespace vigil::protocol
