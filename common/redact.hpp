#pragma once

#include <string>
#include <string_view>

namespace vigil {

/// What every hidden secret is replaced with.
inline constexpr std::string_view redaction_mask = "***";

/// Adds `secret` to the process-wide set of values that `redact` hides
/// everywhere (a decrypted proxy password, an agent token, an SPFKEY). Call it
/// where the secret enters the process, before anything can log it. Its
/// percent-encoded form (as it appears inside a URL) is hidden too. An empty
/// secret is ignored; registering twice is harmless. Secrets stay registered
/// for the life of the process. Thread-safe.
void register_secret(std::string_view secret);

/// Returns `text` with every registered secret and every value that looks like
/// a credential replaced by `redaction_mask`, even when it was never
/// registered: `password=`, `passwd=`, `pwd=`, `passphrase=`, `token=`,
/// `secret=`, `credential=`, `SPFKEY=`, `apikey=`, `key=` style assignments
/// (case-insensitive, any key ending in one of those words), JSON fields with
/// those names or `"authorization"`, `Authorization:` and
/// `Proxy-Authorization:` headers (the scheme word is kept), `Bearer <token>`,
/// the password of URL userinfo (`http://user:***@host`) and vigil-proxy's
/// `/p <password>`. Everything else is kept byte for byte, so
/// `redact(redact(x)) == redact(x)`. Thread-safe; a line with no registered
/// secret and no trigger word costs one scan and a copy.
std::string redact(std::string_view text);

} // namespace vigil
