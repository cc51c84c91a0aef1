#include "core/crypto/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

namespace soc::crypto {

namespace {
EVP_MD_CTX* md(void* p) { return static_cast<EVP_MD_CTX*>(p); }
void check(int ok) {
  if (ok != 1) std::abort();  // only on memory exhaustion: SHA-256 is always available
}
}  // namespace

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) std::abort();
  check(EVP_DigestInit_ex(md(ctx_), EVP_sha256(), nullptr));
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(md(ctx_)); }

void Sha256Hasher::update(std::string_view bytes) { check(EVP_DigestUpdate(md(ctx_), bytes.data(), bytes.size())); }

Sha256 Sha256Hasher::finish() {
  Sha256 out{};
  unsigned int len = 0;
  check(EVP_DigestFinal_ex(md(ctx_), out.data(), &len));
  return out;
}

Sha256 sha256(std::string_view bytes) {
  Sha256Hasher h;
  h.update(bytes);
  return h.finish();
}

std::string to_hex(const Sha256& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(64, '0');
  for (size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) { return to_hex(sha256(bytes)); }

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  Sha256 out{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
           message.size(), out.data(), &len) == nullptr)
    std::abort();
  return to_hex(out);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace soc::crypto
