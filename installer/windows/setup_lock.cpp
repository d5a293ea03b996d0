#include "installer/setup_lock.hpp"

#include <windows.h>

#include "common/error.hpp"
#include "common/sha256.hpp"
#include "host/paths.hpp"
#include "host/windows/named_mutex.hpp"

namespace vigil {

namespace {

/// The mutex of the installs into `root`: one name for the system's, one per
/// test root (mutex names hold no backslash after the namespace, hence a hash).
std::string mutex_name(const std::filesystem::path& root) {
  if (root == paths::system_root())
    return "Global\\VigilSetup";
  auto text = root.lexically_normal().generic_u8string();
  std::string utf8{text.begin(), text.end()};
  for (auto& c : utf8)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a'); // Windows paths ignore case
  return "Global\\VigilSetup-" + sha256_hex(utf8).substr(0, 16);
}

} // namespace

struct setup_lock::held {
  win::held_mutex mutex;
};

caf::expected<setup_lock> setup_lock::take(const std::filesystem::path& root, caller who) {
  // Windows Installer holds this mutex while it installs any product; its
  // ERROR_INSTALL_ALREADY_RUNNING is the 1618 a deployment tool retries on.
  if (who == caller::standalone) {
    win::unique_handle installing{::OpenMutexW(SYNCHRONIZE, FALSE, L"Global\\_MSIExecute")};
    if (installing)
      return make_error(ec::busy, "Windows Installer is installing another product "
                                  "(Global\\_MSIExecute is held)");
  }
  auto name = mutex_name(root);
  auto mutex = win::held_mutex::take(name, std::chrono::milliseconds{0});
  if (!mutex) {
    if (code_of(mutex.error()) == ec::lock_failed)
      return make_error(ec::busy, "another installation is in progress on "
                                    + win::display(root) + " (" + name + ")");
    return mutex.error();
  }
  return setup_lock{std::make_unique<held>(held{std::move(*mutex)})};
}

setup_lock::setup_lock(std::unique_ptr<held> h) noexcept : held_{std::move(h)} {
}

setup_lock::setup_lock(setup_lock&& other) noexcept = default;

setup_lock::~setup_lock() = default;

} // namespace vigil
