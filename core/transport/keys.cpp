#include "core/transport/keys.h"

#include <fmt/core.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/config/secret_file.h"

namespace soc::transport {

Result<KeyPair> generate_key_pair() {
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0) {
    return fail("curve_unavailable", fmt::format("cannot make a CURVE key pair: {}", zmq_strerror(zmq_errno())));
  }
  KeyPair kp;
  kp.public_key = *z85_decode_key(std::string_view(pub, 40));
  kp.secret_key = *z85_decode_key(std::string_view(sec, 40));
  return kp;
}

Result<CurveKey> derive_public_key(const CurveKey& secret) {
  const std::string sec = z85_encode_key(secret);
  char pub[41];
  if (zmq_curve_public(pub, sec.c_str()) != 0) {
    return fail("curve_unavailable", fmt::format("cannot derive a CURVE public key: {}", zmq_strerror(zmq_errno())));
  }
  return *z85_decode_key(std::string_view(pub, 40));
}

namespace {

constexpr size_t kMaxKeyFileBytes = 4096;

Result<CurveKey> parse_key(const std::string& path, std::string text) {
  const auto b = text.find_first_not_of(" \t\r\n");
  const auto e = text.find_last_not_of(" \t\r\n");
  text = b == std::string::npos ? "" : text.substr(b, e - b + 1);
  auto key = z85_decode_key(text);
  if (!key) {
    return fail("bad_key", fmt::format("{}: not a CURVE key (expected 40 characters of Z85, as socctl keygen writes)", path));
  }
  return *key;
}

}  // namespace

Result<void> write_key_files(const std::string& prefix, const KeyPair& keys, bool overwrite) {
  if (auto r = config::write_secret_file(prefix + ".key", z85_encode_key(keys.secret_key) + "\n", overwrite); !r)
    return fail(r.error());
  if (auto r = config::write_file_no_follow(prefix + ".pub", z85_encode_key(keys.public_key) + "\n", 0644, overwrite); !r)
    return fail(r.error());
  return {};
}

Result<CurveKey> read_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("io", fmt::format("cannot read key file {}: {}", path, std::strerror(errno)));
  std::string text(kMaxKeyFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return fail("io", fmt::format("cannot read key file {}", path));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxKeyFileBytes) return fail("bad_key", fmt::format("{}: not a CURVE key (the file is larger than {} bytes)", path, kMaxKeyFileBytes));
  return parse_key(path, std::move(text));
}

Result<CurveKey> read_secret_key_file(const std::string& path) {
  auto text = config::read_secret_file(path, kMaxKeyFileBytes);
  if (!text) return fail(text.error());
  return parse_key(path, std::move(*text));
}

}  // namespace soc::transport
