#pragma once

#include <caf/expected.hpp>
#include <string>
#include <string_view>

#include "host/proxy_grammar.hpp"

// A password read from standard input instead of the command line (issue 15,
// defect 6): an argument is readable by every local user in /proc/PID/cmdline
// while the process runs; standard input is not. `vigil-proxy /p -` and
// setup's `Proxy="... /p -"` use it.

namespace vigil {

/// The `/p` value that asks for the password on standard input.
inline constexpr std::string_view password_on_stdin = "-";

/// Whether `option` asks for its password on standard input (`/p -`).
bool asks_password_on_stdin(const proxy_option& option) noexcept;

/// Reads one line from `fd` as a secret: at a terminal, `prompt` goes to
/// standard error and the terminal's echo is off while the line is typed (and
/// restored after, also when reading fails); from a pipe or a file, the bytes
/// up to the first line break or the end. The line break (and a `\r` before
/// it) is not part of the secret. Nothing read is ever in an error: an empty
/// line, more than 64 KiB, a NUL or another control character are refused
/// with `ec::invalid_argument` and a reason only.
caf::expected<std::string> read_secret_line(int fd, std::string_view prompt);

/// What `read_secret_line` reads before it checks the line, per system
/// (host/posix, host/windows): at a terminal or console, `prompt` on standard
/// error and the line typed without echo; from a pipe or a file, `read_line`.
caf::expected<std::string> read_line_quietly(int fd, std::string_view prompt);

/// The bytes from `fd` up to the first line break or the end, one at a time
/// (`read_byte`) so nothing after the line is consumed; without the line
/// break and a `\r` before it. More than 64 KiB is `ec::invalid_argument`.
caf::expected<std::string> read_line(int fd);

/// One byte from `fd` into `c`, per system: 1, 0 at the end, or -1 with
/// errno set (POSIX reads again after EINTR).
long read_byte(int fd, char& c);

/// When `option` asks for its password on standard input (`/p -`), reads it
/// from `fd` with `read_secret_line` and puts it in `option` (registered with
/// `register_secret`, so no log can show it). Otherwise changes nothing.
caf::expected<void> read_proxy_password(proxy_option& option, int fd);

} // namespace vigil
