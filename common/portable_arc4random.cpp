// Compiled only into portable builds (-DVIGIL_PORTABLE=ON: cmake/portable.cmake;
// cmake/vigil.cmake links it into every program and test binary): glibc 2.36's
// arc4random, for the C++ runtime linked into the programs.
//
// GCC 12's libstdc++.a, built by Debian against glibc 2.36, makes
// std::random_device (CAF seeds with it, as do Vigil's jitters) call
// arc4random, which glibc defines only from 2.36 on: the programs would not
// load on RHEL 9's glibc 2.34. Defined here, in the program itself, the
// static runtime's reference binds to this definition at link time and the
// program asks glibc for no GLIBC_2.36 symbol (tests/installer/
// rpm_package_test checks the versions asked for). Hand-written on purpose:
// glibc's own draws from the kernel's generator the same way (getrandom(2),
// glibc 2.25), with no fallback that could return weaker bytes.

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <stdlib.h>
#include <sys/random.h>

extern "C" uint32_t arc4random(void) noexcept {
  uint32_t value = 0;
  auto* bytes = reinterpret_cast<unsigned char*>(&value);
  for (size_t got = 0; got < sizeof value;) {
    auto n = ::getrandom(bytes + got, sizeof value - got, 0);
    if (n > 0)
      got += static_cast<size_t>(n);
    else if (n < 0 && errno != EINTR)
      std::abort(); // as glibc's: no random bytes is not an answer
  }
  return value;
}
