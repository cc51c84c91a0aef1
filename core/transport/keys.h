// CURVE key pairs and key files. A key file holds one key as 40 characters of Z85 text and a
// newline; the secret file is written with mode 0600 and must stay readable by its owner only
// (core/config/secret_file.h).
#pragma once

#include <string>

#include "core/result.h"
#include "core/z85.h"

namespace soc::transport {

struct KeyPair {
  CurveKey public_key{};
  CurveKey secret_key{};
};

Result<KeyPair> generate_key_pair();
// The public key that belongs to a secret key.
Result<CurveKey> derive_public_key(const CurveKey& secret);

// Writes PREFIX.key (secret, 0600) and PREFIX.pub (0644), each atomically and never through a
// symbolic link (config::write_file_no_follow). Refuses to overwrite existing files unless
// `overwrite`; refuses a path that is a symbolic link even then.
Result<void> write_key_files(const std::string& prefix, const KeyPair& keys, bool overwrite);

// Reads a public key from a file: Z85 text, surrounding whitespace ignored; at most 4 KiB.
Result<CurveKey> read_key_file(const std::string& path);

// Reads a secret key: as read_key_file, and the file must pass config::read_secret_file's checks
// (mode 0600 or stricter, owned by the running user or root); the error says what to run.
Result<CurveKey> read_secret_key_file(const std::string& path);

}  // namespace soc::transport
