// CURVE key pairs and key files. A key file holds one key as 40 characters of Z85 text and a
// newline; the secret file is written with mode 0600.
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

// Writes PREFIX.key (secret, 0600) and PREFIX.pub. Refuses to overwrite existing files unless
// `overwrite`.
Result<void> write_key_files(const std::string& prefix, const KeyPair& keys, bool overwrite);

// Reads one key (either kind) from a file: Z85 text, surrounding whitespace ignored.
Result<CurveKey> read_key_file(const std::string& path);

}  // namespace soc::transport
