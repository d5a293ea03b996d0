#pragma once

#include <caf/error.hpp>
#include <string>

namespace vigil {

/// An `ec::unspecified` error reading "`what`: <OpenSSL's queued reasons>",
/// the thread's OpenSSL error queue emptied so the reasons do not resurface in
/// an unrelated caller.
caf::error openssl_error(std::string what);

} // namespace vigil
