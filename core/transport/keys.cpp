#include "core/transport/keys.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

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
Result<void> write_text(const std::string& path, const std::string& text, mode_t mode, bool overwrite) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) {
    if (errno == EEXIST) return fail("exists", fmt::format("{} exists (use --force to replace it)", path));
    return fail("io", fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  // open() applies the umask and keeps the mode of an existing file: set it explicitly.
  if (::fchmod(fd, mode) != 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    const int err = errno;
    ::close(fd);
    return fail("io", fmt::format("cannot write {}: {}", path, std::strerror(err)));
  }
  if (::close(fd) != 0) return fail("io", fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  return {};
}
}  // namespace

Result<void> write_key_files(const std::string& prefix, const KeyPair& keys, bool overwrite) {
  if (auto r = write_text(prefix + ".key", z85_encode_key(keys.secret_key) + "\n", 0600, overwrite); !r) return r;
  return write_text(prefix + ".pub", z85_encode_key(keys.public_key) + "\n", 0644, overwrite);
}

Result<CurveKey> read_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail("io", fmt::format("cannot read key file {}: {}", path, std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const auto b = text.find_first_not_of(" \t\r\n");
  const auto e = text.find_last_not_of(" \t\r\n");
  text = b == std::string::npos ? "" : text.substr(b, e - b + 1);
  auto key = z85_decode_key(text);
  if (!key) {
    return fail("bad_key", fmt::format("{}: not a CURVE key (expected 40 characters of Z85, as socctl keygen writes)", path));
  }
  return *key;
}

}  // namespace soc::transport
