// storage_crash_writer DIR READY_FILE TAG: opens the rocksdb_store in DIR and writes
// crash_layout batches forever, continuing after the last batch in the store,
// alternately synced and unsynced. After its first batch it creates READY_FILE so
// the test knows it is writing. It prints nothing unless a write fails (then it
// exits 1); the test ends it with SIGKILL.

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "common/error.hpp"
#include "storage/rocksdb_store.hpp"
#include "tests/storage/crash_layout.hpp"

namespace layout = vigil::test::crash_layout;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: storage_crash_writer DIR READY_FILE TAG\n");
    return 2;
  }
  std::string tag = argv[3];
  auto fail = [](const caf::error& err) {
    std::fprintf(stderr, "storage_crash_writer: %s\n", vigil::render(err).c_str());
    return 1;
  };
  auto store = vigil::rocksdb_store::open(argv[1], vigil::agent_columns());
  if (!store)
    return fail(store.error());
  auto next = (*store)->get("meta", layout::next_key);
  if (!next)
    return fail(next.error());
  uint64_t n = next->has_value() ? std::stoull(**next) : 0;
  for (bool first = true;; first = false, ++n) {
    auto res = (*store)->write(layout::make_batch(n, tag), {.sync = n % 2 == 0});
    if (!res)
      return fail(res.error());
    if (first)
      std::ofstream{argv[2]} << n << '\n';
  }
}
