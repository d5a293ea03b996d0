#pragma once

#include <caf/expected.hpp>
#include <string>
#include <string_view>
#include <vector>

// Windows-style command lines (SPEC §3, §10): deployment tools hand setup and
// vigil-proxy one string, and errors about it must quote arguments safely.
// Lives in host/ (the lowest layer both installer/ and tools/ may use, DESIGN
// layering) because both setup's `Proxy=` and vigil-proxy need it. Pure
// functions: no file system, no network, no CAF actors.

namespace vigil {

/// Splits a whole command line the way Windows programs split theirs
/// (CommandLineToArgvW), because deployment tools (SCCM, Intune, BigFix) hand
/// over one string, not an argv: arguments are separated by spaces, tabs and
/// line breaks; `"` toggles quoting (spaces inside quotes are kept, the quotes
/// are dropped, `""` is an empty argument); `\"` is a literal quote, and in
/// general 2n backslashes before a `"` give n backslashes and a quote toggle,
/// 2n+1 give n backslashes and a literal quote; backslashes anywhere else are
/// literal. An unterminated quote is an `ec::invalid_argument` error that names
/// its position, never the text (the line may carry a password).
caf::expected<std::vector<std::string>> split_command_line(std::string_view line);

/// The inverse of `split_command_line` for one argument: `arg` itself when it
/// has no space, tab, line break or quote and is not empty; otherwise `arg` in
/// quotes, with `"` written `\"` and the backslashes before a quote doubled.
std::string quote_argument(std::string_view arg);

/// `text` made safe to quote in a one-line error message: everything between
/// the scheme (or the start) and the last `@` masked as `***`, since a stray or
/// malformed `http://user:password@proxy` argument may be quoted in an error
/// (more than `mask_userinfo` hides: an unencoded `/` in a password must not
/// end the masking), control characters written `\n`, `\r`, `\t` or `\xNN`, and
/// text past 120 characters cut to end with `...`. Never use it on a value
/// known to be secret: it cannot tell a password from any other text.
std::string printable(std::string_view text);

} // namespace vigil
