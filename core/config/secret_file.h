// Secret files: CURVE secret keys, API tokens, webhook secrets. One helper, so that every binary
// refuses a badly protected secret the same way and says how to fix it (docs/adr/0033).
//
// Reading: the file must be a regular file of at most `max_bytes`, readable and writable by its
// owner only (no group or other permission bits: `chmod 600 PATH`), and owned by the user the
// program runs as or by root. A symbolic link is followed (an admin may link a key from another
// folder), but every check is made on the file actually opened (fstat of the descriptor), so a
// link or file swapped between a check and the read cannot pass.
//
// Writing: never through a symbolic link. The text goes to a new temporary file in the same
// folder (O_EXCL, mode 0600 or the mode asked for), is fsync'ed, and is renamed over PATH:
// rename(2) replaces a link itself, never the file it points to. An existing PATH is refused
// unless `overwrite`; a PATH that is a symbolic link is refused even then.
//
// Thread-safe (no shared state). Errors are values (Result) with these codes:
//   secret.unreadable   cannot open or read (the message carries strerror)
//   secret.not_regular  a directory, a FIFO, a device...
//   secret.permissions  group or others have access; the message ends with the chmod to run
//   secret.owner        owned by another user; the message ends with the chown to run
//   secret.too_large    larger than max_bytes
//   secret.empty        (read_secret_token) nothing but whitespace
//   secret.symlink      (write) PATH is a symbolic link
//   secret.exists       (write) PATH exists and overwrite is false
//   secret.write        (write) cannot create, write, sync or rename
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace soc::config {

inline constexpr size_t kMaxSecretFileBytes = 64 * 1024;

// The whole file, checked as above.
Result<std::string> read_secret_file(const std::string& path, size_t max_bytes = kMaxSecretFileBytes);

// A token or key kept as text: read_secret_file, surrounding whitespace (a trailing newline)
// removed; an empty token is refused.
Result<std::string> read_secret_token(const std::string& path, size_t max_bytes = kMaxSecretFileBytes);

// Writes `text` to `path` with `mode` (0600 for a secret), atomically and never through a link.
Result<void> write_file_no_follow(const std::string& path, std::string_view text, mode_t mode, bool overwrite);

inline Result<void> write_secret_file(const std::string& path, std::string_view text, bool overwrite) {
  return write_file_no_follow(path, text, 0600, overwrite);
}

// `s` quoted for a POSIX shell when it needs it (for the commands the messages suggest).
std::string shell_quote(std::string_view s);

}  // namespace soc::config
