#include "core/crypto/digest.h"

#include <doctest/doctest.h>

using namespace soc::crypto;

TEST_CASE("SHA-256 and HMAC-SHA256 give the published test vectors") {
  // FIPS 180-2 and RFC 4231 test case 2.
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("the incremental hasher equals the one-shot digest") {
  Sha256Hasher h;
  h.update("a");
  h.update("");
  h.update("bc");
  CHECK(to_hex(h.finish()) == sha256_hex("abc"));
}

TEST_CASE("constant-time comparison compares") {
  CHECK(constant_time_equal("token", "token"));
  CHECK_FALSE(constant_time_equal("token", "tokem"));
  CHECK_FALSE(constant_time_equal("token", "token2"));
}
