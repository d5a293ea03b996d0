#include "actors/upload_logic.hpp"

namespace vigil {

upload_step decide_upload(uint64_t seq, bool full, uint64_t expected_seq) noexcept {
  if (seq == expected_seq)
    return upload_step::send;
  if (!full && seq + 1 == expected_seq)
    return upload_step::acknowledge;
  return upload_step::renumber;
}

} // namespace vigil
